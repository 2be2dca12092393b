/**
 * Clients waiting in a blocking command (BLPOP, BLMOVE, BZPOPMIN, …): who
 * waits on which keys of which database, in arrival order, which of those
 * keys became ready, and when each wait times out. Pure bookkeeping, as
 * Redis's `blocked.c`; the server parks and wakes the connections.
 *
 * The rules, Redis 7.0's (`handleClientsBlockedOnKeys`):
 * - A key is "ready" when a value is stored under it while someone waits on
 *   it (the keyspace tells {@link KeyspaceWaits.stored}). Ready keys are
 *   served only once the command, transaction or script that stored them has
 *   finished ({@link BlockingRegistry.serveReady}), in the order they became
 *   ready, each key's waiters in the order they blocked.
 * - A waiter decides for itself whether the key's current value serves it
 *   (a BLPOP is not served by a sorted set): one that declines keeps
 *   waiting, so a waited key deleted or turned into a string leaves its
 *   clients blocked, as in Redis 7.0.
 * - A stream key removed while XREADGROUP clients wait on it is ready too:
 *   those waiters (`servesRemoval`) end with an error, as Redis 7.0's
 *   `signalDeletedKeyAsReady`.
 * - Serving may store other keys (BLMOVE's destination); those become ready
 *   in turn and are served in the same pass.
 * - Queues are keyed by the keyspace (the database) and the key, so clients
 *   of different databases never serve each other.
 *
 * @module
 */
import type { Keyspace, KeyspaceWaits } from "./keyspace.ts";
import type { Reply } from "./reply.ts";
import type { Session } from "./session.ts";
import { TtlHeap } from "./ttl_heap.ts";

/** One client blocked in one command. */
export interface Waiter {
  readonly session: Session;
  /** The database it waits in. */
  readonly keyspace: Keyspace;
  /** The keys it waits on, duplicates removed, in the command's order. */
  readonly keys: readonly string[];
  /** Absolute Unix ms when it times out; 0 waits forever. */
  readonly deadline: number;
  /**
   * Tries to serve the client from `key` of `keyspace`, which just became
   * ready: pops and returns its reply, or returns undefined to keep waiting
   * (the key holds no value of the kind it waits for).
   */
  serve(key: string, keyspace: Keyspace): Reply | undefined;
  /** The reply when the wait times out, if not a null array (WAIT answers its count). */
  timedOut?(): Reply;
  /**
   * Also served when the key is removed (XREADGROUP: Redis ends the wait
   * with an error when the stream goes), not only when it gets a value.
   */
  readonly servesRemoval?: boolean;
}

/** Redis's reply to a client unblocked with CLIENT UNBLOCK … ERROR. */
export const UNBLOCKED_ERROR = "UNBLOCKED client unblocked via CLIENT UNBLOCK";

/** The waiters of one keyspace, by key; what the keyspace consults on every store. */
class KeyspaceQueues implements KeyspaceWaits {
  /** Per waited key, its waiters in arrival order. */
  readonly queues = new Map<string, Waiter[]>();
  readonly #registry: BlockingRegistry;
  readonly #keyspace: Keyspace;

  constructor(registry: BlockingRegistry, keyspace: Keyspace) {
    this.#registry = registry;
    this.#keyspace = keyspace;
  }

  stored(key: string): void {
    if (this.queues.has(key)) this.#registry.markReady(this.#keyspace, key);
  }

  removed(key: string): void {
    if (this.queues.has(key)) this.#registry.markReady(this.#keyspace, key);
  }
}

export class BlockingRegistry {
  /** Per database, its queues; a database leaves the map with its last waiter. */
  readonly #byKeyspace = new Map<Keyspace, KeyspaceQueues>();
  /** Keys that became ready, in order, not yet served. */
  #ready: { keyspace: Keyspace; key: string }[] = [];
  /** The same keys, per database, so a key is queued once per pass. */
  readonly #readySet = new Map<Keyspace, Set<string>>();
  /** Waiters with a timeout, by session id. */
  readonly #deadlines = new TtlHeap();
  readonly #bySessionId = new Map<number, Waiter>();
  #serving = false;

  /** Clients blocked now: INFO's `blocked_clients`. */
  get blockedCount(): number {
    return this.#bySessionId.size;
  }

  /** Blocked clients with a timeout (INFO's `clients_in_timeout_table`). */
  get timeoutCount(): number {
    return this.#deadlines.size;
  }

  /** Whether keys wait to be served. */
  get hasReady(): boolean {
    return this.#ready.length !== 0;
  }

  /** Parks `waiter.session` on its keys; it stays until served, timed out, unblocked or cancelled. */
  block(waiter: Waiter): void {
    const session = waiter.session;
    if (this.#bySessionId.has(session.id)) {
      throw new Error(`Session ${session.id} is already blocked`);
    }
    let queues = this.#byKeyspace.get(waiter.keyspace);
    if (queues === undefined) {
      queues = new KeyspaceQueues(this, waiter.keyspace);
      this.#byKeyspace.set(waiter.keyspace, queues);
      waiter.keyspace.waits = queues;
    }
    for (const key of waiter.keys) {
      const queue = queues.queues.get(key);
      if (queue === undefined) queues.queues.set(key, [waiter]);
      else queue.push(waiter);
    }
    this.#bySessionId.set(session.id, waiter);
    if (waiter.deadline > 0) this.#deadlines.set(String(session.id), waiter.deadline);
    session.blocked = waiter;
  }

  /** Records that `key` of `keyspace` was stored while someone waits on it. */
  markReady(keyspace: Keyspace, key: string): void {
    let keys = this.#readySet.get(keyspace);
    if (keys === undefined) {
      keys = new Set();
      this.#readySet.set(keyspace, keys);
    }
    if (keys.has(key)) return;
    keys.add(key);
    this.#ready.push({ keyspace, key });
  }

  /**
   * Serves the ready keys (and those that serving makes ready), handing
   * each served client its reply through `session.wake`. Call it after a
   * command, a transaction or a script finished, never inside one.
   */
  serveReady(): void {
    if (this.#serving) return;
    this.#serving = true;
    try {
      while (this.#ready.length !== 0) {
        const ready = this.#ready;
        this.#ready = [];
        for (const { keyspace, key } of ready) {
          this.#readySet.get(keyspace)?.delete(key);
          this.#serveKey(keyspace, key);
        }
      }
      this.#readySet.clear();
    } finally {
      this.#serving = false;
    }
  }

  /**
   * After SWAPDB exchanged the contents of two keyspaces (their clients stay
   * with their database number): every waited key that now holds a value in
   * either is ready, as Redis's `scanDatabaseForReadyKeys`. Serve afterwards.
   */
  swappedContents(first: Keyspace, second: Keyspace): void {
    for (const keyspace of [first, second]) {
      const queues = this.#byKeyspace.get(keyspace);
      if (queues === undefined) continue;
      for (const key of queues.queues.keys()) if (keyspace.has(key)) this.markReady(keyspace, key);
    }
  }

  /** Ends `session`'s wait with `reply` (CLIENT UNBLOCK); false when it was not blocked. */
  unblock(session: Session, reply: Reply): boolean {
    const waiter = this.#bySessionId.get(session.id);
    if (waiter === undefined) return false;
    this.#finish(waiter, reply);
    return true;
  }

  /** Ends every wait with `reply`; returns the sessions woken (Redis's disconnectAllBlockedClients). */
  unblockAll(reply: Reply): Session[] {
    const woken: Session[] = [];
    for (const waiter of [...this.#bySessionId.values()]) {
      woken.push(waiter.session);
      this.#finish(waiter, reply);
    }
    return woken;
  }

  /** Forgets `session`'s wait without a reply (its connection closed). */
  cancel(session: Session): void {
    const waiter = this.#bySessionId.get(session.id);
    if (waiter !== undefined) this.#remove(waiter);
  }

  /** The earliest timeout of any waiter, for the server's timer. */
  nextDeadline(): number | undefined {
    return this.#deadlines.peekDeadline();
  }

  /** Ends every wait whose deadline is at or before `now` with `reply` (a null array); returns how many. */
  expire(now: number, reply: Reply): number {
    let count = 0;
    for (;;) {
      const deadline = this.#deadlines.peekDeadline();
      if (deadline === undefined || deadline > now) return count;
      const waiter = this.#bySessionId.get(Number(this.#deadlines.peekKey()!))!;
      this.#finish(waiter, waiter.timedOut?.() ?? reply);
      count++;
    }
  }

  #serveKey(keyspace: Keyspace, key: string): void {
    const queue = this.#byKeyspace.get(keyspace)?.queues.get(key);
    if (queue === undefined) return;
    // A copy: serving removes waiters from this queue as it goes.
    for (const waiter of [...queue]) {
      if (this.#bySessionId.get(waiter.session.id) !== waiter) continue;
      const reply = waiter.serve(key, keyspace);
      if (reply !== undefined) this.#finish(waiter, reply);
      // The key went (its last element popped): later waiters wait for the next store.
      if (!waiter.servesRemoval && !keyspace.has(key)) return;
    }
  }

  #finish(waiter: Waiter, reply: Reply): void {
    this.#remove(waiter);
    waiter.session.wake?.(reply);
  }

  #remove(waiter: Waiter): void {
    const session = waiter.session;
    this.#bySessionId.delete(session.id);
    this.#deadlines.delete(String(session.id));
    session.blocked = undefined;
    const queues = this.#byKeyspace.get(waiter.keyspace);
    if (queues === undefined) return;
    for (const key of waiter.keys) {
      const queue = queues.queues.get(key);
      if (queue === undefined) continue;
      const index = queue.indexOf(waiter);
      if (index !== -1) queue.splice(index, 1);
      if (queue.length === 0) queues.queues.delete(key);
    }
    if (queues.queues.size === 0) {
      this.#byKeyspace.delete(waiter.keyspace);
      if (waiter.keyspace.waits === queues) waiter.keyspace.waits = undefined;
    }
  }
}
