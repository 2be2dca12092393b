/**
 * The blocking registry on its own: arrival order, keys made ready by
 * serving, cancellation, timeouts, and SWAPDB moving waiters with their
 * database number. Waiters here pop from plain lists in a Keyspace.
 */
import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { BlockingRegistry, type Waiter } from "../../lib/blocking.ts";
import { Keyspace } from "../../lib/keyspace.ts";
import { List } from "../../lib/list.ts";
import { bulk, NIL_ARRAY, type Reply } from "../../lib/reply.ts";
import { Session } from "../../lib/session.ts";

function session(id: number, woken: string[]): Session {
  const created = new Session({
    id,
    wire: "resp",
    address: `127.0.0.1:${id}`,
    localAddress: "127.0.0.1:6379",
    createdAt: 0,
    authenticated: true,
  });
  created.wake = (reply) => woken.push(`${id}:${reply.kind === "bulk" ? reply.value : reply.kind}`);
  return created;
}

/** A waiter that pops the head of the first list it is offered, optionally pushing it on. */
function popper(
  owner: Session,
  keyspace: Keyspace,
  keys: string[],
  options: { deadline?: number; pushTo?: string } = {},
): Waiter {
  return {
    session: owner,
    keyspace,
    keys,
    deadline: options.deadline ?? 0,
    serve(key, here): Reply | undefined {
      const list = here.get(key);
      if (!(list instanceof List)) return undefined;
      const value = list.popFront()!;
      here.storeCollection(key, list);
      if (options.pushTo !== undefined) {
        const target = (here.get(options.pushTo) as List | undefined) ?? new List();
        target.pushBack(value);
        here.storeCollection(options.pushTo, target);
      }
      return bulk(value);
    },
  };
}

function push(keyspace: Keyspace, key: string, ...values: string[]): void {
  const list = (keyspace.get(key) as List | undefined) ?? new List();
  for (const value of values) list.pushBack(value);
  keyspace.storeCollection(key, list);
}

Deno.test("BlockingRegistry serves each key's waiters in arrival order, once the caller asks", () => {
  const registry = new BlockingRegistry();
  const keyspace = new Keyspace();
  const woken: string[] = [];
  registry.block(popper(session(1, woken), keyspace, ["a", "b"]));
  registry.block(popper(session(2, woken), keyspace, ["b"]));
  registry.block(popper(session(3, woken), keyspace, ["b", "b"]));
  push(keyspace, "b", "x", "y");
  deepStrictEqual(woken, [], "nothing is served in the middle of a command");
  strictEqual(registry.hasReady, true);
  registry.serveReady();
  deepStrictEqual(woken, ["1:x", "2:y"]);
  strictEqual(registry.blockedCount, 1);
  push(keyspace, "b", "z");
  registry.serveReady();
  deepStrictEqual(woken, ["1:x", "2:y", "3:z"]);
  strictEqual(keyspace.waits, undefined, "the keyspace stops reporting once no one waits");
});

Deno.test("BlockingRegistry serves keys that serving made ready in the same pass", () => {
  const registry = new BlockingRegistry();
  const keyspace = new Keyspace();
  const woken: string[] = [];
  registry.block(popper(session(1, woken), keyspace, ["first"], { pushTo: "second" }));
  registry.block(popper(session(2, woken), keyspace, ["second"]));
  push(keyspace, "first", "v");
  registry.serveReady();
  deepStrictEqual(woken, ["1:v", "2:v"]);
  strictEqual(keyspace.size, 0);
});

Deno.test("BlockingRegistry forgets cancelled waiters and times out due ones", () => {
  const registry = new BlockingRegistry();
  const keyspace = new Keyspace();
  const woken: string[] = [];
  const leaving = session(1, woken);
  registry.block(popper(leaving, keyspace, ["k"]));
  registry.block(popper(session(2, woken), keyspace, ["k"], { deadline: 500 }));
  registry.block(popper(session(3, woken), keyspace, ["other"], { deadline: 100 }));
  registry.cancel(leaving);
  strictEqual(leaving.blocked, undefined);
  strictEqual(registry.nextDeadline(), 100);
  strictEqual(registry.expire(99, NIL_ARRAY), 0);
  strictEqual(registry.expire(500, NIL_ARRAY), 2);
  deepStrictEqual(woken, ["3:nil-array", "2:nil-array"]);
  strictEqual(registry.blockedCount, 0);
});

Deno.test("BlockingRegistry.swappedContents readies waited keys that now hold values", () => {
  const registry = new BlockingRegistry();
  const zero = new Keyspace();
  const one = new Keyspace();
  const woken: string[] = [];
  registry.block(popper(session(1, woken), zero, ["k"]));
  push(one, "k", "from one");
  registry.serveReady();
  deepStrictEqual(woken, []);
  // SWAPDB 0 1: the contents change places, the client stays with database 0.
  zero.swapContents(one);
  registry.swappedContents(zero, one);
  registry.serveReady();
  deepStrictEqual(woken, ["1:from one"]);
});
