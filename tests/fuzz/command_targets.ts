/**
 * Argument fuzzing for every command in the table, subcommands included, run
 * in-process through the command harness (no sockets).
 *
 * Each argv comes from a grammar: usually a walk of the command's own
 * COMMAND DOCS arguments (so options such as `LIMIT 0 10` appear in the right
 * places), then token-level mutations (drop, duplicate, swap, replace), with
 * values drawn from interesting tokens: numbers at the int64 and float64
 * limits, `inf`, `nan`, range markers (`(`, `[`, `-`, `+`), empty and binary
 * strings, and key names holding both types. After every command the fuzzer
 * checks the reply and the keyspace (see {@link CommandFuzzer.step}).
 *
 * Sizes are capped so one run stays bounded: numbers in the grammar are
 * either small or far past every limit (and so refused), values that grow
 * past 64 KiB and sets or lists past 2,000 elements are dropped between commands. The
 * shapes that still make one small command do unbounded work are listed in
 * {@link KNOWN_UNBOUNDED}: the fuzzer never sends them and its report names
 * them, so they are visible rather than hidden.
 *
 * @module
 */
import { ALL_COMMANDS } from "../../lib/commands/mod.ts";
import { ORIGINAL_COMMAND_NAMES, runOriginal } from "../../lib/commands/original.ts";
import type { ArgumentDoc, CommandSpec } from "../../lib/commands/types.ts";
import { KacheEncoder, KacheStatus } from "../../lib/protocol/kache.ts";
import { RespEncoder } from "../../lib/protocol/resp.ts";
import type { Reply } from "../../lib/reply.ts";
import { Hash } from "../../lib/hash.ts";
import { MemberSet } from "../../lib/member_set.ts";
import { Stream } from "../../lib/stream.ts";
import { List } from "../../lib/list.ts";
import { SortedSet } from "../../lib/zset.ts";
import { createHarness, type Harness } from "../support/command_harness.ts";
import type { Random } from "./mutate.ts";

/** A command or subcommand to fuzz, with the words that name it. */
export interface CommandEntry {
  readonly spec: CommandSpec;
  /** `["zadd"]`, or `["config", "get"]` for a subcommand. */
  readonly words: readonly string[];
  /** Option keywords from its COMMAND DOCS (`EX`, `LIMIT`, `WITHSCORES` …). */
  readonly keywords: readonly string[];
}

function keywordsOf(docs: readonly ArgumentDoc[] | undefined, into: Set<string>): Set<string> {
  for (const doc of docs ?? []) {
    if (doc.token !== undefined) into.add(doc.token);
    keywordsOf(doc.arguments, into);
  }
  return into;
}

/** Every command and subcommand in the table. */
export function commandEntries(): CommandEntry[] {
  const entries: CommandEntry[] = [];
  for (const spec of ALL_COMMANDS) {
    entries.push({
      spec,
      words: [spec.name],
      keywords: [...keywordsOf(spec.arguments, new Set())],
    });
    for (const sub of spec.subcommands ?? []) {
      const [container, name] = sub.name.split("|") as [string, string];
      entries.push({
        spec: sub,
        words: [container, name],
        keywords: [...keywordsOf(sub.arguments, new Set())],
      });
    }
  }
  return entries;
}

// ---------------------------------------------------------------------------
// Tokens

/** Keys the fuzzer works on; {@link seedKeyspace} gives them both types. */
export const KEY_NAMES = ["s1", "s2", "n1", "f1", "z1", "z2", "z3", "missing", "{t}a", "{t}b"];

const MEMBER_TOKENS = ["a", "b", "c", "m1", "m2", "", "\x00", "\xff", "a b", "-", "+", "m1\r\n"];

const INTEGER_TOKENS = [
  "0",
  "1",
  "-1",
  "2",
  "3",
  "5",
  "10",
  "-10",
  "100",
  "-100",
  "1000",
  "-1000",
  "65536",
  "-65536",
  "2147483647",
  "-2147483648",
  "4294967296",
  "9007199254740993",
  "-9007199254740993",
  "4611686018427387903",
  "-4611686018427387904",
  "9223372036854775807",
  "-9223372036854775807",
  "-9223372036854775808",
  "9223372036854775808",
  "-9223372036854775809",
  "18446744073709551615",
  "18446744073709551616",
  "99999999999999999999999",
  "+1",
  "01",
  "-0",
  " 1",
  "1 ",
  "1.0",
  "1e3",
  "0x10",
  "",
  "-",
  "abc",
];

const FLOAT_TOKENS = [
  "0",
  "-0",
  "1.5",
  "-2.5",
  "0.1",
  ".5",
  "5.",
  "1e308",
  "-1e308",
  "1e309",
  "4.9e-324",
  "1e-400",
  "1e4000",
  "-1e4000",
  "1e5000",
  "1.7976931348623157e308",
  "inf",
  "-inf",
  "+inf",
  "INF",
  "infinity",
  "-Infinity",
  "nan",
  "-nan",
  "NAN",
  "1e",
  "e1",
  "1.2.3",
  "0x1p3",
  " 1.5",
  "1.5 ",
  "",
  "+",
];

/** ZRANGEBYSCORE / BYLEX bounds and friends. */
const RANGE_TOKENS = [
  "-",
  "+",
  "(",
  "[",
  "(1",
  "[1",
  "(a",
  "[a",
  "[b",
  "(z",
  "-inf",
  "+inf",
  "(inf",
  "(-inf",
  "(nan",
  "[nan",
  "((1",
  "[",
  "(1e309",
];

/** Glob patterns with at most three stars: more can make one match take exponential time. */
const PATTERN_TOKENS = ["*", "?", "s*", "*1", "z?", "[a-z]*", "[^s]*", "\\*", "[", "*a*b*", ""];

const TIME_TOKENS = ["0", "1", "-1", "1700000000", "1700000000000", "4102444800", "9999999999999"];

const STRING_TOKENS = [
  "",
  "x",
  "hello",
  "10",
  "1.5",
  "-5",
  "\x00\xff\r\n",
  "a".repeat(300),
  "nan",
  "inf",
  "*",
  "$",
  "COUNT",
  "LIMIT",
];

const ALL_VALUE_TOKENS = [
  ...INTEGER_TOKENS,
  ...FLOAT_TOKENS,
  ...RANGE_TOKENS,
  ...PATTERN_TOKENS,
  ...STRING_TOKENS,
  ...MEMBER_TOKENS,
  ...KEY_NAMES,
];

/** Keywords any command might be handed by mistake. */
const COMMON_KEYWORDS = [
  "EX",
  "PX",
  "NX",
  "XX",
  "GT",
  "LT",
  "LIMIT",
  "WITHSCORES",
  "BYSCORE",
  "BYLEX",
  "REV",
  "MATCH",
  "COUNT",
  "TYPE",
  "WEIGHTS",
  "AGGREGATE",
  "KEEPTTL",
  "GET",
  "IDX",
  "LEN",
];

function randomCase(word: string, random: Random): string {
  if (random.chance(0.7)) return word;
  let out = "";
  for (const char of word) out += random.chance(0.5) ? char.toUpperCase() : char.toLowerCase();
  return out;
}

/** Plain valid values, so most commands get past parsing and reach their logic. */
const SMALL_INTEGERS = ["0", "1", "2", "3", "5", "10", "-1", "-2", "-5", "100"];
const SMALL_FLOATS = ["0", "1", "1.5", "-2.5", "10", "3", "-inf", "+inf"];
const STRING_KEYS = ["s1", "s2", "n1", "f1", "{t}b"];
const SORTED_SET_KEYS = ["z1", "z2", "z3", "{t}a"];

function valueFor(doc: ArgumentDoc, group: string, random: Random): string {
  if (random.chance(0.08)) return random.pick(ALL_VALUE_TOKENS);
  switch (doc.type) {
    case "key":
      // Mostly a key of the command's own type, so it reaches more than WRONGTYPE.
      if (random.chance(0.7) && group === "sorted-set") return random.pick(SORTED_SET_KEYS);
      if (random.chance(0.7) && group === "string") return random.pick(STRING_KEYS);
      return random.pick(KEY_NAMES);
    case "integer":
      // numkeys is usually small so the keys after it line up.
      if (doc.name === "numkeys" && random.chance(0.7)) return random.pick(["1", "2", "3"]);
      return random.pick(random.chance(0.6) ? SMALL_INTEGERS : INTEGER_TOKENS);
    case "double":
      return random.pick(random.chance(0.6) ? SMALL_FLOATS : FLOAT_TOKENS);
    case "pattern":
      return random.pick(PATTERN_TOKENS);
    case "unix-time":
      return random.pick(TIME_TOKENS);
    default:
      if (/min|max|start|stop|end/.test(doc.name)) {
        const roll = random.int(10);
        return random.pick(roll < 4 ? SMALL_INTEGERS : roll < 7 ? RANGE_TOKENS : INTEGER_TOKENS);
      }
      return random.pick(random.chance(0.5) ? MEMBER_TOKENS : STRING_TOKENS);
  }
}

/** Arguments following the COMMAND DOCS shape: optional parts maybe, multiple parts 1-4 times. */
function fromDocs(
  docs: readonly ArgumentDoc[],
  group: string,
  random: Random,
  out: string[],
): void {
  for (const doc of docs) {
    if (doc.optional && random.chance(0.5)) continue;
    const times = doc.multiple ? 1 + random.skewed(3) : 1;
    for (let i = 0; i < times; i++) {
      if (doc.type === "pure-token") {
        out.push(randomCase(doc.token ?? doc.name, random));
        continue;
      }
      if (doc.token !== undefined) out.push(randomCase(doc.token, random));
      if (doc.type === "oneof") {
        if (doc.arguments !== undefined && doc.arguments.length > 0) {
          fromDocs([{ ...random.pick(doc.arguments), optional: false }], group, random, out);
        }
      } else if (doc.type === "block") {
        fromDocs(doc.arguments ?? [], group, random, out);
      } else {
        out.push(valueFor(doc, group, random));
      }
    }
  }
}

function anyToken(entry: CommandEntry, random: Random): string {
  const roll = random.int(10);
  if (roll < 3 && entry.keywords.length > 0) return randomCase(random.pick(entry.keywords), random);
  if (roll < 4) return random.pick(COMMON_KEYWORDS);
  if (roll < 6) return random.pick(KEY_NAMES);
  return random.pick(ALL_VALUE_TOKENS);
}

/** An argv for `entry`: grammar-shaped most of the time, then mutated at the token level. */
export function generateArgv(entry: CommandEntry, random: Random): string[] {
  const argv = entry.words.map((word) => randomCase(word, random));
  const args: string[] = [];
  if (entry.spec.arguments !== undefined && random.chance(0.8)) {
    fromDocs(entry.spec.arguments, entry.spec.group, random, args);
  } else {
    // Around the arity most of the time, anything up to 10 otherwise.
    const arity = Math.abs(entry.spec.arity) - entry.words.length;
    const count = random.chance(0.7) ? Math.max(0, arity + random.range(-1, 3)) : random.int(11);
    for (let i = count; i > 0; i--) args.push(anyToken(entry, random));
  }
  if (random.chance(0.35)) {
    for (let n = random.range(1, 2); n > 0; n--) {
      const at = random.int(args.length + 1);
      switch (random.int(4)) {
        case 0:
          args.splice(at, 1);
          break;
        case 1:
          if (at < args.length) args.splice(at, 0, args[at]!);
          break;
        case 2: {
          const other = random.int(args.length);
          if (at < args.length) [args[at], args[other]] = [args[other]!, args[at]!];
          break;
        }
        default:
          args.splice(at, random.chance(0.5) ? 1 : 0, anyToken(entry, random));
      }
    }
  }
  return [...argv, ...args];
}

/** Word counts of the original commands (name included), as the original server required. */
const ORIGINAL_ARITY: Record<string, number> = {
  get: 2,
  set: 3,
  del: 2,
  expire: 3,
  persist: 2,
  zadd: 4,
  zrem: 3,
  zscore: 3,
  zquery: 6,
};

// ---------------------------------------------------------------------------
// Known unbounded shapes

/** An argument shape that makes one small command do work unbounded by the data it touches. */
export interface UnboundedShape {
  /** Lower-case command name (subcommands as `container|name`). */
  readonly command: string;
  readonly description: string;
  /** An argv of that shape, for the report and the regression test. */
  readonly example: readonly string[];
  matches(argv: readonly string[]): boolean;
}

/**
 * Shapes the fuzzer must not send because one of them alone would stall or
 * exhaust the process (each is a bug to fix, reported with the fuzz run).
 */
export const KNOWN_UNBOUNDED: readonly UnboundedShape[] = [];

function skippedShape(entry: CommandEntry, argv: readonly string[]): UnboundedShape | undefined {
  const name = entry.spec.name;
  return KNOWN_UNBOUNDED.find((shape) => shape.command === name && shape.matches(argv));
}

// ---------------------------------------------------------------------------
// Checks

/** A broken contract, with the commands since the last reset to replay it. */
export interface CommandFailure {
  readonly problem: string;
  readonly argv: readonly string[];
  /** Every command run on this keyspace before `argv`, oldest first. */
  readonly history: readonly (readonly string[])[];
}

const REPLY_KINDS = new Set([
  "nil",
  "nil-array",
  "status",
  "error",
  "integer",
  "double",
  "bulk",
  "array",
  "map",
  "set",
  "boolean",
  "big-number",
  "verbatim",
  "push",
]);

/**
 * Text that only a JS bug (not a client's argument) puts in a reply. A JS
 * function's source reads "function name(" or "function (", which Redis's
 * prose about functions ("Invoke a function", FCALL's docs) never does.
 */
const SUSPICIOUS = /undefined|NaN|\[object |function [\w$]*\(/;
/** Redis's own error texts that name NaN (HINCRBYFLOAT's "value is NaN or Infinity" too). */
const REDIS_NAN_TEXTS = /would produce NaN|not a number \(NaN\)|value is NaN or Infinity/g;
const NOT_ONE_BYTE = /[\u0100-\uffff]/;
/** Redis error lines start with an upper-case code word: ERR, WRONGTYPE, NOAUTH, EXECABORT … */
const ERROR_CODE = /^[A-Z][A-Z_]*( |$)/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function checkText(text: unknown, what: string, argv: readonly string[]): string | undefined {
  if (typeof text !== "string") return `${what} is ${typeof text}, not a string`;
  if (NOT_ONE_BYTE.test(text)) return `${what} holds a character above 0xFF`;
  const suspicious = SUSPICIOUS.exec(text.replace(REDIS_NAN_TEXTS, ""));
  if (suspicious !== null && !argv.some((arg) => arg.includes(suspicious[0]))) {
    return `${what} contains "${suspicious[0]}": ${JSON.stringify(text.slice(0, 200))}`;
  }
  return undefined;
}

/** What is wrong with a reply tree, or undefined. Walks without recursion. */
export function replyProblem(root: Reply, argv: readonly string[]): string | undefined {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const reply = stack.pop() as Reply | undefined;
    if (reply === null || typeof reply !== "object" || !REPLY_KINDS.has(reply.kind)) {
      return `not a Reply: ${String(reply)}`;
    }
    switch (reply.kind) {
      case "error": {
        const problem = checkText(reply.message, "error message", argv);
        if (problem !== undefined) return problem;
        if (reply.message.includes("internal error")) return `handler threw: ${reply.message}`;
        if (!ERROR_CODE.test(reply.message)) return `error without a code word: ${reply.message}`;
        break;
      }
      case "status": {
        const problem = checkText(reply.text, "status", argv);
        if (problem !== undefined) return problem;
        break;
      }
      case "bulk":
      case "verbatim": {
        const problem = checkText(reply.value, reply.kind, argv);
        if (problem !== undefined) return problem;
        break;
      }
      case "integer": {
        const value = reply.value;
        if (typeof value === "number" && !Number.isSafeInteger(value)) {
          return `integer reply ${value} is not a safe integer`;
        }
        if (typeof value === "bigint" && (value < INT64_MIN || value > INT64_MAX)) {
          return `integer reply ${value} is outside int64`;
        }
        if (typeof value !== "number" && typeof value !== "bigint") return "integer of wrong type";
        break;
      }
      case "double":
        if (typeof reply.value !== "number" || Number.isNaN(reply.value)) {
          return `double reply ${reply.value}`;
        }
        break;
      case "big-number":
        if (typeof reply.value !== "bigint") return "big number is not a bigint";
        break;
      case "boolean":
        if (typeof reply.value !== "boolean") return "boolean is not a boolean";
        break;
      case "array":
      case "set":
      case "push":
        if (!Array.isArray(reply.items)) return `${reply.kind} without items`;
        for (const item of reply.items) stack.push(item);
        break;
      case "map":
        if (!Array.isArray(reply.entries)) return "map without entries";
        for (const entry of reply.entries) {
          if (!Array.isArray(entry) || entry.length !== 2) return "map entry is not a pair";
          stack.push(entry[0], entry[1]);
        }
        break;
    }
  }
  return undefined;
}

/** Values past these sizes are dropped between commands, so a run stays small. */
const MAX_STRING = 64 * 1024;
const MAX_SET = 2000;

/** Fills the keyspace with both types under {@link KEY_NAMES}. */
function seedKeyspace(harness: Harness, random: Random): void {
  harness.run("SET", "s1", "hello");
  harness.run("SET", "s2", random.pick(["", "x".repeat(100), "\x00\xff"]));
  harness.run("SET", "n1", random.pick(["10", "-1", "9223372036854775806"]));
  harness.run("SET", "f1", random.pick(["1.5", "inf", "1e308"]));
  harness.run("ZADD", "z1", "1", "a", "2", "b", "3", "c");
  const many = ["ZADD", "z2"];
  for (let i = random.range(1, 200); i > 0; i--) many.push(String(random.range(-50, 50)), `m${i}`);
  harness.run(...many);
  harness.run("ZADD", "z3", "-inf", "a", "0", "b", "0", "c", "inf", "d");
  harness.run("ZADD", "{t}a", "1", "x");
  harness.run("SET", "{t}b", "1");
  if (random.chance(0.5)) harness.run("PEXPIRE", random.pick(KEY_NAMES), "100");
}

/**
 * Runs generated commands against one harness at a time, checking after each
 * one: no throw, a well-formed reply (see {@link replyProblem}) that both
 * encoders accept, and a consistent keyspace (every value a string or a
 * non-empty sorted set whose tree invariants hold, TTLs only on live keys).
 */
export class CommandFuzzer {
  readonly entries: readonly CommandEntry[];
  /** Commands run, and argv skipped because they match {@link KNOWN_UNBOUNDED}. */
  readonly counts = { commands: 0, skipped: 0, resets: 0 };
  /** Argv whose command took longer than `slowMs` (the long run reports them as hangs). */
  readonly slow: { argv: readonly string[]; milliseconds: number }[] = [];
  /** Per command name: replies that were errors and replies that were not (coverage at a glance). */
  readonly outcomes = new Map<string, { ok: number; error: number }>();
  readonly #random: Random;
  readonly #slowMs: number;
  #harness!: Harness;
  #history: (readonly string[])[] = [];
  readonly #resp = new RespEncoder(256);
  readonly #kache = new KacheEncoder(256);

  readonly #beforeRun: ((argv: readonly string[]) => void) | undefined;

  /**
   * `slowMs`: commands slower than this are listed in {@link slow}.
   * `beforeRun`: called with each argv just before it runs (the long run
   * publishes it, so a command that hangs can be named).
   */
  constructor(
    random: Random,
    options: { slowMs?: number; beforeRun?: (argv: readonly string[]) => void } = {},
  ) {
    this.#random = random;
    this.#slowMs = options.slowMs ?? Infinity;
    this.#beforeRun = options.beforeRun;
    this.entries = commandEntries();
    this.#reset();
  }

  #reset(): void {
    this.counts.resets++;
    this.#harness = createHarness();
    // Deterministic draws, so a reported sequence replays the same way.
    this.#harness.server.random = () => this.#random.float();
    this.#history = [];
    seedKeyspace(this.#harness, this.#random);
  }

  /** Runs one command for a random entry (or `entry`); returns a failure or undefined. */
  step(entry = this.#random.pick(this.entries)): CommandFailure | undefined {
    const random = this.#random;
    if (random.chance(0.02) || this.#history.length >= 200) this.#reset();
    if (random.chance(0.05)) {
      this.#harness.setNow(this.#harness.keyspace.now + random.pick([1, 100, 1000, 60_000]));
    }
    // The binary port's nine original commands bypass the table: fuzz their own parsing too.
    if (random.chance(0.05)) return this.#stepOriginal();
    const argv = generateArgv(entry, random);
    if (skippedShape(entry, argv) !== undefined) {
      this.counts.skipped++;
      return undefined;
    }
    const failure = this.#runChecked(argv);
    if (failure !== undefined) return failure;
    const session = this.#harness.session;
    // Keep the session useful: leave MULTI soon, and start over when it is closed or locked out.
    if (session.queued !== undefined && random.chance(0.5)) {
      const ended = this.#runChecked([random.pick(["EXEC", "DISCARD"])]);
      if (ended !== undefined) return ended;
    }
    if (session.closeRequested || !session.authenticated) this.#reset();
    return undefined;
  }

  /** One of the original binary-protocol commands, with 0-6 arguments from the shared tokens. */
  #stepOriginal(): CommandFailure | undefined {
    const random = this.#random;
    const name = random.pick(ORIGINAL_COMMAND_NAMES);
    const argv = [randomCase(name, random)];
    const arity = ORIGINAL_ARITY[name] ?? 2;
    const count = random.chance(0.8) ? arity - 1 : random.int(7);
    for (let i = 0; i < count; i++) {
      argv.push(random.chance(0.3) ? random.pick(KEY_NAMES) : random.pick(ALL_VALUE_TOKENS));
    }
    const history = this.#history;
    const fail = (problem: string): CommandFailure => ({ problem, argv, history: [...history] });
    this.counts.commands++;
    let result;
    this.#beforeRun?.(argv);
    try {
      result = runOriginal(this.#harness.keyspace, argv);
    } catch (cause) {
      return fail(`original command threw ${cause instanceof Error ? cause.stack : String(cause)}`);
    }
    history.push(argv);
    if (result === undefined) return fail("an original command name was not recognised");
    if (!Object.values(KacheStatus).includes(result.status)) {
      return fail(`status ${result.status} is not one of the original statuses`);
    }
    if (result.item !== undefined) {
      const problem = replyProblem(result.item, argv);
      if (problem !== undefined) return fail(problem);
    }
    try {
      this.#kache.writeResponse(result.status, result.item);
      this.#kache.take();
    } catch (cause) {
      return fail(`encoding the response threw ${cause instanceof Error ? cause.message : cause}`);
    }
    const inconsistency = this.#keyspaceProblem();
    return inconsistency === undefined ? undefined : fail(inconsistency);
  }

  /** Runs argv through the table and checks the reply and the keyspace. */
  runChecked(argv: readonly string[]): CommandFailure | undefined {
    return this.#runChecked(argv);
  }

  #runChecked(argv: readonly string[]): CommandFailure | undefined {
    const history = this.#history;
    const fail = (problem: string): CommandFailure => ({ problem, argv, history: [...history] });
    this.counts.commands++;
    let reply: Reply;
    this.#beforeRun?.(argv);
    const started = this.#slowMs === Infinity ? 0 : performance.now();
    try {
      reply = this.#harness.run(...argv);
    } catch (cause) {
      return fail(`table threw ${cause instanceof Error ? cause.stack : String(cause)}`);
    }
    if (this.#slowMs !== Infinity) {
      const milliseconds = performance.now() - started;
      if (milliseconds > this.#slowMs) this.slow.push({ argv, milliseconds });
    }
    history.push(argv);
    const name = argv[0]!.toLowerCase();
    let outcome = this.outcomes.get(name);
    if (outcome === undefined) this.outcomes.set(name, outcome = { ok: 0, error: 0 });
    if (reply.kind === "error") outcome.error++;
    else outcome.ok++;
    const problem = replyProblem(reply, argv);
    if (problem !== undefined) return fail(problem);
    try {
      this.#resp.write(reply, 2);
      this.#resp.write(reply, 3);
      this.#resp.take();
      this.#kache.writeReply(reply);
      this.#kache.take();
    } catch (cause) {
      return fail(`encoding the reply threw ${cause instanceof Error ? cause.message : cause}`);
    }
    const inconsistency = this.#keyspaceProblem();
    return inconsistency === undefined ? undefined : fail(inconsistency);
  }

  #keyspaceProblem(): string | undefined {
    const keyspace = this.#harness.keyspace;
    let count = 0;
    const oversized: string[] = [];
    for (const [key, value] of keyspace.rawEntries()) {
      count++;
      if (typeof value === "string") {
        if (NOT_ONE_BYTE.test(value)) return `string at ${JSON.stringify(key)} is not one-byte`;
        if (value.length > MAX_STRING) oversized.push(key);
      } else if (value instanceof SortedSet) {
        if (value.size === 0) return `empty sorted set stored at ${JSON.stringify(key)}`;
        if (value.size > MAX_SET) oversized.push(key);
        if (value.size <= 64 || this.#random.chance(0.05)) {
          try {
            value.checkInvariants();
          } catch (cause) {
            return `sorted set ${JSON.stringify(key)} broken: ${
              cause instanceof Error ? cause.message : cause
            }`;
          }
          for (const [, score] of value.entries()) {
            if (Number.isNaN(score)) return `NaN score in ${JSON.stringify(key)}`;
          }
        }
      } else if (value instanceof List) {
        if (value.size === 0) return `empty list stored at ${JSON.stringify(key)}`;
        if (value.size > MAX_SET) oversized.push(key);
        // Every edit is followed by storeCollection, which settles the memory estimate.
        if (value.reportedBytes !== value.byteSize) {
          return `list ${JSON.stringify(key)} edited without being stored`;
        }
      } else if (value instanceof Hash || value instanceof MemberSet) {
        if (value.size === 0) return `empty ${value.typeName} stored at ${JSON.stringify(key)}`;
        if (value.size > MAX_SET) oversized.push(key);
        if (value.size <= 64 || this.#random.chance(0.05)) {
          try {
            value.checkInvariants();
          } catch (cause) {
            return `${value.typeName} ${JSON.stringify(key)} broken: ${
              cause instanceof Error ? cause.message : cause
            }`;
          }
        }
      } else if (value instanceof Stream) {
        // A stream may be empty (its last ID and groups live on), as in Redis.
        if (value.size > MAX_SET) oversized.push(key);
        // Every edit is followed by storeCollection or resized, which settle the memory estimate.
        if (value.reportedBytes !== value.byteSize) {
          return `stream ${JSON.stringify(key)} edited without being stored`;
        }
        if (value.size <= 64 || this.#random.chance(0.05)) {
          try {
            value.checkInvariants();
          } catch (cause) {
            return `stream ${JSON.stringify(key)} broken: ${
              cause instanceof Error ? cause.message : cause
            }`;
          }
        }
      } else {
        return `value of unknown type at ${JSON.stringify(key)}`;
      }
      const expiry = keyspace.rawExpiry(key);
      if (expiry !== undefined && !Number.isFinite(expiry)) {
        return `expiry ${expiry} on ${JSON.stringify(key)}`;
      }
    }
    if (count !== keyspace.size) return `size ${keyspace.size} but ${count} entries`;
    if (keyspace.expiresCount > keyspace.size) {
      return `${keyspace.expiresCount} TTLs for ${keyspace.size} keys`;
    }
    for (const key of oversized) keyspace.delete(key);
    return undefined;
  }
}
