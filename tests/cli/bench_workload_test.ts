import assert from "node:assert/strict";
import {
  type Command,
  createRandom,
  encodeRequestRing,
  kacheProtocol,
  ORIGINAL_FIXED_COMMANDS,
  originalRandomCommand,
  originalWorkload,
  requestBatch,
  splitRequests,
} from "../../cli/bench_workload.ts";
import { encodeKacheRequest, KacheDecoder } from "../../lib/protocol/kache.ts";

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** A response frame with `status` and no data. */
function response(status: number): Uint8Array {
  return new Uint8Array([4, 0, 0, 0, status, 0, 0, 0]);
}

Deno.test("ORIGINAL_FIXED_COMMANDS are the original benchmark's 11 commands", () => {
  assert.deepEqual(ORIGINAL_FIXED_COMMANDS, [
    ["set", "user:1:name", "Alice"],
    ["set", "user:2:name", "Bob"],
    ["set", "user:3:name", "Charlie"],
    ["get", "user:1:name"],
    ["get", "user:2:name"],
    ["del", "user:3:name"],
    ["zadd", "leaderboard", "100", "Alice"],
    ["zadd", "leaderboard", "200", "Bob"],
    ["zscore", "leaderboard", "Bob"],
    ["zquery", "leaderboard", "100", "Alice", "0", "3"],
    ["zrem", "leaderboard", "Alice"],
  ]);
});

Deno.test("originalWorkload gives each connection 61 commands starting with the fixed 11", () => {
  const workload = originalWorkload(1);
  for (let connection = 0; connection < 4; connection++) {
    const commands = workload.commandsFor(connection);
    assert.equal(commands.length, 61);
    assert.deepEqual(commands.slice(0, 11), ORIGINAL_FIXED_COMMANDS);
  }
});

/** Integer text within [min, max], as the random mix writes numbers. */
function assertIntegerIn(text: string | undefined, min: number, max: number): number {
  assert.ok(text !== undefined && /^\d+$/.test(text), `not an integer: ${text}`);
  const value = Number(text);
  assert.ok(value >= min && value <= max, `${value} outside [${min}, ${max}]`);
  return value;
}

/** Checks one random command's shape and ranges; returns its kind and N. */
function checkRandomCommand(command: Command): [string, number] {
  const [name, ...args] = command;
  switch (name) {
    case "set":
    case "get":
    case "del": {
      const match = /^user:(\d+):name$/.exec(args[0] ?? "");
      assert.ok(match, `bad key in ${command.join(" ")}`);
      const n = assertIntegerIn(match[1], 1, 1000);
      if (name === "set") assert.deepEqual(args, [`user:${n}:name`, `value${n}`]);
      else assert.equal(args.length, 1);
      return [name, n];
    }
    case "zadd": {
      assert.equal(args.length, 3);
      assert.equal(args[0], "leaderboard");
      assertIntegerIn(args[1], 0, 1000);
      const match = /^user(\d+)$/.exec(args[2] ?? "");
      assert.ok(match, `bad member in ${command.join(" ")}`);
      return [name, assertIntegerIn(match[1], 1, 1000)];
    }
    case "zquery": {
      assert.equal(args.length, 5);
      assert.equal(args[0], "leaderboard");
      assert.equal(args[1], "0");
      const match = /^user(\d+)$/.exec(args[2] ?? "");
      assert.ok(match, `bad member in ${command.join(" ")}`);
      assertIntegerIn(args[3], 0, 4);
      assertIntegerIn(args[4], 1, 10);
      return [name, assertIntegerIn(match[1], 1, 1000)];
    }
    default:
      throw new Error(`unexpected command ${command.join(" ")}`);
  }
}

Deno.test("originalRandomCommand draws the five shapes evenly with values in range", () => {
  const random = createRandom(42);
  const kinds = new Map<string, number>();
  let minN = Infinity;
  let maxN = -Infinity;
  const draws = 20_000;
  for (let i = 0; i < draws; i++) {
    const [kind, n] = checkRandomCommand(originalRandomCommand(random));
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    minN = Math.min(minN, n);
    maxN = Math.max(maxN, n);
  }
  assert.deepEqual([...kinds.keys()].sort(), ["del", "get", "set", "zadd", "zquery"]);
  // Each kind expects 4,000 draws; ±10% is far beyond chance for a uniform draw.
  for (const count of kinds.values()) assert.ok(Math.abs(count - draws / 5) < draws / 50);
  assert.equal(minN, 1);
  assert.equal(maxN, 1000);
});

Deno.test("originalWorkload's random commands all have valid shapes", () => {
  const workload = originalWorkload(7);
  for (let connection = 0; connection < 8; connection++) {
    for (const command of workload.commandsFor(connection).slice(11)) checkRandomCommand(command);
  }
});

Deno.test("originalWorkload is deterministic by seed and differs per connection", () => {
  assert.deepEqual(originalWorkload(5).commandsFor(0), originalWorkload(5).commandsFor(0));
  assert.deepEqual(originalWorkload(5).commandsFor(3), originalWorkload(5).commandsFor(3));
  assert.notDeepEqual(originalWorkload(5).commandsFor(0), originalWorkload(6).commandsFor(0));
  assert.notDeepEqual(originalWorkload(5).commandsFor(0), originalWorkload(5).commandsFor(1));
});

Deno.test("createRandom returns floats in [0, 1) that repeat by seed", () => {
  const a = createRandom(123);
  const b = createRandom(123);
  for (let i = 0; i < 1000; i++) {
    const value = a();
    assert.equal(value, b());
    assert.ok(value >= 0 && value < 1);
  }
});

Deno.test("encodeRequestRing serves every batch as contiguous encoded requests", () => {
  const commands = originalWorkload(1).commandsFor(0);
  const encoded = commands.map(encodeKacheRequest);
  for (const window of [1, 7, 61, 150]) {
    const ring = encodeRequestRing(commands, kacheProtocol, window);
    assert.equal(ring.period, 61);
    for (const start of [0, 1, 30, 60]) {
      const expected = Array.from({ length: window }, (_, i) => encoded[(start + i) % 61]!);
      assert.deepEqual(requestBatch(ring, start, window), concat(expected));
    }
  }
});

Deno.test("encodeRequestRing's requests decode back to the commands", () => {
  const commands = originalWorkload(3).commandsFor(2);
  const ring = encodeRequestRing(commands, kacheProtocol, 1);
  const decoded = new KacheDecoder().decode(ring.bytes, 0, ring.bytes.length);
  assert.equal(decoded.error, undefined);
  assert.deepEqual(decoded.requests, commands);
});

Deno.test("splitRequests spreads a total evenly across connections", () => {
  assert.deepEqual(splitRequests(10, 4), [3, 3, 2, 2]);
  assert.deepEqual(splitRequests(8, 4), [2, 2, 2, 2]);
  assert.deepEqual(splitRequests(2, 4), [1, 1, 0, 0]);
  assert.equal(splitRequests(1_220_000, 7).reduce((a, b) => a + b), 1_220_000);
});

Deno.test("kache reply counter counts frames split across reads", () => {
  const bytes = concat([
    response(0),
    new Uint8Array([5, 0, 0, 0, 2, 0, 0, 0, 0]), // status not-found, nil item
    response(3),
  ]);
  const counter = kacheProtocol.createReplyCounter();
  let scanned = 0;
  let replies = 0;
  let errors = 0;
  // Feed one byte at a time: the worst case of replies split across reads.
  for (let end = 1; end <= bytes.length; end++) {
    replies += counter.scan(bytes, scanned, end, Infinity);
    scanned += counter.consumed;
    errors += counter.errorReplies;
    assert.equal(counter.failure, undefined);
  }
  assert.equal(replies, 3);
  assert.equal(scanned, bytes.length);
  assert.equal(errors, 1, "only status 3 counts as an error");
});

Deno.test("kache reply counter stops at the limit", () => {
  const bytes = concat([response(0), response(3), response(0)]);
  const counter = kacheProtocol.createReplyCounter();
  assert.equal(counter.scan(bytes, 0, bytes.length, 1), 1);
  assert.equal(counter.consumed, 8);
  assert.equal(counter.scan(bytes, 8, bytes.length, 5), 2);
  assert.equal(counter.consumed, 16);
  assert.equal(counter.errorReplies, 1);
});

Deno.test("kache reply counter reports a length too small to hold a status", () => {
  const counter = kacheProtocol.createReplyCounter();
  const bytes = new Uint8Array([2, 0, 0, 0, 0, 0, 0, 0]);
  assert.equal(counter.scan(bytes, 0, bytes.length, 1), 0);
  assert.equal(counter.failure, "bad response length 2");
});
