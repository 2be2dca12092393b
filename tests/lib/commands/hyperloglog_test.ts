import assert from "node:assert/strict";
import { WRONGTYPE } from "../../../lib/errors.ts";
import { CORRUPTED_HYPERLOGLOG, HyperLogLog, NOT_HYPERLOGLOG } from "../../../lib/hyperloglog.ts";
import { NotifyClass, type Subscriptions } from "../../../lib/pubsub.ts";
import { error, integer, NIL, OK, ONE, type Reply, ZERO } from "../../../lib/reply.ts";
import { createHarness, type Harness } from "../../support/command_harness.ts";

/** The keyspace events `h` publishes from now on, as "event key". */
function recordEvents(h: Harness): string[] {
  h.server.pubsub.setNotifyFlags(NotifyClass.keyevent | NotifyClass.string);
  const seen: string[] = [];
  const subscriber = {
    subscriptions: undefined as Subscriptions | undefined,
    push(message: Reply) {
      if (message.kind !== "push" && message.kind !== "array") return;
      const [, , channel, key] = message.items.map((item) =>
        item.kind === "bulk" ? item.value : "?"
      );
      seen.push(`${channel!.replace("__keyevent@0__:", "")} ${key}`);
    },
  };
  h.server.pubsub.psubscribe(subscriber, "__keyevent@*");
  return seen;
}

/** The commands the append-only file would get from now on. */
function recordPropagation(h: Harness): string[][] {
  const logged: string[][] = [];
  h.commands.onWrite = (argv, context) =>
    logged.push(...(context.session.propagateAs ?? [[...argv]]));
  return logged;
}

Deno.test("PFADD replies 1 when a register changed or the key was created, else 0", () => {
  const h = createHarness();
  assert.deepEqual(h.run("PFADD", "h"), ONE);
  assert.deepEqual(h.run("PFADD", "h"), ZERO);
  assert.deepEqual(h.run("PFADD", "h", "a", "b"), ONE);
  assert.deepEqual(h.run("PFADD", "h", "a", "b"), ZERO);
  assert.deepEqual(h.run("PFCOUNT", "h"), integer(2));
  assert.deepEqual(h.run("TYPE", "h"), { kind: "status", text: "string" });
});

Deno.test("PF commands refuse other types and strings that are not HLLs with Redis's texts", () => {
  const h = createHarness();
  h.run("RPUSH", "list", "x");
  h.run("SET", "text", "not an hll at all");
  h.run("PFADD", "h", "a");
  for (const key of ["list", "text"]) {
    const expected = error(key === "list" ? WRONGTYPE : NOT_HYPERLOGLOG);
    assert.deepEqual(h.run("PFADD", key, "a"), expected);
    assert.deepEqual(h.run("PFCOUNT", key), expected);
    assert.deepEqual(h.run("PFCOUNT", "h", key), expected);
    assert.deepEqual(h.run("PFMERGE", "dest", "h", key), expected);
    assert.deepEqual(h.run("PFMERGE", key, "h"), expected);
  }
  assert.deepEqual(h.run("EXISTS", "dest"), ZERO);
  assert.deepEqual(h.run("GET", "text"), { kind: "bulk", value: "not an hll at all" });
});

Deno.test("PF commands answer INVALIDOBJ for a sparse HLL whose registers do not add up", () => {
  const h = createHarness();
  // The header with a stale cache, then one XZERO covering 100 registers instead of 16384.
  const corrupt = "HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80" + String.fromCharCode(0x40, 99);
  h.run("SET", "bad", corrupt);
  h.run("PFADD", "h", "a");
  assert.deepEqual(h.run("PFCOUNT", "bad"), error(CORRUPTED_HYPERLOGLOG));
  assert.deepEqual(h.run("PFCOUNT", "bad", "h"), error(CORRUPTED_HYPERLOGLOG));
  assert.deepEqual(h.run("PFMERGE", "dest", "bad"), error(CORRUPTED_HYPERLOGLOG));
  assert.deepEqual(
    h.run("PFADD", "bad", "an element past register 100"),
    error(CORRUPTED_HYPERLOGLOG),
  );
  assert.deepEqual(h.run("GET", "bad"), { kind: "bulk", value: corrupt });
});

Deno.test("PFCOUNT stores the cardinality it computed, as a change WATCH sees and the AOF logs", () => {
  const h = createHarness();
  h.run("PFADD", "h", "a", "b", "c");
  h.run("EXPIRE", "h", "100");
  const logged = recordPropagation(h);
  const other = h.newSession();
  other.run("WATCH", "h");
  other.run("MULTI");
  assert.deepEqual(h.run("PFCOUNT", "h"), integer(3));
  assert.deepEqual(other.run("EXEC"), { kind: "nil-array" });
  const value = h.run("GET", "h");
  assert.equal(value.kind === "bulk" && value.value.slice(8, 16), "\x03\0\0\0\0\0\0\0");
  assert.deepEqual(h.run("TTL", "h"), integer(100));
  // Served from the cache now: no change, nothing logged.
  assert.deepEqual(h.run("PFCOUNT", "h"), integer(3));
  assert.deepEqual(h.run("PFCOUNT", "h", "missing"), integer(3));
  assert.deepEqual(h.run("PFCOUNT", "missing"), ZERO);
  assert.deepEqual(logged, [["PFCOUNT", "h"]]);
});

Deno.test("PFCOUNT answers a hand-made cached cardinality above 2^53 exactly", () => {
  const h = createHarness();
  const hll = HyperLogLog.empty().toString();
  h.run("SET", "h", hll.slice(0, 8) + "\0\0\0\0\0\0\0\x7f" + hll.slice(16));
  assert.deepEqual(h.run("PFCOUNT", "h"), integer(0x7f00000000000000n));
});

Deno.test("PFMERGE unions sources and destination, and creates a missing destination", () => {
  const h = createHarness();
  h.run("PFADD", "a", "1", "2", "3");
  h.run("PFADD", "b", "3", "4");
  assert.deepEqual(h.run("PFMERGE", "empty"), OK);
  assert.deepEqual(h.run("PFCOUNT", "empty"), ZERO);
  assert.deepEqual(h.run("PFMERGE", "u", "a", "b", "missing"), OK);
  assert.deepEqual(h.run("PFCOUNT", "u"), integer(4));
  h.run("PFADD", "c", "5");
  assert.deepEqual(h.run("PFMERGE", "c", "a"), OK);
  assert.deepEqual(h.run("PFCOUNT", "c"), integer(4));
  assert.deepEqual(h.run("PFCOUNT", "a", "b", "c"), integer(5));
});

Deno.test("PFADD and PFMERGE announce pfadd; a PFADD that changes nothing announces nothing", () => {
  const h = createHarness();
  const seen = recordEvents(h);
  h.run("PFADD", "h", "a");
  h.run("PFADD", "h", "a");
  h.run("PFMERGE", "m", "h");
  h.run("PFCOUNT", "h");
  assert.deepEqual(seen, ["pfadd h", "pfadd m"]);
});

Deno.test("hll-sparse-max-bytes decides when PFADD turns an HLL dense", () => {
  const h = createHarness();
  assert.deepEqual(h.run("CONFIG", "SET", "hll-sparse-max-bytes", "100"), OK);
  for (let i = 0; i < 60; i++) h.run("PFADD", "small", `element-${i}`);
  assert.deepEqual(h.run("STRLEN", "small"), integer(12304));
  h.run("CONFIG", "SET", "hll-sparse-max-bytes", "3000");
  for (let i = 0; i < 60; i++) h.run("PFADD", "large", `element-${i}`);
  const length = h.run("STRLEN", "large");
  assert.ok(length.kind === "integer" && length.value < 3000, JSON.stringify(length));
  assert.deepEqual(h.run("PFCOUNT", "small"), h.run("PFCOUNT", "large"));
  assert.deepEqual(h.run("GET", "none"), NIL);
});
