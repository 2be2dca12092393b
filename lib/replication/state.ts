/**
 * The replication state both roles share, as Redis 7.0's replication.c keeps
 * it: the replication ID and offset of the history this server holds, the
 * previous ID kept after a promotion (PSYNC2), and the backlog, the last
 * `repl-backlog-size` bytes of the command stream that lets a replica which
 * lost its link resume with `+CONTINUE` instead of a full resync.
 *
 * Offsets count bytes of the stream from the start of the history: the
 * offset is that of the last byte fed; the backlog's first byte is at
 * `backlogFirstByteOffset` (Redis's `repl_backlog->offset`). A replica asks
 * for the offset of the next byte it wants (its own offset + 1).
 *
 * The backlog is one ring of bytes allocated at its full size when it is
 * created (when the first replica attaches, as in Redis), so feeding it
 * never allocates; Redis 7.0 keeps a list of blocks shared with the
 * replicas' output buffers instead, which trims at block granularity.
 *
 * @module
 */

/** Redis's `repl-backlog-size` default: 1 MB. */
export const DEFAULT_BACKLOG_SIZE = 1024 * 1024;
/** Redis's `CONFIG_REPL_BACKLOG_MIN_SIZE`: a smaller setting is raised to this. */
export const MIN_BACKLOG_SIZE = 16 * 1024;
/** `master_replid2` when there is no previous history. */
export const NO_REPLID = "0000000000000000000000000000000000000000";

/** Redis's `CONFIG_RUN_ID_SIZE`. */
const REPLID_LENGTH = 40;

/** 40 random hex characters, as Redis's getRandomHexChars gives a replication ID. */
export function randomReplid(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(REPLID_LENGTH / 2));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/**
 * The last bytes of the stream, in a ring.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * const backlog = new ReplicationBacklog(4, 1);
 * backlog.append(new TextEncoder().encode("abcdef"));
 * strictEqual(backlog.histlen, 4);
 * strictEqual(backlog.firstByteOffset, 3);
 * strictEqual(new TextDecoder().decode(backlog.from(5)), "ef");
 * ```
 */
export class ReplicationBacklog {
  #ring: Uint8Array;
  /** Where the next byte goes. */
  #next = 0;
  /** Bytes of history held, at most the ring's size. */
  #histlen = 0;
  /** Offset of the first byte held (of the next byte to come while empty). */
  #firstByteOffset: number;

  /** An empty backlog of `size` bytes whose first byte will be at offset `firstByteOffset`. */
  constructor(size: number, firstByteOffset: number) {
    this.#ring = new Uint8Array(Math.max(size, 1));
    this.#firstByteOffset = firstByteOffset;
  }

  get size(): number {
    return this.#ring.length;
  }

  /** Bytes of history held (Redis's `repl_backlog_histlen`). */
  get histlen(): number {
    return this.#histlen;
  }

  /** Offset of the oldest byte held (Redis's `repl_backlog_first_byte_offset`). */
  get firstByteOffset(): number {
    return this.#firstByteOffset;
  }

  /** Adds the stream's next bytes, dropping the oldest beyond the size. */
  append(bytes: Uint8Array): void {
    const ring = this.#ring;
    const size = ring.length;
    let source = bytes;
    if (source.length > size) {
      // Only the last `size` bytes can stay: the rest count as fed and dropped at once.
      this.#firstByteOffset += source.length - size;
      source = source.subarray(source.length - size);
    }
    const first = Math.min(source.length, size - this.#next);
    ring.set(source.subarray(0, first), this.#next);
    ring.set(source.subarray(first), 0);
    this.#next = (this.#next + source.length) % size;
    const histlen = this.#histlen + source.length;
    if (histlen > size) this.#firstByteOffset += histlen - size;
    this.#histlen = Math.min(histlen, size);
  }

  /** Whether the bytes from `offset` to the end are all held (an empty tail counts). */
  holds(offset: number): boolean {
    return offset >= this.#firstByteOffset && offset <= this.#firstByteOffset + this.#histlen;
  }

  /** A copy of the bytes from `offset` (which {@link holds}) to the end. */
  from(offset: number): Uint8Array {
    if (!this.holds(offset)) throw new RangeError(`Offset ${offset} is not in the backlog`);
    const length = this.#firstByteOffset + this.#histlen - offset;
    const out = new Uint8Array(length);
    const size = this.#ring.length;
    const start = ((this.#next - length) % size + size) % size;
    const first = Math.min(length, size - start);
    out.set(this.#ring.subarray(start, start + first), 0);
    out.set(this.#ring.subarray(0, length - first), first);
    return out;
  }

  /** The same history in a ring of `size` bytes (CONFIG SET repl-backlog-size). */
  resized(size: number): ReplicationBacklog {
    const end = this.#firstByteOffset + this.#histlen;
    const kept = Math.min(this.#histlen, size);
    const copy = new ReplicationBacklog(size, end - kept);
    copy.append(this.from(end - kept));
    return copy;
  }
}

/** What a master answers to `PSYNC replid offset`. */
export type PsyncDecision =
  | { readonly kind: "continue"; readonly offset: number }
  | {
    readonly kind: "fullresync";
    /** Why a partial resync was refused (Redis's log line), absent when none was asked ("?"). */
    readonly reason?: string;
  };

/**
 * Replication ID, offsets and backlog.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * const state = new ReplicationState({ backlogSize: 1024 });
 * state.createBacklog();
 * state.feed(new TextEncoder().encode("*1\r\n$4\r\nPING\r\n"));
 * strictEqual(state.masterReplOffset, 14);
 * strictEqual(state.decidePsync(state.replid, 15).kind, "continue");
 * strictEqual(state.decidePsync("?", -1).kind, "fullresync");
 * ```
 */
export class ReplicationState {
  /** The ID of the history this server holds (Redis's `server.replid`). */
  replid: string;
  /** The ID of the history before the last promotion (`server.replid2`). */
  replid2 = NO_REPLID;
  /** Offset of the last byte of the history (`master_repl_offset`). */
  masterReplOffset = 0;
  /** Up to which offset {@link replid2} is valid, + 1; -1 when there is none. */
  secondReplOffset = -1;
  /** The backlog, while there is one (`repl_backlog_active`). */
  backlog: ReplicationBacklog | undefined;
  /** `repl-backlog-size`: the size a backlog is created with. */
  #backlogSize: number;
  readonly #newReplid: () => string;

  constructor(options: { backlogSize?: number; newReplid?: () => string } = {}) {
    this.#newReplid = options.newReplid ?? randomReplid;
    this.#backlogSize = Math.max(options.backlogSize ?? DEFAULT_BACKLOG_SIZE, MIN_BACKLOG_SIZE);
    this.replid = this.#newReplid();
  }

  /** `repl-backlog-size`, as the backlog is or will be created. */
  get backlogSize(): number {
    return this.#backlogSize;
  }

  /** CONFIG SET repl-backlog-size: resizes a live backlog keeping its newest bytes. */
  set backlogSize(size: number) {
    this.#backlogSize = Math.max(size, MIN_BACKLOG_SIZE);
    if (this.backlog !== undefined && this.backlog.size !== this.#backlogSize) {
      this.backlog = this.backlog.resized(this.#backlogSize);
    }
  }

  /** Adds bytes of the command stream: the offset moves and the backlog keeps them. */
  feed(bytes: Uint8Array): void {
    this.masterReplOffset += bytes.length;
    this.backlog?.append(bytes);
  }

  /** Redis's createReplicationBacklog: empty, its first byte the next one fed. */
  createBacklog(): void {
    this.backlog = new ReplicationBacklog(this.#backlogSize, this.masterReplOffset + 1);
  }

  /** Redis's freeReplicationBacklog (no replicas for `repl-backlog-ttl` seconds). */
  freeBacklog(): void {
    this.backlog = undefined;
  }

  /** Redis's changeReplicationId: a new history begins (a fresh master, a full resync). */
  changeReplicationId(): void {
    this.replid = this.#newReplid();
  }

  /** Redis's clearReplicationId2: no previous history can be continued. */
  clearReplicationId2(): void {
    this.replid2 = NO_REPLID;
    this.secondReplOffset = -1;
  }

  /**
   * Redis's shiftReplicationId, on promotion (REPLICAOF NO ONE): the history
   * so far stays continuable under its old ID up to the current offset, and
   * a new ID starts from here, so replicas of the old master that follow this
   * one (PSYNC with the old ID) get `+CONTINUE`.
   */
  shiftReplicationId(): void {
    this.replid2 = this.replid;
    // The replicas of the old master asking for offset+1 are at the same point as we are.
    this.secondReplOffset = this.masterReplOffset + 1;
    this.changeReplicationId();
  }

  /**
   * Redis's masterTryPartialResynchronization: `+CONTINUE` when `replid` is
   * this history (or the previous one, up to where it was valid) and the
   * backlog holds everything from `offset` on; else a full resync.
   */
  decidePsync(replid: string, offset: number): PsyncDecision {
    if (replid === "?") return { kind: "fullresync" };
    const sameHistory = replid.toLowerCase() === this.replid ||
      (replid.toLowerCase() === this.replid2 && offset <= this.secondReplOffset);
    if (!sameHistory) {
      const reason = replid.toLowerCase() !== this.replid2
        ? `Replication ID mismatch (Replica asked for '${replid}', my replication IDs are ` +
          `'${this.replid}' and '${this.replid2}')`
        : `Requested offset for second ID was ${offset}, but I can reply up to ` +
          `${this.secondReplOffset}`;
      return { kind: "fullresync", reason };
    }
    if (this.backlog === undefined || !this.backlog.holds(offset)) {
      return {
        kind: "fullresync",
        reason: `lack of backlog (Replica request was: ${offset})`,
      };
    }
    return { kind: "continue", offset };
  }

  /** The bytes a `+CONTINUE` from `offset` sends (a decision of kind "continue"). */
  backlogFrom(offset: number): Uint8Array {
    return this.backlog?.from(offset) ?? new Uint8Array(0);
  }
}
