/**
 * `kache client`'s keyspace walks, redis-cli 7.0's `--scan`, `--bigkeys`,
 * `--memkeys` and `--hotkeys`: SCAN the whole keyspace, and for the surveys
 * pipeline one TYPE and one size query (STRLEN, LLEN…, MEMORY USAGE or
 * OBJECT FREQ) per key of each batch.
 *
 * The output is redis-cli's, line for line (`findBigKeys`, `findHotKeys` in
 * its redis-cli.c), so scripts that read it keep working: the same progress
 * lines, the same summary, its printf formats, and its order of types in the
 * summary (the order of redis-cli's own hash table, see
 * `cli/redis_cli_dict.ts`). Ctrl-C stops the walk after the current batch and
 * prints the summary, prefixed with how far the walk got.
 *
 * @module
 */
import { formatFixed, quoteString } from "../lib/format.ts";
import type { ClientReply } from "../lib/protocol/resp_reply.ts";
import type { KacheConnection } from "./connection.ts";
import { RedisCliDict } from "./redis_cli_dict.ts";
import { sleep, writeErr, writeOut } from "./output.ts";

/** What selects the keys a walk visits. */
export interface ScanFilter {
  /** SCAN's MATCH. */
  readonly pattern?: string;
  /** SCAN's COUNT (a Kache addition to redis-cli's flags). */
  readonly count?: string;
  /** SCAN's TYPE (a Kache addition to redis-cli's flags). */
  readonly type?: string;
}

/** A walk's settings: the filter and redis-cli's `-i`. */
export interface WalkOptions extends ScanFilter {
  /** `-i`: seconds to sleep after each SCAN (`--scan`) or every 100 SCANs (surveys). */
  readonly intervalSeconds: number;
}

/** An error that ends a mode: its text is printed on stderr as is, and the client exits 1. */
class WalkError extends Error {}

/** One SCAN call: the next cursor and the keys (one-byte strings). */
async function scanOnce(
  connection: KacheConnection,
  cursor: string,
  filter: ScanFilter,
): Promise<{ cursor: string; keys: string[] }> {
  const argv = ["SCAN", cursor];
  if (filter.pattern !== undefined) argv.push("MATCH", filter.pattern);
  if (filter.count !== undefined) argv.push("COUNT", filter.count);
  if (filter.type !== undefined) argv.push("TYPE", filter.type);
  const reply = await request(connection, argv);
  if (reply.type === "error") throw new WalkError(`SCAN error: ${reply.message}\n`);
  if (reply.type !== "array") throw new WalkError("Non ARRAY response from SCAN!\n");
  if (reply.items.length !== 2) throw new WalkError("Invalid element count from SCAN!\n");
  const [next, keys] = reply.items;
  if (next?.type !== "bulk" || keys?.type !== "array") {
    throw new WalkError("Non ARRAY response from SCAN!\n");
  }
  return {
    cursor: next.value,
    keys: keys.items.map((key) => key.type === "bulk" ? key.value : ""),
  };
}

/** One request; a lost connection ends the mode as redis-cli words it. */
async function request(connection: KacheConnection, argv: readonly string[]): Promise<ClientReply> {
  try {
    return await connection.send(argv);
  } catch {
    throw new WalkError("\nI/O error\n");
  }
}

/** Many requests in one pipeline, replies in order. */
function pipeline(
  connection: KacheConnection,
  requests: readonly (readonly string[])[],
): Promise<ClientReply[]> {
  return Promise.all(requests.map((argv) => request(connection, argv)));
}

/** Runs a mode, turning a {@link WalkError} into its message and exit code 1. */
async function exitCode(run: () => Promise<void>): Promise<number> {
  try {
    await run();
    return 0;
  } catch (error) {
    if (!(error instanceof WalkError)) throw error;
    writeErr(error.message);
    return 1;
  }
}

/** Ctrl-C ends a walk after the batch in flight, as redis-cli's `force_cancel_loop`. */
class Interrupt {
  cancelled = false;
  readonly #listener = () => {
    this.cancelled = true;
  };

  constructor() {
    Deno.addSignalListener("SIGINT", this.#listener);
  }

  stop(): void {
    Deno.removeSignalListener("SIGINT", this.#listener);
  }
}

/**
 * `--scan`: every key, one per line, quoted when printing for a terminal
 * (`quoted`), raw otherwise, sleeping `-i` seconds after each SCAN.
 */
export function scanMode(
  connection: KacheConnection,
  options: WalkOptions & { readonly quoted: boolean },
): Promise<number> {
  return exitCode(async () => {
    const interrupt = new Interrupt();
    try {
      let cursor = "0";
      do {
        const batch = await scanOnce(connection, cursor, options);
        cursor = batch.cursor;
        writeOut(
          batch.keys.map((key) => (options.quoted ? quoteString(key) : key) + "\n").join(""),
        );
        if (options.intervalSeconds > 0) await sleep(options.intervalSeconds);
      } while (!interrupt.cancelled && cursor !== "0");
    } finally {
      interrupt.stop();
    }
  });
}

/** The key count DBSIZE reports, for the progress percentage. */
async function dbSize(connection: KacheConnection): Promise<number> {
  const reply = await request(connection, ["DBSIZE"]);
  if (reply.type === "error") throw new WalkError(`Couldn't determine DBSIZE: ${reply.message}\n`);
  if (reply.type !== "integer") throw new WalkError("Non INTEGER response from DBSIZE!\n");
  return Number(reply.value);
}

/** redis-cli sleeps `-i` once per this many SCAN calls in the surveys. */
const SCANS_PER_SLEEP = 100;

/** A progress line every this many keys. */
const PROGRESS_EVERY = 1_000_000;

/**
 * Walks the keyspace in SCAN batches after printing the survey's header
 * (`what` it looks for), calling `visit` with each batch, the percentage
 * done before it and the keys sampled so far; `visit` returns how many of
 * the batch it sampled. Returns the totals, and whether Ctrl-C cut it short.
 */
async function walk(
  connection: KacheConnection,
  options: WalkOptions & { readonly what: string },
  visit: (keys: string[], percent: number, sampled: number) => Promise<number>,
): Promise<{ sampled: number; percent: number; cancelled: boolean }> {
  // DBSIZE comes first: its error ends the mode before the header, as in redis-cli.
  const total = await dbSize(connection);
  writeOut(
    `\n# Scanning the entire keyspace to find ${options.what} as well as\n` +
      "# average sizes per key type.  You can use -i 0.1 to sleep 0.1 sec\n" +
      "# per 100 SCAN commands (not usually needed).\n\n",
  );
  const interrupt = new Interrupt();
  let sampled = 0;
  let percent = 0;
  let scans = 0;
  try {
    let next = scanOnce(connection, "0", options);
    let cursor: string;
    do {
      percent = 100 * sampled / total;
      const batch = await next;
      cursor = batch.cursor;
      scans++;
      if (cursor !== "0") {
        // The next SCAN leaves with this batch's queries: a round trip fewer per batch.
        next = scanOnce(connection, cursor, options);
        next.catch(() => {}); // unused when Ctrl-C ends the walk; an error surfaces on await
      }
      sampled += await visit(batch.keys, percent, sampled);
      if (options.intervalSeconds > 0 && scans % SCANS_PER_SLEEP === 0) {
        await sleep(options.intervalSeconds);
      }
    } while (!interrupt.cancelled && cursor !== "0");
  } finally {
    interrupt.stop();
  }
  return { sampled, percent, cancelled: interrupt.cancelled };
}

/** A key type as the survey reports it: the command that sizes it and the unit. */
interface TypeInfo {
  readonly name: string;
  readonly sizeCommand: string | undefined;
  readonly unit: string;
  biggest: bigint;
  biggestKey: string | undefined;
  count: number;
  totalSize: bigint;
}

/** redis-cli's types, in the order it adds them to its table. */
const KNOWN_TYPES: readonly (readonly [string, string, string])[] = [
  ["string", "STRLEN", "bytes"],
  ["list", "LLEN", "items"],
  ["set", "SCARD", "members"],
  ["hash", "HLEN", "fields"],
  ["zset", "ZCARD", "members"],
  ["stream", "XLEN", "entries"],
];

function newTypeInfo(name: string, sizeCommand: string | undefined, unit: string): TypeInfo {
  return { name, sizeCommand, unit, biggest: 0n, biggestKey: undefined, count: 0, totalSize: 0n };
}

/** `%05.2f`: at least five characters, zero-padded (`00.00`, `100.00`; glibc pads nan/inf with spaces). */
export function formatPercent(percent: number): string {
  const text = formatFixed(percent, 2);
  return Number.isFinite(percent) ? text.padStart(5, "0") : text.padStart(5, " ");
}

/** `%.2f` of a ratio whose denominator may be 0 (then 0, as redis-cli guards it). */
function average(total: number | bigint, count: number): string {
  return formatFixed(count === 0 ? 0 : Number(total) / count, 2);
}

/**
 * `--bigkeys` (sizes in each type's unit) or `--memkeys` (MEMORY USAGE
 * bytes, with `SAMPLES n` when `samples` is not 0).
 */
export function findBigKeys(
  connection: KacheConnection,
  options: WalkOptions & { readonly memory: boolean; readonly samples: number },
): Promise<number> {
  // Its summary lists the types in the order of redis-cli's hash table, replayed here.
  const types = new RedisCliDict<TypeInfo>();
  for (const [name, sizeCommand, unit] of KNOWN_TYPES) {
    types.add(name, newTypeInfo(name, sizeCommand, unit));
  }
  const unitOf = (type: TypeInfo) => options.memory ? "bytes" : type.unit;
  let keyBytes = 0;
  const visit = async (keys: string[], percent: number, sampledBefore: number) => {
    const typeReplies = await pipeline(connection, keys.map((key) => ["TYPE", key]));
    const keyTypes = typeReplies.map((reply, i): TypeInfo | undefined => {
      if (reply.type === "error") throw new WalkError(`TYPE returned an error: ${reply.message}\n`);
      if (reply.type !== "status") {
        throw new WalkError(`Invalid reply type (${reply.type}) for TYPE on key '${keys[i]}'!\n`);
      }
      let type = types.find(reply.value);
      if (type === undefined) {
        if (reply.value === "none") return undefined; // deleted since SCAN saw it
        // A module's type: counted, but redis-cli knows no command to size it.
        type = newTypeInfo(reply.value, undefined, "?");
        types.add(reply.value, type);
      }
      return type;
    });
    const sizeRequest = (key: string, type: TypeInfo | undefined): string[] | undefined => {
      if (type === undefined) return undefined;
      if (!options.memory) {
        return type.sizeCommand === undefined ? undefined : [type.sizeCommand, key];
      }
      return options.samples === 0
        ? ["MEMORY", "USAGE", key]
        : ["MEMORY", "USAGE", key, "SAMPLES", String(options.samples)];
    };
    const requests = keys.map((key, i) => sizeRequest(key, keyTypes[i]));
    const replies = await pipeline(connection, requests.filter((argv) => argv !== undefined));
    let out = "";
    let sampled = sampledBefore;
    let next = 0;
    for (let i = 0; i < keys.length; i++) {
      const type = keyTypes[i];
      if (type === undefined) continue;
      const key = keys[i]!;
      let size = 0n;
      if (requests[i] !== undefined) {
        const reply = replies[next++]!;
        if (reply.type === "integer") size = reply.value;
        else {
          const command = options.memory ? "MEMORY USAGE" : type.sizeCommand;
          writeErr(`Warning:  ${command} on '${key}' failed (may have changed type)\n`);
        }
      }
      type.totalSize += size;
      type.count++;
      keyBytes += key.length;
      sampled++;
      if (type.biggest < size) {
        type.biggestKey = quoteString(key);
        out += `[${formatPercent(percent)}%] Biggest ${type.name.padEnd(6)} found so far ` +
          `'${type.biggestKey}' with ${size} ${unitOf(type)}\n`;
        type.biggest = size;
      }
      if (sampled % PROGRESS_EVERY === 0) {
        out += `[${formatPercent(percent)}%] Sampled ${sampled} keys so far\n`;
      }
    }
    writeOut(out);
    return sampled - sampledBefore;
  };
  return exitCode(async () => {
    const walked = await walk(connection, { ...options, what: "biggest keys" }, visit);
    let out = "\n-------- summary -------\n\n";
    if (walked.cancelled) out += `[${formatPercent(walked.percent)}%] `;
    out += `Sampled ${walked.sampled} keys in the keyspace!\n`;
    out += `Total key length in bytes is ${keyBytes} (avg len ${
      average(keyBytes, walked.sampled)
    })\n\n`;
    for (const type of types.values()) {
      if (type.biggestKey === undefined) continue;
      out += `Biggest ${type.name.padStart(6)} found '${type.biggestKey}' has ${type.biggest} ` +
        `${unitOf(type)}\n`;
    }
    out += "\n";
    for (const type of types.values()) {
      const share = walked.sampled === 0 ? 0 : 100 * type.count / walked.sampled;
      out += `${type.count} ${type.name}s with ${type.totalSize} ${unitOf(type)} ` +
        `(${formatPercent(share)}% of keys, avg size ${average(type.totalSize, type.count)})\n`;
    }
    writeOut(out);
  });
}

/** How many hot keys `--hotkeys` keeps. */
const HOT_KEYS = 16;

/**
 * `--hotkeys`: the 16 keys with the highest OBJECT FREQ (the server must
 * run an LFU maxmemory-policy; its error ends the mode otherwise).
 */
export function findHotKeys(connection: KacheConnection, options: WalkOptions): Promise<number> {
  // Ascending by counter; slot 0 is evicted first, as redis-cli's "eviction pool".
  const counters: bigint[] = new Array(HOT_KEYS).fill(0n);
  const hotKeys: (string | undefined)[] = new Array(HOT_KEYS).fill(undefined);
  const visit = async (keys: string[], percent: number, sampledBefore: number) => {
    let sampled = sampledBefore;
    const replies = await pipeline(connection, keys.map((key) => ["OBJECT", "FREQ", key]));
    let out = "";
    for (let i = 0; i < keys.length; i++) {
      const reply = replies[i]!;
      let freq = 0n;
      if (reply.type === "integer") freq = reply.value;
      else if (reply.type === "error") {
        writeOut(out);
        throw new WalkError(`Error: ${reply.message}\n`);
      } else {
        writeErr(
          `Warning: OBJECT freq on '${quoteString(keys[i]!)}' failed (may have been deleted)\n`,
        );
      }
      sampled++;
      if (sampled % PROGRESS_EVERY === 0) {
        out += `[${formatPercent(percent)}%] Sampled ${sampled} keys so far\n`;
      }
      let k = 0;
      while (k < HOT_KEYS && freq > counters[k]!) k++;
      if (k === 0) continue;
      k--;
      if (k !== 0 && counters[k] !== 0n) {
        // redis-cli's memmove: slots 1..k slide down one, the coolest key (slot 0) drops out.
        counters.splice(0, 1);
        counters.splice(k, 0, 0n);
        hotKeys.splice(0, 1);
        hotKeys.splice(k, 0, undefined);
      }
      counters[k] = freq;
      hotKeys[k] = quoteString(keys[i]!);
      out += `[${formatPercent(percent)}%] Hot key '${hotKeys[k]}' found so far with counter ` +
        `${freq}\n`;
    }
    writeOut(out);
    return keys.length;
  };
  return exitCode(async () => {
    const walked = await walk(connection, { ...options, what: "hot keys" }, visit);
    let out = "\n-------- summary -------\n\n";
    if (walked.cancelled) out += `[${formatPercent(walked.percent)}%] `;
    out += `Sampled ${walked.sampled} keys in the keyspace!\n`;
    for (let k = HOT_KEYS - 1; k >= 0; k--) {
      if (counters[k]! > 0n) {
        out += `hot key found with counter: ${counters[k]}\tkeyname: ${hotKeys[k]}\n`;
      }
    }
    writeOut(out);
  });
}
