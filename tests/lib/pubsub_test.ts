import assert from "node:assert/strict";
import fc from "fast-check";
import { globMatch } from "../../lib/glob.ts";
import { NotifyClass, PubSub, type Subscriber } from "../../lib/pubsub.ts";
import type { Reply } from "../../lib/reply.ts";

/** A subscriber that records what it is pushed, as [kind, ...strings]. */
function recorder(): Subscriber & { readonly received: string[][] } {
  const received: string[][] = [];
  return {
    subscriptions: undefined,
    received,
    push(message: Reply) {
      assert.equal(message.kind, "push");
      if (message.kind !== "push") return;
      received.push(message.items.map((item) => item.kind === "bulk" ? item.value : "?"));
    },
  };
}

Deno.test("PubSub.subscribe counts channels plus patterns and ignores repeats", () => {
  const pubsub = new PubSub();
  const subscriber = recorder();
  assert.equal(pubsub.subscribe(subscriber, "a"), 1);
  assert.equal(pubsub.subscribe(subscriber, "a"), 1);
  assert.equal(pubsub.psubscribe(subscriber, "a*"), 2);
  assert.equal(pubsub.psubscribe(subscriber, "a*"), 2);
  assert.equal(pubsub.subscribe(subscriber, "b"), 3);
  assert.deepEqual([...subscriber.subscriptions!.channels], ["a", "b"]);
  assert.deepEqual([...subscriber.subscriptions!.patterns], ["a*"]);
});

Deno.test("PubSub.unsubscribe leaves subscribed mode when the count reaches zero", () => {
  const pubsub = new PubSub();
  const subscriber = recorder();
  pubsub.subscribe(subscriber, "a");
  pubsub.psubscribe(subscriber, "p*");
  assert.equal(pubsub.unsubscribe(subscriber, "a"), 1);
  assert.equal(pubsub.unsubscribe(subscriber, "never"), 1);
  assert.notEqual(subscriber.subscriptions, undefined);
  assert.equal(pubsub.punsubscribe(subscriber, "p*"), 0);
  assert.equal(subscriber.subscriptions, undefined);
  assert.equal(pubsub.unsubscribe(subscriber, "a"), 0);
  assert.equal(pubsub.punsubscribe(subscriber, "p*"), 0);
  assert.deepEqual(pubsub.channels(), []);
  assert.equal(pubsub.patternCount, 0);
});

Deno.test("PubSub.publish delivers message to channel subscribers and pmessage per matching pattern", () => {
  const pubsub = new PubSub();
  const both = recorder();
  const other = recorder();
  pubsub.subscribe(both, "news.tech");
  pubsub.psubscribe(both, "news.*");
  pubsub.psubscribe(other, "news.?ech");
  pubsub.psubscribe(other, "sport.*");
  assert.equal(pubsub.publish("news.tech", "hello"), 3);
  assert.deepEqual(both.received, [
    ["message", "news.tech", "hello"],
    ["pmessage", "news.*", "news.tech", "hello"],
  ]);
  assert.deepEqual(other.received, [["pmessage", "news.?ech", "news.tech", "hello"]]);
  assert.equal(pubsub.publish("weather", "rain"), 0);
});

Deno.test("PubSub.publish hands every subscriber the same message object", () => {
  const pubsub = new PubSub();
  const seen: Reply[] = [];
  const subscribers: Subscriber[] = Array.from({ length: 3 }, () => ({
    subscriptions: undefined,
    push: (message: Reply) => seen.push(message),
  }));
  for (const subscriber of subscribers) pubsub.subscribe(subscriber, "c");
  assert.equal(pubsub.publish("c", "x"), 3);
  assert.equal(seen.length, 3);
  assert.ok(seen.every((message) => message === seen[0]), "one encoding can serve everyone");
});

Deno.test("PubSub.publish is binary-safe in channels, patterns and payloads", () => {
  const pubsub = new PubSub();
  const subscriber = recorder();
  const bytes = Array.from({ length: 256 }, (_, code) => String.fromCharCode(code)).join("");
  pubsub.subscribe(subscriber, bytes);
  pubsub.psubscribe(subscriber, "\x00*\xff");
  assert.equal(pubsub.publish(bytes, bytes), 2);
  assert.deepEqual(subscriber.received, [
    ["message", bytes, bytes],
    ["pmessage", "\x00*\xff", bytes, bytes],
  ]);
});

Deno.test("PubSub.unsubscribeAll forgets every channel and pattern without confirmations", () => {
  const pubsub = new PubSub();
  const leaving = recorder();
  const staying = recorder();
  pubsub.subscribe(leaving, "a");
  pubsub.subscribe(staying, "a");
  pubsub.psubscribe(leaving, "*");
  pubsub.unsubscribeAll(leaving);
  assert.equal(leaving.subscriptions, undefined);
  assert.equal(pubsub.subscriberCount("a"), 1);
  assert.equal(pubsub.patternCount, 0);
  assert.equal(pubsub.publish("a", "m"), 1);
  assert.deepEqual(leaving.received, []);
});

Deno.test("PubSub.channels lists active channels, filtered by a glob", () => {
  const pubsub = new PubSub();
  const subscriber = recorder();
  for (const channel of ["news.a", "news.b", "sport"]) pubsub.subscribe(subscriber, channel);
  pubsub.psubscribe(subscriber, "ignored.*");
  assert.deepEqual(pubsub.channels().sort(), ["news.a", "news.b", "sport"]);
  assert.deepEqual(pubsub.channels("news.*").sort(), ["news.a", "news.b"]);
  assert.deepEqual(pubsub.channels("x"), []);
  assert.equal(pubsub.channelCount, 3);
});

Deno.test("PubSub counts distinct patterns and per-channel subscribers", () => {
  const pubsub = new PubSub();
  const first = recorder();
  const second = recorder();
  pubsub.psubscribe(first, "a*");
  pubsub.psubscribe(second, "a*");
  pubsub.psubscribe(second, "b*");
  pubsub.subscribe(first, "c");
  pubsub.subscribe(second, "c");
  assert.equal(pubsub.patternCount, 2);
  assert.equal(pubsub.subscriberCount("c"), 2);
  assert.equal(pubsub.subscriberCount("a1"), 0, "pattern subscriptions are not counted");
});

Deno.test("PubSub.publish reaches exactly the subscribers whose channel or pattern matches", () => {
  const word = fc.stringMatching(/^[ab?*]{0,4}$/);
  fc.assert(fc.property(fc.array(word, { maxLength: 6 }), word, (patterns, channel) => {
    const literal = channel.replace(/[?*]/g, "a");
    const pubsub = new PubSub();
    const subscribers = patterns.map((pattern) => {
      const subscriber = recorder();
      pubsub.psubscribe(subscriber, pattern);
      return subscriber;
    });
    const expected = patterns.filter((pattern) => globMatch(pattern, literal)).length;
    assert.equal(pubsub.publish(literal, "m"), expected);
    assert.equal(subscribers.reduce((sum, s) => sum + s.received.length, 0), expected);
  }));
});

Deno.test("PubSub.setNotifyFlags stays 0 unless a class and a target (K or E) are both set", () => {
  const pubsub = new PubSub();
  pubsub.setNotifyFlags(NotifyClass.generic);
  assert.equal(pubsub.notifyFlags, 0);
  pubsub.setNotifyFlags(NotifyClass.keyspace | NotifyClass.keyevent);
  assert.equal(pubsub.notifyFlags, 0);
  pubsub.setNotifyFlags(NotifyClass.keyevent | NotifyClass.expired);
  assert.equal(pubsub.notifyFlags, NotifyClass.keyevent | NotifyClass.expired);
  pubsub.setNotifyFlags(0);
  assert.equal(pubsub.notifyFlags, 0);
});

Deno.test("PubSub.notifyKeyspaceEvent publishes on __keyspace@0__ and __keyevent@0__ as enabled", () => {
  const pubsub = new PubSub();
  const subscriber = recorder();
  pubsub.psubscribe(subscriber, "__key*__:*");
  pubsub.setNotifyFlags(NotifyClass.keyspace | NotifyClass.keyevent | NotifyClass.string);
  pubsub.notifyKeyspaceEvent(NotifyClass.string, "set", "k", 0);
  pubsub.notifyKeyspaceEvent(NotifyClass.generic, "del", "k", 0);
  pubsub.setNotifyFlags(NotifyClass.keyevent | NotifyClass.generic);
  pubsub.notifyKeyspaceEvent(NotifyClass.generic, "del", "k", 0);
  assert.deepEqual(subscriber.received, [
    ["pmessage", "__key*__:*", "__keyspace@0__:k", "set"],
    ["pmessage", "__key*__:*", "__keyevent@0__:set", "k"],
    ["pmessage", "__key*__:*", "__keyevent@0__:del", "k"],
  ]);
});
