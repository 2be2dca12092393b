import assert from "node:assert/strict";
import { Keyspace } from "../../lib/keyspace.ts";

const db0 = new Keyspace(0);
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
  registry.watch(watcher, 0, "k");
  registry.watch(bystander, 0, "other");
  registry.modified("k", db0);
  assert.equal(watcher.watchTouched, true);
  assert.equal(bystander.watchTouched, false);
});

Deno.test("WatchRegistry.expired marks watching sessions like a change", () => {
  const registry = new WatchRegistry();
  const watcher = newSession();
  registry.watch(watcher, 0, "k");
  registry.expired("k", db0);
  assert.equal(watcher.watchTouched, true);
});

Deno.test("WatchRegistry.flushed marks sessions whose watched key existed when watched", () => {
  const registry = new WatchRegistry();
  const onPresent = newSession();
  const onAbsent = newSession();
  registry.watch(onPresent, 0, "present", true);
  registry.watch(onAbsent, 0, "absent", false);
  registry.flushed(db0);
  assert.equal(onPresent.watchTouched, true);
  assert.equal(onAbsent.watchTouched, false);
});

Deno.test("WatchRegistry.watch records the key on the session once", () => {
  const registry = new WatchRegistry();
  const session = newSession();
  registry.watch(session, 0, "k", false);
  registry.watch(session, 0, "k", true);
  assert.deepEqual([...session.watched.get(0)!], ["k"]);
  // The first WATCH decides: the key was absent then, so a flush does not count.
  registry.flushed(db0);
  assert.equal(session.watchTouched, false);
});

Deno.test("WatchRegistry.unwatch forgets the session's keys and its touched mark", () => {
  const registry = new WatchRegistry();
  const session = newSession();
  registry.watch(session, 0, "a");
  registry.watch(session, 0, "b");
  registry.modified("a", db0);
  registry.unwatch(session);
  assert.equal(session.watched.size, 0);
  assert.equal(session.watchTouched, false);
  assert.equal(registry.keyCount, 0);
  registry.modified("b", db0);
  registry.flushed(db0);
  assert.equal(session.watchTouched, false);
});

Deno.test("WatchRegistry.unwatch of one session keeps others watching the same key", () => {
  const registry = new WatchRegistry();
  const leaving = newSession();
  const staying = newSession();
  registry.watch(leaving, 0, "k");
  registry.watch(staying, 0, "k");
  registry.unwatch(leaving);
  assert.equal(registry.keyCount, 1);
  registry.modified("k", db0);
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
    registry.watch(session, 0, "k", keyspace.has("k"));
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
