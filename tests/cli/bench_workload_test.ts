import assert from "node:assert/strict";
import {
  BENCH_TESTS,
  type BenchTest,
  benchWorkload,
  type Command,
  createRandom,
  encodeRequestRing,
  fillRandomKeys,
  kacheProtocol,
  MAX_KEYSPACE,
  MIXED_LIST_LENGTH,
  mixedCommand,
  ORIGINAL_FIXED_COMMANDS,
  originalRandomCommand,
  originalWorkload,
  requestBatch,
  respProtocol,
  splitRequests,
  type WorkloadOptions,
  ZSET_SETUP_MEMBERS,
  zsetSetupCommands,
} from "../../cli/bench_workload.ts";
import { encodeKacheRequest, KacheDecoder } from "../../lib/protocol/kache.ts";
import { RespDecoder } from "../../lib/protocol/resp.ts";

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

/** Feeds `bytes` to a fresh RESP counter `step` bytes at a time; returns replies, errors, consumed. */
function countResp(bytes: Uint8Array, step: number): [number, number, number] {
  const counter = respProtocol.createReplyCounter();
  let scanned = 0;
  let replies = 0;
  let errors = 0;
  for (let end = Math.min(step, bytes.length);; end = Math.min(end + step, bytes.length)) {
    replies += counter.scan(bytes, scanned, end, Infinity);
    scanned += counter.consumed;
    errors += counter.errorReplies;
    assert.equal(counter.failure, undefined);
    if (end === bytes.length) break;
  }
  return [replies, errors, scanned];
}

const RESP_REPLIES = [
  "+OK\r\n",
  "-ERR wrong number of arguments for 'get' command\r\n",
  ":-42\r\n",
  "$5\r\nhe\r\nl\r\n", // a CRLF inside a bulk string is data, not framing
  "$-1\r\n",
  "$0\r\n\r\n",
  "*-1\r\n",
  "*0\r\n",
  "*4\r\n$9\r\nelement:0\r\n$1\r\n0\r\n$9\r\nelement:1\r\n$1\r\n1\r\n",
  "*2\r\n*2\r\n:1\r\n-ERR inside\r\n$-1\r\n", // nested, with an error that is data
  "_\r\n,1.5\r\n#t\r\n(123\r\n=7\r\ntxt:abc\r\n", // five RESP3 scalars
  "%1\r\n+k\r\n~2\r\n:1\r\n:2\r\n>1\r\n+m\r\n", // a RESP3 map holding a set, then a push
  "!9\r\nERR boom!\r\n",
];
/** The scalars line holds five replies and the map line two. */
const RESP_REPLY_COUNT = RESP_REPLIES.length + 4 + 1;

Deno.test("resp reply counter counts every reply shape, whole or split at any byte", () => {
  const bytes = new TextEncoder().encode(RESP_REPLIES.join(""));
  for (const step of [bytes.length, 1, 2, 3, 7]) {
    const [replies, errors, scanned] = countResp(bytes, step);
    assert.equal(replies, RESP_REPLY_COUNT, `step ${step}`);
    assert.equal(errors, 2, "only top-level - and ! replies are errors");
    assert.equal(scanned, bytes.length);
  }
});

Deno.test("resp reply counter never counts a reply before its last byte arrives", () => {
  const reply = new TextEncoder().encode("*2\r\n$3\r\nabc\r\n:7\r\n");
  const counter = respProtocol.createReplyCounter();
  for (let end = 0; end < reply.length; end++) {
    assert.equal(counter.scan(reply, 0, end, Infinity), 0, `${end} bytes`);
    assert.equal(counter.consumed, 0);
  }
  assert.equal(counter.scan(reply, 0, reply.length, Infinity), 1);
  assert.equal(counter.consumed, reply.length);
});

Deno.test("resp reply counter ignores stale bytes past the end it is given", () => {
  const bytes = new TextEncoder().encode("+OK\r\n+OK\r\n");
  const counter = respProtocol.createReplyCounter();
  // The buffer beyond `end` holds old data; "+OK" without its CRLF must stay incomplete.
  assert.equal(counter.scan(bytes, 0, 8, Infinity), 1);
  assert.equal(counter.consumed, 5);
});

Deno.test("resp reply counter stops at the limit", () => {
  const bytes = new TextEncoder().encode("+OK\r\n-ERR x\r\n:1\r\n");
  const counter = respProtocol.createReplyCounter();
  assert.equal(counter.scan(bytes, 0, bytes.length, 1), 1);
  assert.equal(counter.consumed, 5);
  assert.equal(counter.errorReplies, 0);
  assert.equal(counter.scan(bytes, 5, bytes.length, 5), 2);
  assert.equal(counter.errorReplies, 1);
});

Deno.test("resp reply counter reports bytes that are not RESP", () => {
  for (
    const [text, reason] of [
      ["HTTP/1.1 400\r\n", "unexpected byte 72 where a reply starts"],
      ["$abc\r\n", "a bad bulk length"],
      ["$-2\r\n", "a bad bulk length"],
      ["*x\r\n", "a bad aggregate length"],
      ["$3\r\nabcXY", "a bulk string not ended by CRLF"],
      ["+OK\rX", "a line not ended by CRLF"],
    ]
  ) {
    const counter = respProtocol.createReplyCounter();
    const bytes = new TextEncoder().encode(text);
    assert.equal(counter.scan(bytes, 0, bytes.length, Infinity), 0, text);
    assert.equal(counter.failure, reason, text);
  }
});

Deno.test("respProtocol encodes requests as RESP arrays of bulk strings", () => {
  assert.equal(
    new TextDecoder().decode(respProtocol.encode(["SET", "key:1", "xxx"])),
    "*3\r\n$3\r\nSET\r\n$5\r\nkey:1\r\n$3\r\nxxx\r\n",
  );
});

const REDIS_OPTIONS: WorkloadOptions = { valueSize: 3, randomKeys: false, seed: 1 };

Deno.test("benchWorkload sends what redis-benchmark's tests of the same name send", () => {
  const expected: [BenchTest, string, Command][] = [
    ["set", "SET", ["SET", "key:__rand_int__", "xxx"]],
    ["get", "GET", ["GET", "key:__rand_int__"]],
    ["incr", "INCR", ["INCR", "counter:__rand_int__"]],
    ["zadd", "ZADD", ["ZADD", "myzset", "0", "element:__rand_int__"]],
    ["zrange", "ZRANGE myzset 0 9", ["ZRANGE", "myzset", "0", "9"]],
    ["zquery", "ZQUERY myzset 0 element:0 0 20", ["ZQUERY", "myzset", "0", "element:0", "0", "20"]],
  ];
  for (const [test, title, command] of expected) {
    const workload = benchWorkload(test, REDIS_OPTIONS);
    assert.equal(workload.name, test);
    assert.equal(workload.title, title);
    assert.deepEqual(workload.commandsFor(0), [command]);
    assert.deepEqual(workload.commandsFor(7), [command]);
  }
});

Deno.test("benchWorkload honours the value size and randomises ZADD's score with -r", () => {
  const options = { valueSize: 100, randomKeys: true, seed: 1 };
  assert.deepEqual(benchWorkload("set", options).commandsFor(0), [
    ["SET", "key:__rand_int__", "x".repeat(100)],
  ]);
  assert.deepEqual(benchWorkload("zadd", options).commandsFor(0), [
    ["ZADD", "myzset", "__rand_int__", "element:__rand_int__"],
  ]);
});

Deno.test("benchWorkload populates myzset before zrange and zquery, and nothing else", () => {
  const setup = zsetSetupCommands();
  assert.equal(setup.length, ZSET_SETUP_MEMBERS);
  assert.deepEqual(setup[0], ["ZADD", "myzset", "0", "element:0"]);
  assert.deepEqual(setup[99], ["ZADD", "myzset", "99", "element:99"]);
  for (const test of BENCH_TESTS) {
    const expectSetup = test === "zrange" || test === "zquery";
    assert.deepEqual(benchWorkload(test, REDIS_OPTIONS).setup, expectSetup ? setup : [], test);
  }
});

Deno.test("benchWorkload original is the original workload", () => {
  assert.deepEqual(
    benchWorkload("original", { ...REDIS_OPTIONS, seed: 4 }).commandsFor(2),
    originalWorkload(4).commandsFor(2),
  );
});

Deno.test("mixed workload is 50% GET, 35% SET, 15% ZADD on the single-test keys", () => {
  const random = createRandom(3);
  const counts = new Map<string, number>();
  const draws = 20_000;
  for (let i = 0; i < draws; i++) {
    const command = mixedCommand(random, REDIS_OPTIONS);
    counts.set(command[0]!, (counts.get(command[0]!) ?? 0) + 1);
    const single = benchWorkload(command[0]!.toLowerCase() as BenchTest, REDIS_OPTIONS);
    assert.deepEqual(single.commandsFor(0), [command]);
  }
  // ±1.5 points is over 4 standard deviations for 20,000 draws.
  for (const [name, share] of [["GET", 0.5], ["SET", 0.35], ["ZADD", 0.15]] as const) {
    assert.ok(Math.abs(counts.get(name)! / draws - share) < 0.015, `${name}: ${counts.get(name)}`);
  }
  const mixed = benchWorkload("mixed", REDIS_OPTIONS);
  assert.equal(mixed.commandsFor(0).length, MIXED_LIST_LENGTH);
  assert.deepEqual(mixed.commandsFor(1), benchWorkload("mixed", REDIS_OPTIONS).commandsFor(1));
  assert.notDeepEqual(mixed.commandsFor(0), mixed.commandsFor(1));
});

Deno.test("fillRandomKeys writes 12 zero-padded digits in range into every placeholder", () => {
  const commands: Command[] = [["ZADD", "myzset", "__rand_int__", "element:__rand_int__"], [
    "PING",
  ]];
  const ring = encodeRequestRing(commands, respProtocol, 3);
  assert.equal(ring.randomSlots.length, 4, "two placeholders, twice: one period plus the wrap");
  const random = createRandom(9);
  const seen = new Set<number>();
  for (let round = 0; round < 200; round++) {
    const start = round % 2;
    fillRandomKeys(ring, start, 3, 1000, random);
    const decoded = new RespDecoder().decode(ring.bytes, ring.offsets[start]!, ring.bytes.length);
    const requests = decoded.requests.slice(0, 3);
    for (const request of requests) {
      if (request[0] === "PING") continue;
      assert.match(request[2]!, /^\d{12}$/);
      const member = /^element:(\d{12})$/.exec(request[3]!);
      assert.ok(member, request[3]);
      for (const digits of [request[2]!, member[1]!]) {
        const value = Number(digits);
        assert.ok(value >= 0 && value < 1000);
        seen.add(value);
      }
    }
  }
  // About 450 of 1000 are expected; a constant or stuck stream gives a handful.
  assert.ok(seen.size > 200, `only ${seen.size} distinct keys`);
});

Deno.test("fillRandomKeys reaches 12-digit keys for the largest keyspace", () => {
  const ring = encodeRequestRing([["GET", "key:__rand_int__"]], kacheProtocol, 1);
  fillRandomKeys(ring, 0, 1, MAX_KEYSPACE, () => 0.999999999999);
  const decoded = new KacheDecoder().decode(ring.bytes, 0, ring.bytes.length);
  assert.deepEqual(decoded.requests, [["GET", "key:999999999999"]]);
});

Deno.test("encodeRequestRing leaves a workload without placeholders alone", () => {
  const ring = encodeRequestRing(originalWorkload(1).commandsFor(0), kacheProtocol, 4);
  assert.equal(ring.randomSlots.length, 0);
  const before = ring.bytes.slice();
  fillRandomKeys(ring, 0, 4, 10, createRandom(1));
  assert.deepEqual(ring.bytes, before);
});

Deno.test("reply counters keep the text of each error reply", () => {
  const resp = respProtocol.createReplyCounter();
  const text = "+OK\r\n-ERR unknown command 'x'\r\n$3\r\nabc\r\n!21\r\nSYNTAX invalid syntax\r\n";
  const bytes = new TextEncoder().encode(text);
  assert.equal(resp.scan(bytes, 0, bytes.length, Infinity), 4);
  assert.deepEqual(resp.errorTexts, ["ERR unknown command 'x'", "SYNTAX invalid syntax"]);
  assert.equal(resp.scan(bytes, 0, 5, Infinity), 1);
  assert.deepEqual(resp.errorTexts, [], "each scan reports its own");
  const message = new TextEncoder().encode("ERR bad");
  // Binary frame: u32 length, u32 status 3, tag 1, u32 length, message.
  const frame = new Uint8Array(4 + 4 + 1 + 4 + message.length);
  const view = new DataView(frame.buffer);
  view.setUint32(0, frame.length - 4, true);
  view.setUint32(4, 3, true);
  frame[8] = 1;
  view.setUint32(9, message.length, true);
  frame.set(message, 13);
  const kache = kacheProtocol.createReplyCounter();
  assert.equal(kache.scan(frame, 0, frame.length, Infinity), 1);
  assert.deepEqual(kache.errorTexts, ["ERR bad"]);
});
