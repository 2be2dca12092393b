/**
 * Argument fuzzing of every command and subcommand in the table, in-process
 * through the command harness (see `command_targets.ts` for the grammar and
 * the checks), plus regression tests for what the fuzzing found.
 */
import assert from "node:assert/strict";
import { error, integer, type Reply } from "../../lib/reply.ts";
import { type CommandFailure, CommandFuzzer, replyProblem } from "./command_targets.ts";
import { repoModule, runIsolated } from "./isolated.ts";
import { Random } from "./mutate.ts";

/** Argument lists per command or subcommand: about 140 entries × 120 ≈ 17,000 commands. */
const PER_COMMAND = 120;
/** Then a random mix, so commands also run after one another on shared keys. */
const MIXED = 3_000;
const SEED = 7;

function describe(failures: readonly CommandFailure[]): string {
  return failures.map((failure) =>
    `${failure.problem}\n  argv: ${JSON.stringify(failure.argv)}\n  after: ${
      JSON.stringify(failure.history.slice(-5))
    }`
  ).join("\n");
}

Deno.test("every command and subcommand answers fuzzed arguments with a well-formed reply", () => {
  const fuzzer = new CommandFuzzer(new Random(SEED));
  const failures: CommandFailure[] = [];
  for (const entry of fuzzer.entries) {
    for (let i = 0; i < PER_COMMAND && failures.length < 10; i++) {
      const failure = fuzzer.step(entry);
      if (failure !== undefined) failures.push(failure);
    }
  }
  for (let i = 0; i < MIXED && failures.length < 10; i++) {
    const failure = fuzzer.step();
    if (failure !== undefined) failures.push(failure);
  }
  assert.equal(describe(failures), "");
  // Every entry was reached, not just generated: each one's name shows up in the outcomes.
  const names = new Set(fuzzer.entries.map((entry) => entry.words[0]!));
  for (const name of names) assert.ok(fuzzer.outcomes.has(name), `${name} never ran`);
});

Deno.test("the fuzzer's reply check flags what only a handler bug produces", () => {
  const problem = (reply: Reply) => replyProblem(reply, ["GET", "k"]);
  assert.equal(problem(error("ERR syntax error")), undefined);
  assert.equal(problem(error("WRONGTYPE Operation against a key")), undefined);
  assert.match(problem(error("ERR internal error in 'get': boom"))!, /handler threw/);
  assert.match(problem(error("syntax error"))!, /code word/);
  assert.match(problem({ kind: "double", value: NaN })!, /double reply NaN/);
  assert.match(problem(integer(2 ** 60))!, /not a safe integer/);
  assert.match(problem(integer(2n ** 64n))!, /outside int64/);
  assert.match(problem({ kind: "bulk", value: "undefined" })!, /undefined/);
  assert.equal(replyProblem({ kind: "bulk", value: "undefined" }, ["GET", "undefined"]), undefined);
  assert.match(problem({ kind: "array", items: [undefined as unknown as Reply] })!, /not a Reply/);
  assert.match(problem({ kind: "bulk", value: "\u0100" })!, /above 0xFF/);
});

Deno.test("KEYS, SCAN MATCH and CONFIG GET with a 31-star pattern answer at once", async () => {
  // Found by the fuzzer's pattern tokens: globs compiled to backtracking RegExps, so
  // `*a*a*a*a*a*a*b` took 5 s against one 60-byte key and 31 stars never finished.
  // The child is killed after 60 s, so a regression fails the test instead of hanging it.
  const result = await runIsolated(`
    import { createHarness } from "${repoModule("tests/support/command_harness.ts")}";
    const harness = createHarness();
    harness.run("SET", "a".repeat(200), "no b: the worst case");
    harness.run("SET", "a".repeat(200) + "b", "matches");
    const pattern = "*a".repeat(30) + "*b";
    const keys = harness.run("KEYS", pattern);
    const scan = harness.run("SCAN", "0", "MATCH", pattern, "COUNT", "100");
    const config = harness.run("CONFIG", "GET", "*e".repeat(30) + "*z");
    console.log(JSON.stringify([keys, scan.items[1], config.entries.length]));
  `);
  assert.equal(result.code, 0, result.stderr);
  const matched = { kind: "array", items: [{ kind: "bulk", value: "a".repeat(200) + "b" }] };
  assert.deepEqual(JSON.parse(result.stdout), [matched, matched, 0]);
});

Deno.test({
  name: "ZRANDMEMBER with a huge negative count answers within bounded memory",
  // Found by the fuzzer: a negative count draws |count| members with repeats, and the
  // whole reply was built first, so one 3-word command exhausted V8's heap and killed
  // the server. Kache now refuses counts past a limit (README: differences from Redis).
  async fn() {
    const result = await runIsolated(
      `
      import { createHarness } from "${repoModule("tests/support/command_harness.ts")}";
      const harness = createHarness();
      harness.run("ZADD", "z1", "1", "a");
      const reply = harness.run("ZRANDMEMBER", "z1", "-9223372036854775807");
      if (reply.kind !== "error") throw new Error("expected an error, got " + reply.kind);
    `,
      { heapMegabytes: 512 },
    );
    assert.equal(result.code, 0, result.stderr.slice(-2000));
  },
});
