/**
 * Keyspace notifications: the `notify-keyspace-events` letters, the
 * {@link notify} call write commands make after a change (Redis's
 * `notifyKeyspaceEvent`), and the keyspace observer that reports expired,
 * evicted and new keys.
 *
 * The one rule that shapes it: with notifications off (the default) a write
 * pays one load and one test of {@link PubSub.notifyFlags}, nothing more, and
 * the keyspace keeps the plain WATCH registry as its observer.
 *
 * @module
 */
import type { CommandContext } from "./commands/types.ts";
import type { Keyspace, KeyspaceObserver } from "./keyspace.ts";
import { NotifyClass, type PubSub } from "./pubsub.ts";

/** `A`: every class except key-miss and new-key events, as Redis's NOTIFY_ALL. */
export const NOTIFY_ALL = NotifyClass.generic | NotifyClass.string | NotifyClass.list |
  NotifyClass.set | NotifyClass.hash | NotifyClass.zset | NotifyClass.expired |
  NotifyClass.evicted | NotifyClass.stream | NotifyClass.module;

const LETTERS: Readonly<Record<string, number>> = {
  A: NOTIFY_ALL,
  g: NotifyClass.generic,
  $: NotifyClass.string,
  l: NotifyClass.list,
  s: NotifyClass.set,
  h: NotifyClass.hash,
  z: NotifyClass.zset,
  x: NotifyClass.expired,
  e: NotifyClass.evicted,
  K: NotifyClass.keyspace,
  E: NotifyClass.keyevent,
  t: NotifyClass.stream,
  m: NotifyClass.keyMiss,
  d: NotifyClass.module,
  n: NotifyClass.newKey,
};

/** Redis's text when `notify-keyspace-events` holds an unknown letter. */
export const INVALID_NOTIFY_CLASS = "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";

/**
 * Redis's `keyspaceEventsStringToFlags`: each letter adds a class; any
 * other character makes the whole value invalid (undefined).
 *
 * @example
 * ```ts
 * import { formatNotifyKeyspaceEvents, parseNotifyKeyspaceEvents } from "./notify.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatNotifyKeyspaceEvents(parseNotifyKeyspaceEvents("KEA")!), "AKE");
 * assert.equal(parseNotifyKeyspaceEvents("Q"), undefined);
 * ```
 */
export function parseNotifyKeyspaceEvents(text: string): number | undefined {
  let flags = 0;
  for (const char of text) {
    const bits = LETTERS[char];
    if (bits === undefined) return undefined;
    flags |= bits;
  }
  return flags;
}

/** Redis's `keyspaceEventsFlagsToString`: classes in its fixed order, `A` when all are set. */
export function formatNotifyKeyspaceEvents(flags: number): string {
  let text = "";
  if ((flags & NOTIFY_ALL) === NOTIFY_ALL) {
    text += "A";
  } else {
    const order: [string, number][] = [
      ["g", NotifyClass.generic],
      ["$", NotifyClass.string],
      ["l", NotifyClass.list],
      ["s", NotifyClass.set],
      ["h", NotifyClass.hash],
      ["z", NotifyClass.zset],
      ["x", NotifyClass.expired],
      ["e", NotifyClass.evicted],
      ["t", NotifyClass.stream],
      ["d", NotifyClass.module],
      ["n", NotifyClass.newKey],
    ];
    for (const [letter, bit] of order) if (flags & bit) text += letter;
  }
  if (flags & NotifyClass.keyspace) text += "K";
  if (flags & NotifyClass.keyevent) text += "E";
  if (flags & NotifyClass.keyMiss) text += "m";
  return text;
}

/**
 * Publishes keyspace event `event` of class `klass` for `key`, if that class
 * is enabled. Write commands call it after each change, as Redis's commands
 * call `notifyKeyspaceEvent`; with notifications off it returns after one test.
 */
export function notify(context: CommandContext, klass: number, event: string, key: string): void {
  notifyIn(context, context.keyspace, klass, event, key);
}

/** {@link notify} for a change in database `keyspace` other than the session's (MOVE, COPY … DB). */
export function notifyIn(
  context: CommandContext,
  keyspace: Keyspace,
  klass: number,
  event: string,
  key: string,
): void {
  const pubsub = context.server.pubsub;
  if ((pubsub.notifyFlags & klass) !== 0) {
    pubsub.notifyKeyspaceEvent(klass, event, key, keyspace.index);
  }
}

/**
 * A removing write's event, plus `del` when it left the collection empty
 * (the keyspace then removed the key), as Redis's ZREM, HDEL, SREM, LPOP…
 * report it.
 */
export function notifyRemoval(
  context: CommandContext,
  klass: number,
  event: string,
  key: string,
): void {
  const pubsub = context.server.pubsub;
  if (pubsub.notifyFlags === 0) return;
  notify(context, klass, event, key);
  if (!context.keyspace.has(key)) notify(context, NotifyClass.generic, "del", key);
}

/**
 * The keyspace's observer while notifications are on: forwards every change
 * to the WATCH registry and publishes `expired`, `evicted` and `new` events.
 * The server installs it only then, so the default path is untouched.
 */
export class NotifyingObserver implements KeyspaceObserver {
  readonly #next: KeyspaceObserver;
  readonly #pubsub: PubSub;

  constructor(next: KeyspaceObserver, pubsub: PubSub) {
    this.#next = next;
    this.#pubsub = pubsub;
  }

  modified(key: string, keyspace: Keyspace): void {
    this.#next.modified(key, keyspace);
  }

  expired(key: string, keyspace: Keyspace): void {
    this.#next.expired(key, keyspace);
    this.#pubsub.notifyKeyspaceEvent(NotifyClass.expired, "expired", key, keyspace.index);
  }

  flushed(keyspace: Keyspace, swappedWith?: Keyspace): void {
    this.#next.flushed(keyspace, swappedWith);
  }

  created(key: string, keyspace: Keyspace): void {
    this.#pubsub.notifyKeyspaceEvent(NotifyClass.newKey, "new", key, keyspace.index);
  }

  evicted(key: string, keyspace: Keyspace): void {
    this.#next.evicted?.(key, keyspace);
    this.#pubsub.notifyKeyspaceEvent(NotifyClass.evicted, "evicted", key, keyspace.index);
  }
}

/**
 * Events for the original nine commands on the binary port, which run
 * outside the command table (always on database 0): called after one of
 * them answered status OK.
 * `expire` with a negative time reports `persist`, and one that deleted the
 * key (a time of 0) reports `del`, as Redis's EXPIRE does.
 */
export function notifyOriginal(
  pubsub: PubSub,
  keyspace: { has(key: string): boolean },
  argv: readonly string[],
): void {
  const key = argv[1];
  if (key === undefined) return;
  switch (argv[0]!.toLowerCase()) {
    case "set":
      pubsub.notifyKeyspaceEvent(NotifyClass.string, "set", key, 0);
      return;
    case "del":
      pubsub.notifyKeyspaceEvent(NotifyClass.generic, "del", key, 0);
      return;
    case "expire":
      pubsub.notifyKeyspaceEvent(
        NotifyClass.generic,
        argv[2]!.startsWith("-") ? "persist" : keyspace.has(key) ? "expire" : "del",
        key,
        0,
      );
      return;
    case "persist":
      pubsub.notifyKeyspaceEvent(NotifyClass.generic, "persist", key, 0);
      return;
    case "zadd":
      pubsub.notifyKeyspaceEvent(NotifyClass.zset, "zadd", key, 0);
      return;
    case "zrem":
      pubsub.notifyKeyspaceEvent(NotifyClass.zset, "zrem", key, 0);
      if (!keyspace.has(key)) pubsub.notifyKeyspaceEvent(NotifyClass.generic, "del", key, 0);
      return;
  }
}
