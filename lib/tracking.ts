/**
 * Client-side caching: CLIENT TRACKING's server side (Redis's tracking.c).
 * A tracking client is told when a key it may have cached changes, by a
 * RESP3 push `invalidate [keys]`, or, redirected to a RESP2 connection
 * subscribed to anything, as a message on `__redis__:invalidate`.
 *
 * Two modes, as Redis:
 * - Default: every key a tracking client reads (readonly commands' keys,
 *   after they ran; OPTIN/OPTOUT with CLIENT CACHING pick which reads)
 *   goes into a key → clients table. The first change to the key sends
 *   each of them one message and forgets the key, so a client hears about
 *   a key once per read. `tracking-table-max-keys` bounds the table: past
 *   it the oldest keys are invalidated (Redis picks random ones).
 * - BCAST: a client subscribes to key prefixes (all keys by default) and
 *   hears about every changed key under them, gathered into one message per
 *   prefix and flushed after the batch of commands that changed them (Redis
 *   flushes in `beforeSleep`), keys in byte order.
 *
 * The table is the keyspace's observer (modified, expired, evicted,
 * flushed), so every change path reaches it; the server installs it only
 * while some client tracks or the table holds keys ({@link Tracking.onActiveChange}).
 * A message for the client whose command is running waits until that
 * command's reply is written (Session.deferredPushes), as Redis's
 * `tracking_pending_keys`.
 *
 * @module
 */
import { type CommandSpec, keyPositions, lastKeyIndex } from "./commands/types.ts";
import type { KeyspaceObserver } from "./keyspace.ts";
import { array, bulk, integer, NIL, push, type Reply } from "./reply.ts";
import type { Session } from "./session.ts";

/** Where RESP2 clients hear invalidations through REDIRECT. */
export const INVALIDATE_CHANNEL = "__redis__:invalidate";

/** CLIENT TRACKING ON's options. */
export interface TrackingOptions {
  /** The client that hears the messages instead (REDIRECT), or undefined. */
  readonly redirect?: Session;
  readonly bcast?: boolean;
  readonly optin?: boolean;
  readonly optout?: boolean;
  readonly noloop?: boolean;
  /** BCAST prefixes; none means every key. */
  readonly prefixes?: readonly string[];
}

/** One tracking client's mode. */
interface ClientTracking {
  redirect: Session | undefined;
  bcast: boolean;
  optin: boolean;
  optout: boolean;
  noloop: boolean;
  /** CLIENT CACHING was given for the next command (or transaction). */
  caching: boolean;
  /** The redirect target has gone: messages are lost (TRACKINGINFO's `broken_redirect`). */
  brokenRedirect: boolean;
  /** BCAST prefixes this client subscribed to. */
  readonly prefixes: Set<string>;
}

/** One BCAST prefix: its clients, and the keys changed since the last flush with who changed them. */
interface PrefixState {
  readonly clients: Set<Session>;
  pending: Map<string, Session | undefined>;
}

const INVALIDATE = bulk("invalidate");
const MESSAGE = bulk("message");
const CHANNEL = bulk(INVALIDATE_CHANNEL);
const REDIRECT_BROKEN = bulk("tracking-redir-broken");

/**
 * The tracking table and every tracking client's mode.
 *
 * @example A change to a key a RESP3 client read reaches it once
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { Session } from "./session.ts";
 * import type { Reply } from "./reply.ts";
 * const session = new Session({
 *   id: 1, wire: "resp", address: "", localAddress: "", createdAt: 0, authenticated: true,
 * });
 * const pushed: Reply[] = [];
 * session.protocol = 3;
 * session.push = (message) => pushed.push(message);
 * const tracking = new Tracking();
 * tracking.enable(session, {});
 * tracking.remember(session, ["greeting"]);
 * tracking.modified("greeting");
 * tracking.modified("greeting");
 * deepStrictEqual(pushed, [{
 *   kind: "push",
 *   items: [{ kind: "bulk", value: "invalidate" }, {
 *     kind: "array",
 *     items: [{ kind: "bulk", value: "greeting" }],
 *   }],
 * }]);
 * ```
 */
export class Tracking implements KeyspaceObserver {
  /** `tracking-table-max-keys`; 0 means no limit. */
  maxKeys = 1_000_000;
  /** Told when tracking starts or stops mattering, so the server installs or removes it. */
  onActiveChange: ((active: boolean) => void) | undefined;
  /** Told when BCAST keys wait to be sent, so the server flushes them soon. */
  onBroadcastPending: (() => void) | undefined;
  readonly #clients = new Map<Session, ClientTracking>();
  /** Default mode: key → the clients that read it since it last changed. */
  readonly #keys = new Map<string, Set<Session>>();
  /** Client entries across {@link Tracking.#keys} (INFO's `tracking_total_items`). */
  #items = 0;
  readonly #prefixes = new Map<string, PrefixState>();
  #broadcastPending = false;
  #active = false;
  /** The session whose command is running (Redis's `current_client`), for NOLOOP and deferral. */
  #current: Session | undefined;
  #depth = 0;

  /** Clients with tracking on (INFO's `tracking_clients`). */
  get clientCount(): number {
    return this.#clients.size;
  }

  /** Keys in the default-mode table (INFO's `tracking_total_keys`). */
  get keyCount(): number {
    return this.#keys.size;
  }

  /** Client entries over all keys (INFO's `tracking_total_items`). */
  get itemCount(): number {
    return this.#items;
  }

  /** BCAST prefixes with at least one client (INFO's `tracking_total_prefixes`). */
  get prefixCount(): number {
    return this.#prefixes.size;
  }

  isTracking(session: Session): boolean {
    return this.#clients.has(session);
  }

  /**
   * CLIENT TRACKING ON: checks the options against each other and the
   * client's current mode as Redis does; returns Redis's error text, or
   * undefined once tracking is on.
   */
  enable(session: Session, options: TrackingOptions): string | undefined {
    const bcast = options.bcast ?? false;
    const optin = options.optin ?? false;
    const optout = options.optout ?? false;
    const prefixes = options.prefixes ?? [];
    if (!bcast && prefixes.length > 0) return "ERR PREFIX option requires BCAST mode to be enabled";
    const state = this.#clients.get(session);
    if (state !== undefined && state.bcast !== bcast) {
      return "ERR You can't switch BCAST mode on/off before disabling tracking for this client, " +
        "and then re-enabling it with a different mode.";
    }
    if (bcast && (optin || optout)) return "ERR OPTIN and OPTOUT are not compatible with BCAST";
    if (optin && optout) return "ERR You can't specify both OPTIN mode and OPTOUT mode";
    if (state !== undefined && ((optin && state.optout) || (optout && state.optin))) {
      return "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, " +
        "and then re-enabling it with a different mode.";
    }
    if (bcast) {
      const collision = prefixCollision(state?.prefixes ?? new Set(), prefixes);
      if (collision !== undefined) return collision;
    }
    const next: ClientTracking = state ?? {
      redirect: undefined,
      bcast,
      optin: false,
      optout: false,
      noloop: false,
      caching: false,
      brokenRedirect: false,
      prefixes: new Set(),
    };
    next.redirect = options.redirect;
    next.optin = optin;
    next.optout = optout;
    next.noloop = options.noloop ?? false;
    next.brokenRedirect = false;
    this.#clients.set(session, next);
    if (bcast) {
      for (const prefix of prefixes.length === 0 ? [""] : prefixes) {
        let entry = this.#prefixes.get(prefix);
        if (entry === undefined) {
          entry = { clients: new Set(), pending: new Map() };
          this.#prefixes.set(prefix, entry);
        }
        entry.clients.add(session);
        next.prefixes.add(prefix);
      }
    }
    this.#updateActive();
    return undefined;
  }

  /** CLIENT TRACKING OFF, or the connection closed. Keys it read are left to expire lazily. */
  disable(session: Session): void {
    const state = this.#clients.get(session);
    if (state === undefined) return;
    for (const prefix of state.prefixes) {
      const entry = this.#prefixes.get(prefix);
      if (entry === undefined) continue;
      entry.clients.delete(session);
      if (entry.clients.size === 0) this.#prefixes.delete(prefix);
    }
    this.#clients.delete(session);
    this.#updateActive();
  }

  /**
   * CLIENT CACHING YES|NO: marks the next command (or transaction) as
   * cached or not; returns Redis's error text when the mode does not allow it.
   */
  setCaching(session: Session, yes: boolean): string | undefined {
    const state = this.#clients.get(session);
    if (state === undefined) {
      return "ERR CLIENT CACHING can be called only when the client is in tracking mode with " +
        "OPTIN or OPTOUT mode enabled";
    }
    if (yes && !state.optin) {
      return "ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.";
    }
    if (!yes && !state.optout) {
      return "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.";
    }
    state.caching = true;
    return undefined;
  }

  /** CLIENT GETREDIR: the redirect's id, 0 without one, -1 when tracking is off. */
  redirectOf(session: Session): number {
    const state = this.#clients.get(session);
    if (state === undefined) return -1;
    return state.redirect?.id ?? 0;
  }

  /** CLIENT TRACKINGINFO's `flags`, in Redis's order. */
  flagsOf(session: Session): string[] {
    const state = this.#clients.get(session);
    if (state === undefined) return ["off"];
    const flags = ["on"];
    if (state.bcast) flags.push("bcast");
    if (state.optin) flags.push("optin");
    if (state.optin && state.caching) flags.push("caching-yes");
    if (state.optout) flags.push("optout");
    if (state.optout && state.caching) flags.push("caching-no");
    if (state.noloop) flags.push("noloop");
    if (state.brokenRedirect) flags.push("broken_redirect");
    return flags;
  }

  /** CLIENT TRACKINGINFO's `prefixes`, in byte order. */
  prefixesOf(session: Session): string[] {
    return [...(this.#clients.get(session)?.prefixes ?? [])].sort(byteOrder);
  }

  /** A command of `session` starts; nested calls (EXEC's commands) keep the outer one. */
  enter(session: Session): void {
    if (this.#depth++ === 0) this.#current = session;
  }

  /**
   * A command of `session` ended: a read's keys join the table, and a
   * top-level command other than CLIENT clears CLIENT CACHING's mark unless
   * a transaction is open (Redis's `resetClient`).
   */
  leave(spec: CommandSpec, session: Session, argv: readonly string[]): void {
    const outermost = --this.#depth === 0;
    if (outermost) this.#current = undefined;
    const state = this.#clients.get(session);
    if (state === undefined) return;
    const keys = state.bcast ? undefined : keyPositions(spec, argv);
    if (
      !state.bcast && keys !== undefined && spec.flags.includes("readonly") &&
      !spec.flags.includes("pubsub") &&
      !((state.optin && !state.caching) || (state.optout && state.caching))
    ) {
      const last = lastKeyIndex(keys, argv);
      const read: string[] = [];
      for (let i = keys.first; i <= last; i += keys.step) read.push(argv[i]!);
      this.remember(session, read);
    }
    if (outermost && session.queued === undefined && !spec.name.startsWith("client|")) {
      state.caching = false;
    }
  }

  /** Records that `session` may now cache `keys` (default mode). */
  remember(session: Session, keys: readonly string[]): void {
    for (const key of keys) {
      let readers = this.#keys.get(key);
      if (readers === undefined) {
        readers = new Set();
        this.#keys.set(key, readers);
      }
      const count = readers.size;
      readers.add(session);
      this.#items += readers.size - count;
    }
    const max = this.maxKeys;
    if (max > 0 && this.#keys.size > max) {
      // Map order is insertion order: the keys read longest ago go first.
      for (const key of this.#keys.keys()) {
        this.#invalidate(key, undefined, false);
        if (this.#keys.size <= max) break;
      }
    }
    this.#updateActive();
  }

  modified(key: string): void {
    this.#invalidate(key, this.#current, true);
  }

  expired(key: string): void {
    this.#invalidate(key, undefined, true);
  }

  evicted(key: string): void {
    this.#invalidate(key, undefined, true);
  }

  /** FLUSHALL/FLUSHDB: every tracking client hears a null invalidation, and the table empties. */
  flushed(): void {
    for (const [session, state] of this.#clients) this.#send(session, state, NIL);
    this.#keys.clear();
    this.#items = 0;
    this.#updateActive();
  }

  /** Sends every BCAST prefix's changed keys to its clients and starts the next round. */
  flushBroadcasts(): void {
    if (!this.#broadcastPending) return;
    this.#broadcastPending = false;
    // Prefix by prefix in byte order, as Redis walks its prefix radix tree.
    const prefixes = [...this.#prefixes.keys()].sort(byteOrder);
    for (const prefix of prefixes) {
      const entry = this.#prefixes.get(prefix)!;
      const pending = entry.pending;
      if (pending.size === 0) continue;
      entry.pending = new Map();
      const keys = [...pending.keys()].sort(byteOrder);
      const everything = array(keys.map(bulk));
      for (const session of entry.clients) {
        const state = this.#clients.get(session);
        if (state === undefined) continue;
        if (!state.noloop) {
          this.#send(session, state, everything);
          continue;
        }
        const others = keys.filter((key) => pending.get(key) !== session);
        if (others.length > 0) this.#send(session, state, array(others.map(bulk)));
      }
    }
  }

  /** Redis's `trackingInvalidateKey`: `cause` is the client that changed the key, if any. */
  #invalidate(key: string, cause: Session | undefined, broadcast: boolean): void {
    if (broadcast && this.#prefixes.size > 0) {
      for (const [prefix, entry] of this.#prefixes) {
        if (key.startsWith(prefix)) {
          entry.pending.set(key, cause);
          if (!this.#broadcastPending) {
            this.#broadcastPending = true;
            this.onBroadcastPending?.();
          }
        }
      }
    }
    const readers = this.#keys.get(key);
    if (readers === undefined) return;
    this.#keys.delete(key);
    this.#items -= readers.size;
    const message = array([bulk(key)]);
    for (const session of readers) {
      const state = this.#clients.get(session);
      // A client that turned tracking off, or switched to BCAST, no longer hears about reads.
      if (state === undefined || state.bcast) continue;
      if (state.noloop && session === this.#current) continue;
      this.#send(session, state, message);
    }
    this.#updateActive();
  }

  /** Redis's `sendTrackingMessage`: to the client or its redirect, as RESP3 push or Pub/Sub message. */
  #send(session: Session, state: ClientTracking, keys: Reply): void {
    let target = session;
    const redirect = state.redirect;
    if (redirect !== undefined) {
      if (redirect.closed) {
        state.brokenRedirect = true;
        if (session.protocol === 3) {
          this.#deliver(session, push([REDIRECT_BROKEN, integer(redirect.id)]));
        }
        return;
      }
      target = redirect;
    }
    if (target.protocol === 3) {
      this.#deliver(target, push([INVALIDATE, keys]));
    } else if (redirect !== undefined && target.subscriptions !== undefined) {
      this.#deliver(target, push([MESSAGE, CHANNEL, keys]));
    }
    // A RESP2 client without a redirect has no way to hear it, as in Redis.
  }

  /** The running command's own client gets its messages after the command's reply. */
  #deliver(target: Session, message: Reply): void {
    if (target === this.#current) (target.deferredPushes ??= []).push(message);
    else target.push?.(message);
  }

  #updateActive(): void {
    const active = this.#clients.size > 0 || this.#keys.size > 0;
    if (active === this.#active) return;
    this.#active = active;
    this.onActiveChange?.(active);
  }
}

/** Redis's check that no two BCAST prefixes of one client overlap; its error text, or undefined. */
function prefixCollision(
  existing: ReadonlySet<string>,
  given: readonly string[],
): string | undefined {
  const overlap = (a: string, b: string) => a.startsWith(b) || b.startsWith(a);
  for (let i = 0; i < given.length; i++) {
    const prefix = given[i]!;
    for (const old of existing) {
      if (overlap(old, prefix)) {
        return `ERR Prefix '${prefix}' overlaps with an existing prefix '${old}'. ` +
          "Prefixes for a single client must not overlap.";
      }
    }
    for (let j = i + 1; j < given.length; j++) {
      if (overlap(prefix, given[j]!)) {
        return `ERR Prefix '${prefix}' overlaps with another provided prefix '${given[j]}'. ` +
          "Prefixes for a single client must not overlap.";
      }
    }
  }
  return undefined;
}

/** One-byte strings compare byte-wise with `<`, as Redis's radix tree orders keys. */
function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
