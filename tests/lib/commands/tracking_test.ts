import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { SYNTAX } from "../../../lib/errors.ts";
import {
  array,
  bulk,
  error,
  integer,
  map,
  NIL,
  OK,
  push,
  type Reply,
  set,
} from "../../../lib/reply.ts";
import { createHarness, type Harness } from "../../support/command_harness.ts";

const NOW = 1_700_000_000_000;

/** A client of `harness` speaking RESP3 whose pushes land in `pushed`. */
function resp3Client(harness: Harness, first = false) {
  const client = first ? { session: harness.session, run: harness.run } : harness.newSession();
  const pushed: Reply[] = [];
  client.session.protocol = 3;
  client.session.push = (message) => pushed.push(message);
  return { ...client, pushed };
}

function invalidate(...keys: string[]): Reply {
  return push([bulk("invalidate"), array(keys.map(bulk))]);
}

Deno.test("CLIENT TRACKING ON: a key the client read is invalidated once, on the next change", () => {
  const h = createHarness(NOW);
  const reader = resp3Client(h, true);
  const writer = h.newSession();
  deepStrictEqual(reader.run("CLIENT", "TRACKING", "ON"), OK);
  reader.run("GET", "k");
  writer.run("SET", "k", "1");
  writer.run("SET", "k", "2");
  writer.run("SET", "other", "1");
  deepStrictEqual(reader.pushed, [invalidate("k")]);
  strictEqual(h.server.tracking.keyCount, 0);
});

Deno.test("CLIENT TRACKING: the client's own write is announced after its reply", () => {
  const h = createHarness(NOW);
  const client = resp3Client(h, true);
  const order: string[] = [];
  client.session.push = () => order.push("push");
  h.newSession().run("MSET", "a", "1", "b", "2");
  client.run("CLIENT", "TRACKING", "ON");
  client.run("MGET", "a", "b");
  h.commands.execute(
    { keyspace: h.keyspace, session: client.session, server: h.server, commands: h.commands },
    ["DEL", "a", "b"],
  );
  order.push("reply");
  client.session.flushDeferredPushes();
  deepStrictEqual(order, ["reply", "push", "push"]);
});

Deno.test("CLIENT TRACKING NOLOOP: changes by the client itself are not announced to it", () => {
  const h = createHarness(NOW);
  const client = resp3Client(h, true);
  const other = h.newSession();
  client.run("CLIENT", "TRACKING", "ON", "NOLOOP");
  client.run("GET", "mine");
  client.run("GET", "theirs");
  client.run("SET", "mine", "1");
  other.run("SET", "theirs", "1");
  deepStrictEqual(client.pushed, [invalidate("theirs")]);
});

Deno.test("CLIENT TRACKING OPTIN tracks only reads after CLIENT CACHING YES, OPTOUT all but CACHING NO", () => {
  const h = createHarness(NOW);
  const optin = resp3Client(h, true);
  const optout = resp3Client(h);
  const writer = h.newSession();
  optin.run("CLIENT", "TRACKING", "ON", "OPTIN");
  optout.run("CLIENT", "TRACKING", "ON", "OPTOUT");
  optin.run("GET", "plain");
  deepStrictEqual(optin.run("CLIENT", "CACHING", "YES"), OK);
  optin.run("GET", "cached");
  optin.run("GET", "after");
  optout.run("GET", "plain");
  deepStrictEqual(optout.run("CLIENT", "CACHING", "NO"), OK);
  optout.run("GET", "cached");
  for (const key of ["plain", "cached", "after"]) writer.run("SET", key, "1");
  deepStrictEqual(optin.pushed, [invalidate("cached")]);
  deepStrictEqual(optout.pushed, [invalidate("plain")]);
});

Deno.test("CLIENT CACHING inside MULTI covers the whole transaction", () => {
  const h = createHarness(NOW);
  const client = resp3Client(h, true);
  const writer = h.newSession();
  client.run("CLIENT", "TRACKING", "ON", "OPTIN");
  client.run("CLIENT", "CACHING", "YES");
  client.run("MULTI");
  client.run("GET", "x");
  client.run("GET", "y");
  client.run("EXEC");
  client.run("GET", "z");
  for (const key of ["x", "y", "z"]) writer.run("SET", key, "1");
  deepStrictEqual(client.pushed, [invalidate("x"), invalidate("y")]);
});

Deno.test("CLIENT TRACKING BCAST sends changed keys under its prefixes, gathered and sorted", () => {
  const h = createHarness(NOW);
  const client = resp3Client(h, true);
  const writer = h.newSession();
  deepStrictEqual(
    client.run("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "user:", "PREFIX", "job:"),
    OK,
  );
  writer.run("SET", "user:2", "a");
  writer.run("SET", "user:1", "a");
  writer.run("SET", "other", "a");
  writer.run("SET", "job:9", "a");
  strictEqual(client.pushed.length, 0);
  h.server.tracking.flushBroadcasts();
  deepStrictEqual(client.pushed, [invalidate("job:9"), invalidate("user:1", "user:2")]);
  h.server.tracking.flushBroadcasts();
  strictEqual(client.pushed.length, 2);
});

Deno.test("CLIENT TRACKING REDIRECT to a RESP2 subscriber sends __redis__:invalidate messages", () => {
  const h = createHarness(NOW);
  const listener = h.newSession();
  const messages: Reply[] = [];
  listener.session.push = (message) => messages.push(message);
  listener.run("SUBSCRIBE", "__redis__:invalidate");
  messages.length = 0;
  const client = h.newSession();
  deepStrictEqual(
    client.run("CLIENT", "TRACKING", "ON", "REDIRECT", String(listener.session.id)),
    OK,
  );
  deepStrictEqual(client.run("CLIENT", "GETREDIR"), integer(listener.session.id));
  client.run("GET", "k");
  h.run("SET", "k", "v");
  h.run("FLUSHALL");
  const channel = bulk("__redis__:invalidate");
  deepStrictEqual(messages, [
    push([bulk("message"), channel, array([bulk("k")])]),
    push([bulk("message"), channel, NIL]),
  ]);
});

Deno.test("CLIENT TRACKING: a redirect that went away is reported as broken", () => {
  const h = createHarness(NOW);
  const gone = h.newSession();
  const client = resp3Client(h);
  client.run("CLIENT", "TRACKING", "ON", "REDIRECT", String(gone.session.id));
  client.run("GET", "k");
  gone.session.closed = true;
  h.run("SET", "k", "v");
  deepStrictEqual(client.pushed, [push([bulk("tracking-redir-broken"), integer(gone.session.id)])]);
  deepStrictEqual(
    client.run("CLIENT", "TRACKINGINFO"),
    map([
      [bulk("flags"), set([bulk("on"), bulk("broken_redirect")])],
      [bulk("redirect"), integer(gone.session.id)],
      [bulk("prefixes"), array([])],
    ]),
  );
});

Deno.test("CLIENT TRACKING: expiry and FLUSHALL invalidate", () => {
  const h = createHarness(NOW);
  const client = resp3Client(h, true);
  h.newSession().run("SET", "k", "v", "PX", "100");
  client.run("CLIENT", "TRACKING", "ON");
  client.run("GET", "k");
  h.setNow(NOW + 200);
  h.keyspace.expireDue(10);
  deepStrictEqual(client.pushed, [invalidate("k")]);
  client.run("FLUSHALL");
  deepStrictEqual(client.pushed[1], push([bulk("invalidate"), NIL]));
});

Deno.test("tracking-table-max-keys: the keys read longest ago are invalidated past the limit", () => {
  const h = createHarness(NOW);
  const client = resp3Client(h, true);
  h.server.tracking.maxKeys = 2;
  client.run("CLIENT", "TRACKING", "ON");
  client.run("GET", "a");
  client.run("GET", "b");
  client.run("GET", "c");
  deepStrictEqual(client.pushed, [invalidate("a")]);
  strictEqual(h.server.tracking.keyCount, 2);
  strictEqual(h.server.tracking.itemCount, 2);
});

Deno.test("CLIENT TRACKING option errors have Redis's texts", () => {
  const h = createHarness(NOW);
  const expect = (message: string, ...argv: string[]) =>
    deepStrictEqual(h.run("CLIENT", "TRACKING", ...argv), error(message));
  expect("ERR PREFIX option requires BCAST mode to be enabled", "ON", "PREFIX", "a");
  expect("ERR OPTIN and OPTOUT are not compatible with BCAST", "ON", "BCAST", "OPTIN");
  expect("ERR You can't specify both OPTIN mode and OPTOUT mode", "ON", "OPTIN", "OPTOUT");
  expect("ERR The client ID you want redirect to does not exist", "ON", "REDIRECT", "999");
  expect("ERR value is not an integer or out of range", "ON", "REDIRECT", "x");
  expect(
    "ERR A client can only redirect to a single other client",
    "ON",
    "REDIRECT",
    "1",
    "REDIRECT",
    "1",
  );
  expect(SYNTAX, "ON", "BOGUS");
  expect(SYNTAX, "MAYBE");
  expect(
    "ERR Prefix 'ab' overlaps with another provided prefix 'a'. " +
      "Prefixes for a single client must not overlap.",
    "ON",
    "BCAST",
    "PREFIX",
    "ab",
    "PREFIX",
    "a",
  );
  deepStrictEqual(h.run("CLIENT", "TRACKING", "ON", "OPTIN"), OK);
  expect(
    "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, " +
      "and then re-enabling it with a different mode.",
    "ON",
    "OPTOUT",
  );
  expect(
    "ERR You can't switch BCAST mode on/off before disabling tracking for this client, " +
      "and then re-enabling it with a different mode.",
    "ON",
    "BCAST",
  );
  deepStrictEqual(
    h.run("CLIENT", "CACHING", "NO"),
    error("ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode."),
  );
  deepStrictEqual(h.run("CLIENT", "TRACKING", "OFF"), OK);
  deepStrictEqual(h.run("CLIENT", "GETREDIR"), integer(-1));
  deepStrictEqual(
    h.run("CLIENT", "CACHING", "YES"),
    error(
      "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or " +
        "OPTOUT mode enabled",
    ),
  );
  strictEqual(h.server.tracking.clientCount, 0);
});

Deno.test("CLIENT INFO shows tracking as Redis does: flags t, R, B and redir", () => {
  const h = createHarness(NOW);
  const info = () => (h.run("CLIENT", "INFO") as { value: string }).value;
  strictEqual(/ flags=N .* redir=-1 /.test(info()), true);
  h.run("CLIENT", "TRACKING", "ON", "BCAST");
  strictEqual(/ flags=tB .* redir=0 /.test(info()), true);
  h.run("CLIENT", "TRACKING", "OFF");
  const other = h.newSession();
  h.run("CLIENT", "TRACKING", "ON", "REDIRECT", String(other.session.id));
  strictEqual(info().includes(` redir=${other.session.id} `), true);
});

Deno.test("RESET turns tracking off", () => {
  const h = createHarness(NOW);
  h.run("CLIENT", "TRACKING", "ON");
  h.run("RESET");
  deepStrictEqual(h.run("CLIENT", "GETREDIR"), integer(-1));
  strictEqual(h.server.tracking.clientCount, 0);
});
