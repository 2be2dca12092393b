import assert from "node:assert/strict";
import { Keyspace } from "../../lib/keyspace.ts";
import { Session } from "../../lib/session.ts";
import { WatchRegistry } from "../../lib/watch.ts";

let nextId = 1;
function newSession(): Session {
  return new Session({
    id: nextId++,
    wire: "resp",
    address: "127.0.0.1:50000",
    localAddress: "127.0.0.1:6379",
    createdAt: 0,
    authenticated: true,
  });
}

Deno.test("WatchRegistry.modified marks only the sessions watching that key", () => {
  const registry = new WatchRegistry();
  const watcher = newSession();
  const bystander = newSession();
  registry.watch(watcher, "k");
  registry.watch(bystander, "other");
  registry.modified("k");
  assert.equal(watcher.watchTouched, true);
  assert.equal(bystander.watchTouched, false);
});

Deno.test("WatchRegistry.expired marks watching sessions like a change", () => {
  const registry = new WatchRegistry();
  const watcher = newSession();
  registry.watch(watcher, "k");
  registry.expired("k");
  assert.equal(watcher.watchTouched, true);
});

Deno.test("WatchRegistry.flushed marks sessions whose watched key existed when watched", () => {
  const registry = new WatchRegistry();
  const onPresent = newSession();
  const onAbsent = newSession();
  registry.watch(onPresent, "present", true);
  registry.watch(onAbsent, "absent", false);
  registry.flushed();
  assert.equal(onPresent.watchTouched, true);
  assert.equal(onAbsent.watchTouched, false);
});

Deno.test("WatchRegistry.watch records the key on the session once", () => {
  const registry = new WatchRegistry();
  const session = newSession();
  registry.watch(session, "k", false);
  registry.watch(session, "k", true);
  assert.deepEqual([...session.watched], ["k"]);
  // The first WATCH decides: the key was absent then, so a flush does not count.
  registry.flushed();
  assert.equal(session.watchTouched, false);
});

Deno.test("WatchRegistry.unwatch forgets the session's keys and its touched mark", () => {
  const registry = new WatchRegistry();
  const session = newSession();
  registry.watch(session, "a");
  registry.watch(session, "b");
  registry.modified("a");
  registry.unwatch(session);
  assert.equal(session.watched.size, 0);
  assert.equal(session.watchTouched, false);
  assert.equal(registry.keyCount, 0);
  registry.modified("b");
  registry.flushed();
  assert.equal(session.watchTouched, false);
});

Deno.test("WatchRegistry.unwatch of one session keeps others watching the same key", () => {
  const registry = new WatchRegistry();
  const leaving = newSession();
  const staying = newSession();
  registry.watch(leaving, "k");
  registry.watch(staying, "k");
  registry.unwatch(leaving);
  assert.equal(registry.keyCount, 1);
  registry.modified("k");
  assert.equal(staying.watchTouched, true);
  assert.equal(leaving.watchTouched, false);
});

Deno.test("WatchRegistry as keyspace observer hears writes, deletes, expiry and flushes", () => {
  const keyspace = new Keyspace();
  const registry = new WatchRegistry();
  keyspace.observer = registry;
  keyspace.now = 1000;
  const session = newSession();
  const check = (change: () => void, label: string) => {
    registry.unwatch(session);
    registry.watch(session, "k", keyspace.has("k"));
    change();
    assert.equal(session.watchTouched, true, label);
  };
  check(() => keyspace.set("k", "v"), "set");
  check(() => keyspace.setExpiry("k", 2000), "expiry set");
  check(() => keyspace.persist("k"), "persist");
  check(() => keyspace.delete("k"), "delete");
  keyspace.set("k", "v");
  check(() => keyspace.flush(), "flush");
  keyspace.set("k", "v");
  keyspace.setExpiry("k", 1500);
  check(() => {
    keyspace.now = 1600;
    keyspace.expireDue(10);
  }, "active expiry");
});
