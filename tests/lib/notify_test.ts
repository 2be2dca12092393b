import assert from "node:assert/strict";
import { Keyspace, type KeyspaceObserver } from "../../lib/keyspace.ts";
import {
  formatNotifyKeyspaceEvents,
  NOTIFY_ALL,
  NotifyingObserver,
  parseNotifyKeyspaceEvents,
} from "../../lib/notify.ts";
import { NotifyClass, PubSub } from "../../lib/pubsub.ts";
import type { Reply } from "../../lib/reply.ts";
import { WatchRegistry } from "../../lib/watch.ts";
import { createHarness, type Harness } from "../support/command_harness.ts";

const db0 = new Keyspace(0);

Deno.test("parseNotifyKeyspaceEvents reads Redis's letters and refuses anything else", () => {
  assert.equal(parseNotifyKeyspaceEvents(""), 0);
  assert.equal(parseNotifyKeyspaceEvents("K"), NotifyClass.keyspace);
  assert.equal(parseNotifyKeyspaceEvents("E$"), NotifyClass.keyevent | NotifyClass.string);
  assert.equal(parseNotifyKeyspaceEvents("A"), NOTIFY_ALL);
  assert.equal(parseNotifyKeyspaceEvents("Ag$lshzxeKEtmdn") !== undefined, true);
  for (const bad of ["Q", "k", "KE ", "a", "*", "KEA!"]) {
    assert.equal(parseNotifyKeyspaceEvents(bad), undefined, bad);
  }
});

Deno.test("formatNotifyKeyspaceEvents prints classes back in Redis's order", () => {
  // Each pair was checked against redis-server 7.0's CONFIG SET then CONFIG GET.
  const cases: [string, string][] = [
    ["", ""],
    ["KEA", "AKE"],
    ["KEAn", "AKE"],
    ["gz$xKm", "g$zxKm"],
    ["Ex", "xE"],
    ["EKz", "zKE"],
    ["A", "A"],
    ["nE", "nE"],
    ["g$lshzxetdK", "AK"],
  ];
  for (const [input, printed] of cases) {
    assert.equal(formatNotifyKeyspaceEvents(parseNotifyKeyspaceEvents(input)!), printed, input);
  }
});

/** Every pub/sub push a session receives, as space-joined strings. */
function collect(h: Harness, flags: string): string[] {
  const received: string[] = [];
  const subscriber = h.newSession();
  subscriber.session.push = (message: Reply) => {
    if (message.kind !== "push") return;
    received.push(message.items.map((item) => item.kind === "bulk" ? item.value : "").join(" "));
  };
  subscriber.run("PSUBSCRIBE", "__keyevent@0__:*");
  received.length = 0;
  h.server.pubsub.setNotifyFlags(parseNotifyKeyspaceEvents(flags)!);
  h.keyspace.observer = new NotifyingObserver(h.server.watches, h.server.pubsub);
  h.keyspace.reportNewKeys = (h.server.pubsub.notifyFlags & NotifyClass.newKey) !== 0;
  return received;
}

/** The `event key` pairs in what {@link collect} received. */
function events(received: readonly string[]): string[] {
  return received.map((line) => {
    const [, , channel, key] = line.split(" ");
    return `${channel!.slice("__keyevent@0__:".length)} ${key}`;
  });
}

Deno.test("string and generic writes notify Redis's event names", () => {
  const h = createHarness();
  const received = collect(h, "KEA");
  h.run("SET", "a", "1");
  h.run("INCRBY", "n", "2");
  h.run("INCRBYFLOAT", "f", "1.5");
  h.run("APPEND", "a", "x");
  h.run("SETRANGE", "a", "0", "y");
  h.run("EXPIRE", "a", "100");
  h.run("PERSIST", "a");
  h.run("PERSIST", "a");
  h.run("RENAME", "a", "b");
  h.run("COPY", "b", "c");
  h.run("DEL", "b", "missing", "c");
  assert.deepEqual(events(received), [
    "set a",
    "incrby n",
    "incrbyfloat f",
    "append a",
    "setrange a",
    "expire a",
    "persist a",
    "rename_from a",
    "rename_to b",
    "copy_to c",
    "del b",
    "del c",
  ]);
});

Deno.test("sorted-set writes notify their event and del when the set empties", () => {
  const h = createHarness();
  const received = collect(h, "KEA");
  h.run("ZADD", "z", "1", "a", "2", "b");
  h.run("ZADD", "z", "1", "a");
  h.run("ZINCRBY", "z", "1", "a");
  h.run("ZREM", "z", "a");
  h.run("ZPOPMIN", "z");
  h.run("ZUNIONSTORE", "u", "1", "z");
  assert.deepEqual(events(received), [
    "zadd z",
    "zincr z",
    "zrem z",
    "zpopmin z",
    "del z",
  ]);
});

Deno.test("only enabled classes are published: E$ ignores generic events", () => {
  const h = createHarness();
  const received = collect(h, "E$");
  h.run("SET", "a", "1");
  h.run("DEL", "a");
  h.run("ZADD", "z", "1", "m");
  assert.deepEqual(events(received), ["set a"]);
});

Deno.test("new-key events come first and only for keys that did not exist", () => {
  const h = createHarness();
  const received = collect(h, "KEn$z");
  h.run("SET", "a", "1");
  h.run("SET", "a", "2");
  h.run("ZADD", "z", "1", "m");
  h.run("ZADD", "z", "2", "n");
  assert.deepEqual(events(received), ["new a", "set a", "set a", "new z", "zadd z", "zadd z"]);
});

Deno.test("expired keys notify expired, from lazy and active expiry alike", () => {
  const h = createHarness(1000);
  const received = collect(h, "Ex");
  h.run("SET", "lazy", "1", "PX", "10");
  h.run("SET", "active", "1", "PX", "10");
  h.setNow(2000);
  h.run("GET", "lazy");
  h.keyspace.expireDue(10);
  assert.deepEqual(events(received), ["expired lazy", "expired active"]);
});

Deno.test("with notifications off, writes publish nothing even to keyevent subscribers", () => {
  const h = createHarness();
  const received = collect(h, "");
  h.run("SET", "a", "1");
  h.run("DEL", "a");
  assert.deepEqual(received, []);
  assert.equal(h.server.pubsub.notifyFlags, 0);
});

Deno.test("NotifyingObserver forwards every change to the WATCH registry it wraps", () => {
  const calls: string[] = [];
  const next: KeyspaceObserver = {
    modified: (key) => calls.push(`modified ${key}`),
    expired: (key) => calls.push(`expired ${key}`),
    flushed: () => calls.push("flushed"),
    // An evicted watched key must abort EXEC with notifications on, too.
    evicted: (key) => calls.push(`evicted ${key}`),
  };
  const observer = new NotifyingObserver(next, new PubSub());
  observer.modified("a", db0);
  observer.expired("b", db0);
  observer.flushed(db0);
  observer.created("c", db0);
  observer.evicted("d", db0);
  assert.deepEqual(calls, ["modified a", "expired b", "flushed", "evicted d"]);
  assert.ok(new NotifyingObserver(new WatchRegistry(), new PubSub()));
});

Deno.test("NotifyingObserver publishes evicted events for the eviction hook", () => {
  const pubsub = new PubSub();
  const received: string[] = [];
  pubsub.subscribe({
    subscriptions: undefined,
    push: (message) => {
      if (message.kind === "push" && message.items[2]?.kind === "bulk") {
        received.push(message.items[2].value);
      }
    },
  }, "__keyevent@0__:evicted");
  pubsub.setNotifyFlags(parseNotifyKeyspaceEvents("Ee")!);
  new NotifyingObserver(new WatchRegistry(), pubsub).evicted("big", db0);
  assert.deepEqual(received, ["big"]);
});
