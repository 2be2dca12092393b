/**
 * Pub/Sub: which subscribers listen to which channels and patterns, and
 * fan-out of published messages to them (Redis's `pubsub.c`), with no I/O.
 *
 * Decisions that shape the module:
 *
 * - A subscriber is anything with a `push` callback and a slot for its own
 *   {@link Subscriptions}; the server's sessions are subscribers. `push` must
 *   return at once — the server appends the encoded message to the
 *   connection's pending output and a writer drains it later — so PUBLISH
 *   never waits on a slow subscriber.
 * - One message {@link Reply} is built per channel (and per matching
 *   pattern) and handed to every subscriber, so a wire can encode it once
 *   and share the bytes between all subscribers of the same protocol.
 * - Patterns are compiled to RegExps once, at PSUBSCRIBE. A publish tests
 *   every distinct pattern, as Redis does: O(channel subscribers + patterns).
 * - Keyspace notifications ({@link PubSub.notifyKeyspaceEvent}) publish on
 *   `__keyspace@<db>__:<key>` and `__keyevent@<db>__:<event>`; {@link PubSub.notifyFlags}
 *   is zero whenever nothing would be published, so callers test it first
 *   and pay nothing else when notifications are off.
 *
 * @module
 */
import { globToRegExp } from "./glob.ts";
import { bulk, push, type Reply } from "./reply.ts";

/** The channels and patterns one subscriber listens to. */
export class Subscriptions {
  readonly channels = new Set<string>();
  readonly patterns = new Set<string>();

  /** Channels plus patterns: the count (P)SUBSCRIBE replies carry. */
  get count(): number {
    return this.channels.size + this.patterns.size;
  }
}

/** Something that receives messages: in the server, a client session. */
export interface Subscriber {
  /** What it listens to; undefined while it listens to nothing (not in subscribed mode). */
  subscriptions: Subscriptions | undefined;
  /** Queues one message for delivery and returns at once; undefined drops messages. */
  push: ((message: Reply) => void) | undefined;
}

/** Keyspace notification classes, Redis's `NOTIFY_*` bits (see `notify.ts` for the letters). */
export const NotifyClass = {
  /** K: publish on `__keyspace@<db>__:<key>`. */
  keyspace: 1 << 0,
  /** E: publish on `__keyevent@0__:<event>`. */
  keyevent: 1 << 1,
  /** g: generic commands (DEL, EXPIRE, RENAME…). */
  generic: 1 << 2,
  /** $: string commands. */
  string: 1 << 3,
  list: 1 << 4,
  set: 1 << 5,
  hash: 1 << 6,
  /** z: sorted-set commands. */
  zset: 1 << 7,
  /** x: a key reached its TTL. */
  expired: 1 << 8,
  /** e: a key was evicted for memory. */
  evicted: 1 << 9,
  stream: 1 << 10,
  /** m: a read found no key (never emitted by Kache). */
  keyMiss: 1 << 11,
  module: 1 << 13,
  /** n: a key was created. */
  newKey: 1 << 14,
} as const;

const MESSAGE = bulk("message");
const PMESSAGE = bulk("pmessage");
/** Channel prefixes per database, built once per database that publishes. */
const keyspacePrefixes: string[] = [];
const keyeventPrefixes: string[] = [];

function keyspacePrefix(db: number): string {
  return keyspacePrefixes[db] ??= `__keyspace@${db}__:`;
}

function keyeventPrefix(db: number): string {
  return keyeventPrefixes[db] ??= `__keyevent@${db}__:`;
}

interface PatternEntry {
  readonly matcher: RegExp;
  readonly subscribers: Set<Subscriber>;
}

/**
 * The registry: channel → subscribers, pattern → subscribers.
 *
 * @example Publishing to a channel and a pattern
 * ```ts
 * import { PubSub, type Subscriber } from "./pubsub.ts";
 * import type { Reply } from "./reply.ts";
 * import assert from "node:assert/strict";
 *
 * const received: Reply[] = [];
 * const subscriber: Subscriber = { subscriptions: undefined, push: (m) => received.push(m) };
 * const pubsub = new PubSub();
 * pubsub.subscribe(subscriber, "news");
 * pubsub.psubscribe(subscriber, "n*");
 * assert.equal(pubsub.publish("news", "hello"), 2);
 * assert.equal(received.length, 2);
 * ```
 */
export class PubSub {
  readonly #channels = new Map<string, Set<Subscriber>>();
  readonly #patterns = new Map<string, PatternEntry>();
  /**
   * The keyspace notification classes to publish (Redis's
   * `notify-keyspace-events`), or 0 when nothing would be published: set it
   * with {@link PubSub.setNotifyFlags}.
   */
  notifyFlags = 0;

  /**
   * Sets the notification classes from Redis's flag bits. Without K or E no
   * channel would ever get a message, so the effective flags are 0 then.
   */
  setNotifyFlags(flags: number): void {
    const targets = NotifyClass.keyspace | NotifyClass.keyevent;
    this.notifyFlags = (flags & targets) === 0 || (flags & ~targets) === 0 ? 0 : flags;
  }

  /** Adds `channel`; returns the subscriber's channel + pattern count afterwards. */
  subscribe(subscriber: Subscriber, channel: string): number {
    const subscriptions = subscriber.subscriptions ??= new Subscriptions();
    if (!subscriptions.channels.has(channel)) {
      subscriptions.channels.add(channel);
      let subscribers = this.#channels.get(channel);
      if (subscribers === undefined) {
        subscribers = new Set();
        this.#channels.set(channel, subscribers);
      }
      subscribers.add(subscriber);
    }
    return subscriptions.count;
  }

  /** Removes `channel`; returns the subscriber's count afterwards (leaving subscribed mode at 0). */
  unsubscribe(subscriber: Subscriber, channel: string): number {
    const subscriptions = subscriber.subscriptions;
    if (subscriptions === undefined) return 0;
    if (subscriptions.channels.delete(channel)) {
      const subscribers = this.#channels.get(channel);
      subscribers?.delete(subscriber);
      if (subscribers?.size === 0) this.#channels.delete(channel);
    }
    return this.#settle(subscriber, subscriptions);
  }

  /** Adds a glob `pattern`; returns the subscriber's count afterwards. */
  psubscribe(subscriber: Subscriber, pattern: string): number {
    const subscriptions = subscriber.subscriptions ??= new Subscriptions();
    if (!subscriptions.patterns.has(pattern)) {
      subscriptions.patterns.add(pattern);
      let entry = this.#patterns.get(pattern);
      if (entry === undefined) {
        entry = { matcher: globToRegExp(pattern), subscribers: new Set() };
        this.#patterns.set(pattern, entry);
      }
      entry.subscribers.add(subscriber);
    }
    return subscriptions.count;
  }

  /** Removes a pattern; returns the subscriber's count afterwards. */
  punsubscribe(subscriber: Subscriber, pattern: string): number {
    const subscriptions = subscriber.subscriptions;
    if (subscriptions === undefined) return 0;
    if (subscriptions.patterns.delete(pattern)) {
      const entry = this.#patterns.get(pattern);
      entry?.subscribers.delete(subscriber);
      if (entry?.subscribers.size === 0) this.#patterns.delete(pattern);
    }
    return this.#settle(subscriber, subscriptions);
  }

  /** Drops every channel and pattern of `subscriber` without confirmations (disconnect, RESET). */
  unsubscribeAll(subscriber: Subscriber): void {
    const subscriptions = subscriber.subscriptions;
    if (subscriptions === undefined) return;
    for (const channel of [...subscriptions.channels]) this.unsubscribe(subscriber, channel);
    for (const pattern of [...subscriptions.patterns]) this.punsubscribe(subscriber, pattern);
    subscriber.subscriptions = undefined;
  }

  /**
   * Delivers `payload` to the channel's subscribers (`message`) and to the
   * subscribers of every matching pattern (`pmessage`); returns how many
   * deliveries were made, PUBLISH's reply.
   */
  publish(channel: string, payload: string): number {
    let receivers = 0;
    const subscribers = this.#channels.get(channel);
    if (subscribers !== undefined) {
      const message = push([MESSAGE, bulk(channel), bulk(payload)]);
      for (const subscriber of subscribers) subscriber.push?.(message);
      receivers += subscribers.size;
    }
    if (this.#patterns.size === 0) return receivers;
    let channelReply: Reply | undefined;
    let payloadReply: Reply | undefined;
    for (const [pattern, entry] of this.#patterns) {
      if (!entry.matcher.test(channel)) continue;
      channelReply ??= bulk(channel);
      payloadReply ??= bulk(payload);
      const message = push([PMESSAGE, bulk(pattern), channelReply, payloadReply]);
      for (const subscriber of entry.subscribers) subscriber.push?.(message);
      receivers += entry.subscribers.size;
    }
    return receivers;
  }

  /** Channels with at least one subscriber, optionally only those matching a glob (PUBSUB CHANNELS). */
  channels(pattern?: string): string[] {
    const names = [...this.#channels.keys()];
    if (pattern === undefined) return names;
    const matcher = globToRegExp(pattern);
    return names.filter((name) => matcher.test(name));
  }

  /** Subscribers of one channel, pattern subscriptions not counted (PUBSUB NUMSUB). */
  subscriberCount(channel: string): number {
    return this.#channels.get(channel)?.size ?? 0;
  }

  /** Channels with at least one subscriber (INFO's `pubsub_channels`). */
  get channelCount(): number {
    return this.#channels.size;
  }

  /** Distinct patterns with at least one subscriber (PUBSUB NUMPAT, INFO's `pubsub_patterns`). */
  get patternCount(): number {
    return this.#patterns.size;
  }

  /**
   * Redis's `notifyKeyspaceEvent`: publishes `event` for `key` of database
   * `db` when its class is enabled. Callers check {@link PubSub.notifyFlags} first.
   */
  notifyKeyspaceEvent(klass: number, event: string, key: string, db: number): void {
    const flags = this.notifyFlags;
    if ((flags & klass) === 0) return;
    if (flags & NotifyClass.keyspace) this.publish(keyspacePrefix(db) + key, event);
    if (flags & NotifyClass.keyevent) this.publish(keyeventPrefix(db) + event, key);
  }

  /** Leaves subscribed mode once nothing is left, as Redis clears CLIENT_PUBSUB. */
  #settle(subscriber: Subscriber, subscriptions: Subscriptions): number {
    const count = subscriptions.count;
    if (count === 0) subscriber.subscriptions = undefined;
    return count;
  }
}
