import assert from "node:assert/strict";
import {
  array,
  bulk,
  EMPTY_ARRAY,
  error,
  integer,
  NIL,
  PONG,
  push,
  type Reply,
  status,
} from "../../../lib/reply.ts";
import { createHarness } from "../../support/command_harness.ts";

/** A harness whose first session records its pushes, and a second client to publish from. */
function setup() {
  const h = createHarness();
  const pushed: Reply[] = [];
  h.session.push = (message) => pushed.push(message);
  const publisher = h.newSession();
  return { h, pushed, publisher };
}

function confirmation(kind: string, name: string | undefined, count: number): Reply {
  return push([bulk(kind), name === undefined ? NIL : bulk(name), integer(count)]);
}

Deno.test("SUBSCRIBE confirms each channel: all but the last as pushes, the last as the reply", () => {
  const { h, pushed } = setup();
  assert.deepEqual(h.run("SUBSCRIBE", "a", "b", "a"), confirmation("subscribe", "a", 2));
  assert.deepEqual(pushed, [confirmation("subscribe", "a", 1), confirmation("subscribe", "b", 2)]);
});

Deno.test("PUBLISH reaches channel and pattern subscribers and replies the number of deliveries", () => {
  const { h, pushed, publisher } = setup();
  h.run("SUBSCRIBE", "news");
  h.run("PSUBSCRIBE", "n*");
  pushed.length = 0;
  assert.deepEqual(publisher.run("PUBLISH", "news", "hi"), integer(2));
  assert.deepEqual(publisher.run("PUBLISH", "other", "hi"), integer(0));
  assert.deepEqual(pushed, [
    push([bulk("message"), bulk("news"), bulk("hi")]),
    push([bulk("pmessage"), bulk("n*"), bulk("news"), bulk("hi")]),
  ]);
});

Deno.test("UNSUBSCRIBE without channels leaves all; with none it replies a nil channel", () => {
  const { h, pushed } = setup();
  assert.deepEqual(h.run("UNSUBSCRIBE"), confirmation("unsubscribe", undefined, 0));
  h.run("SUBSCRIBE", "a", "b");
  h.run("PSUBSCRIBE", "p*");
  pushed.length = 0;
  assert.deepEqual(h.run("UNSUBSCRIBE"), confirmation("unsubscribe", "b", 1));
  assert.deepEqual(pushed, [confirmation("unsubscribe", "a", 2)]);
  assert.deepEqual(h.run("UNSUBSCRIBE"), confirmation("unsubscribe", undefined, 1));
  assert.deepEqual(h.run("PUNSUBSCRIBE", "p*", "q*"), confirmation("punsubscribe", "q*", 0));
  assert.equal(h.session.subscriptions, undefined, "subscribed mode ends at zero");
  assert.deepEqual(h.run("PUNSUBSCRIBE"), confirmation("punsubscribe", undefined, 0));
});

Deno.test("PUBSUB CHANNELS, NUMSUB and NUMPAT describe the subscriptions", () => {
  const { h, publisher } = setup();
  h.run("SUBSCRIBE", "news.a", "news.b", "sport");
  h.run("PSUBSCRIBE", "x*", "y*");
  publisher.session.push = () => {};
  publisher.run("SUBSCRIBE", "sport");
  publisher.run("PSUBSCRIBE", "x*");
  const channels = publisher.run("PUBSUB", "CHANNELS");
  assert.equal(channels.kind, "array");
  assert.deepEqual(
    channels.kind === "array"
      ? channels.items.map((item) => item.kind === "bulk" && item.value).sort()
      : [],
    ["news.a", "news.b", "sport"],
  );
  assert.deepEqual(h.run("PUBSUB", "CHANNELS", "news.[a]"), array([bulk("news.a")]));
  assert.deepEqual(
    h.run("PUBSUB", "NUMSUB", "sport", "news.a", "none"),
    array([bulk("sport"), integer(2), bulk("news.a"), integer(1), bulk("none"), integer(0)]),
  );
  assert.deepEqual(h.run("PUBSUB", "NUMSUB"), EMPTY_ARRAY);
  assert.deepEqual(h.run("PUBSUB", "NUMPAT"), integer(2));
  assert.deepEqual(
    h.run("PUBSUB", "CHANNELS", "a", "b"),
    error("ERR unknown subcommand or wrong number of arguments for 'CHANNELS'. Try PUBSUB HELP."),
  );
  assert.deepEqual(
    h.run("PUBSUB", "FOO"),
    error("ERR unknown subcommand 'FOO'. Try PUBSUB HELP."),
  );
  const help = h.run("PUBSUB", "HELP");
  assert.ok(help.kind === "array" && help.items.length === 10);
});

Deno.test("PING in RESP2 subscribed mode answers [pong, message]; RESP3 and after leaving, PONG", () => {
  const { h } = setup();
  h.run("SUBSCRIBE", "a");
  assert.deepEqual(h.run("PING"), array([bulk("pong"), bulk("")]));
  assert.deepEqual(h.run("PING", "hi"), array([bulk("pong"), bulk("hi")]));
  h.session.protocol = 3;
  assert.deepEqual(h.run("PING"), PONG);
  h.session.protocol = 2;
  h.run("UNSUBSCRIBE");
  assert.deepEqual(h.run("PING"), PONG);
});

Deno.test("CLIENT LIST shows sub, psub, the P flag and the pubsub type", () => {
  const { h } = setup();
  h.run("SUBSCRIBE", "a", "b");
  h.run("PSUBSCRIBE", "c*");
  const list = h.newSession().run("CLIENT", "LIST", "TYPE", "pubsub");
  assert.ok(list.kind === "verbatim" || list.kind === "bulk");
  const line = list.kind === "verbatim" || list.kind === "bulk" ? list.value : "";
  assert.match(line, /^id=1 .* flags=P db=0 sub=2 psub=1 ssub=0 /);
  assert.equal(line.trim().split("\n").length, 1);
});

Deno.test("RESET leaves subscribed mode and drops every subscription", () => {
  const { h, publisher } = setup();
  h.run("SUBSCRIBE", "a");
  h.run("PSUBSCRIBE", "*");
  assert.deepEqual(h.run("RESET"), status("RESET"));
  assert.equal(h.session.subscriptions, undefined);
  assert.deepEqual(publisher.run("PUBLISH", "a", "m"), integer(0));
});

Deno.test("SUBSCRIBE and PUBLISH check their arity through the table", () => {
  const { h } = setup();
  assert.deepEqual(
    h.run("SUBSCRIBE"),
    error("ERR wrong number of arguments for 'subscribe' command"),
  );
  assert.deepEqual(
    h.run("PUBLISH", "a"),
    error("ERR wrong number of arguments for 'publish' command"),
  );
});
