/**
 * Streams: append-only logs of field-value entries ordered by 128-bit IDs,
 * Redis's stream type, with its consumer groups (lib/stream_group.ts).
 *
 * Decisions that shape the module:
 * - Entries sit in a sorted array of nodes, each a run of consecutive
 *   entries, as Redis keeps a radix tree of listpacks: XADD appends to the
 *   last node, XRANGE binary-searches a node then an index, and trimming
 *   drops whole nodes from the head. A node holds its IDs in two arrays (V8
 *   keeps them unboxed doubles while IDs stay below 2^53) and each entry's
 *   field-value pairs in one flat array; an entry with the node's first
 *   field names (its "master" fields, as Redis calls them) shares those
 *   strings, so field names cost one pointer per entry.
 * - Nodes split exactly where Redis's listpacks split (a byte size kept as
 *   Redis's listpack encoding would have it, `stream-node-max-bytes`, and
 *   `stream-node-max-entries`), and deleted entries stay in their node as
 *   tombstones until the whole node goes, as in Redis. So approximate
 *   trimming (`MAXLEN ~`, `MINID ~`, which removes whole nodes only) leaves
 *   exactly the entries Redis leaves.
 * - An empty stream is still a value (XDEL or XTRIM may empty it; its last
 *   ID and groups live on), unlike every other kind.
 *
 * @module
 */
import { MeasuredCollection } from "./collection.ts";
import { STREAM_BASE_BYTES, STREAM_ENTRY_BYTES, STREAM_NODE_BYTES, stringBytes } from "./memory.ts";
import { listpackElementSize, listpackIntegerSize } from "./persistence/listpack_writer.ts";
import {
  compareIds,
  compareParts,
  type IdPart,
  idPart,
  idsEqual,
  incrementPart,
  isZeroId,
  MAX_ID,
  MIN_ID,
  type StreamId,
  UINT64_MAX,
} from "./stream_id.ts";
import { ConsumerGroup, type PendingEntry } from "./stream_group.ts";

/** The 16-byte big-endian key Redis files a node under (its master ID), as a one-byte string. */
export function streamIdKey(id: StreamId): string {
  let text = "";
  for (const half of [id.ms, id.seq]) {
    const value = BigInt(half);
    for (let shift = 56n; shift >= 0n; shift -= 8n) {
      text += String.fromCharCode(Number((value >> shift) & 0xffn));
    }
  }
  return text;
}

/** One entry as commands see it. */
export interface StreamEntry {
  readonly id: StreamId;
  /** field, value, field, value … */
  readonly fields: readonly string[];
}

/** Where nodes split: `stream-node-max-bytes` and `stream-node-max-entries` (0 = no limit). */
export interface StreamNodeLimits {
  readonly maxBytes: number;
  readonly maxEntries: number;
}

export const DEFAULT_NODE_LIMITS: StreamNodeLimits = { maxBytes: 4096, maxEntries: 100 };

/** Redis's STREAM_LISTPACK_MAX_SIZE: no listpack (nor entry) grows past 1 GiB. */
const LISTPACK_MAX_SIZE = 2 ** 30;
/** A listpack's header (total bytes, element count) and end byte. */
const LISTPACK_FRAME = 7;
/** Bytes of a small integer element (flags, the master terminator). */
const SMALL_INTEGER = 2;

/** How XADD and XTRIM trim (Redis's `streamAddTrimArgs`). */
export type TrimStrategy =
  | { readonly kind: "maxlen"; readonly maxlen: number }
  | { readonly kind: "minid"; readonly minid: StreamId };

export interface TrimRequest {
  readonly strategy: TrimStrategy;
  /** Remove whole nodes only (`~`). */
  readonly approximate: boolean;
  /** At most this many entries (0 = no limit). */
  readonly limit: number;
}

/**
 * A run of consecutive entries, Redis's listpack node. Read-only outside
 * this module (the RDB writer walks it).
 */
export class StreamNode {
  /** The first ID the node ever held (Redis's rax key), base of its listpack deltas. */
  readonly masterMs: IdPart;
  readonly masterSeq: IdPart;
  /** The field names of the node's first entry. */
  readonly masterFields: readonly string[];
  /** Per entry, tombstones included: the ID halves. */
  readonly ms: IdPart[] = [];
  readonly seq: IdPart[] = [];
  /**
   * Per entry: where its strings start in {@link StreamNode.data}, as
   * `start` when it has the master's field names (only its values are
   * stored, Redis's SAMEFIELDS) or `-start - 1` when it has its own (field,
   * value pairs stored). One flat array per node instead of an array per
   * entry saves ~40 bytes and an allocation per entry.
   */
  readonly starts: number[] = [];
  /** The entries' strings, back to back. */
  readonly data: string[] = [];
  /** Indexes of deleted entries; created by the first deletion. */
  deletedIndexes: Set<number> | undefined;
  /** Entries not deleted. */
  live = 0;
  /** Listpack bytes of the master fields and of every entry (fixed when appended). */
  fixedBytes: number;
  /** Heap bytes of the entries' own strings (shared master field names excluded). */
  stringBytes = 0;

  constructor(master: StreamId, masterFields: readonly string[]) {
    this.masterMs = master.ms;
    this.masterSeq = master.seq;
    this.masterFields = masterFields;
    let bytes = listpackIntegerSize(masterFields.length) + SMALL_INTEGER;
    for (const field of masterFields) bytes += listpackElementSize(field);
    this.fixedBytes = bytes;
  }

  /** Entries held, tombstones included. */
  get total(): number {
    return this.ms.length;
  }

  /** Entries deleted but still in the node. */
  get deleted(): number {
    return this.ms.length - this.live;
  }

  /** The byte size of Redis's listpack for this node (`lpBytes`). */
  get listpackBytes(): number {
    return LISTPACK_FRAME + listpackIntegerSize(this.live) + listpackIntegerSize(this.deleted) +
      this.fixedBytes;
  }

  idAt(index: number): StreamId {
    return { ms: this.ms[index]!, seq: this.seq[index]! };
  }

  /** Whether the entry at `index` uses the master field names (Redis's SAMEFIELDS flag). */
  sameFields(index: number): boolean {
    return this.starts[index]! >= 0;
  }

  isDeleted(index: number): boolean {
    return this.deletedIndexes !== undefined && this.deletedIndexes.has(index);
  }

  /** The strings of entry `index` in {@link StreamNode.data}: [start, end). */
  #span(index: number): [number, number] {
    const at = this.starts[index]!;
    const start = at >= 0 ? at : -at - 1;
    const next = this.starts[index + 1];
    const end = next === undefined ? this.data.length : next >= 0 ? next : -next - 1;
    return [start, end];
  }

  /** The field, value … pairs of entry `index`, or undefined when it is deleted. */
  fieldsAt(index: number): string[] | undefined {
    if (this.deletedIndexes !== undefined && this.deletedIndexes.has(index)) return undefined;
    const [start, end] = this.#span(index);
    const data = this.data;
    if (this.starts[index]! < 0) return data.slice(start, end);
    const master = this.masterFields;
    const fields = new Array<string>(2 * master.length);
    for (let i = 0; i < master.length; i++) {
      fields[2 * i] = master[i]!;
      fields[2 * i + 1] = data[start + i]!;
    }
    return fields;
  }

  /** `id` vs the entry at `index`. */
  compareAt(index: number, id: StreamId): number {
    const ms = this.ms[index]!;
    if (ms !== id.ms) return ms < id.ms ? -1 : 1;
    return compareParts(this.seq[index]!, id.seq);
  }

  /** The first index whose ID is ≥ `id` (total when none). */
  lowerBound(id: StreamId): number {
    let low = 0;
    let high = this.ms.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.compareAt(middle, id) < 0) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** Appends an entry (its ID above every ID held). */
  append(id: StreamId, fields: readonly string[]): void {
    const master = this.masterFields;
    let same = fields.length === master.length * 2;
    for (let i = 0; same && i < master.length; i++) same = fields[2 * i] === master[i];
    let bytes = SMALL_INTEGER + listpackIntegerSize(delta(id.ms, this.masterMs)) +
      listpackIntegerSize(delta(id.seq, this.masterSeq));
    let heap = 0;
    const data = this.data;
    const start = data.length;
    if (same) {
      this.starts.push(start);
      for (let i = 1; i < fields.length; i += 2) {
        const value = fields[i]!;
        data.push(value);
        bytes += listpackElementSize(value);
        heap += stringBytes(value.length);
      }
    } else {
      this.starts.push(-start - 1);
      bytes += listpackIntegerSize(fields.length / 2);
      for (const text of fields) {
        data.push(text);
        bytes += listpackElementSize(text);
        heap += stringBytes(text.length);
      }
    }
    const pieces = fields.length / 2 + 3 + (same ? 0 : fields.length / 2 + 1);
    bytes += listpackIntegerSize(pieces);
    this.ms.push(id.ms);
    this.seq.push(id.seq);
    this.live++;
    this.fixedBytes += bytes;
    this.stringBytes += heap;
  }

  /** Marks the entry at `index` deleted (it must be live); its strings are released. */
  tombstone(index: number): void {
    const [start, end] = this.#span(index);
    const data = this.data;
    let heap = 0;
    for (let i = start; i < end; i++) {
      heap += stringBytes(data[i]!.length);
      data[i] = "";
    }
    this.stringBytes -= heap;
    (this.deletedIndexes ??= new Set()).add(index);
    this.live--;
  }
}

/** `a − b` as Redis stores it: a uint64 difference read as int64. */
function delta(a: IdPart, b: IdPart): number | bigint {
  if (typeof a === "number" && typeof b === "number") return a - b;
  return BigInt.asIntN(64, BigInt(a) - BigInt(b));
}

/** Outcome of {@link Stream.add}. */
export type AddResult =
  | { readonly ok: true; readonly id: StreamId }
  | { readonly ok: false; readonly reason: "smaller" | "too-large" };

/**
 * A stream of entries.
 *
 * @example Add, read back, trim
 * ```ts
 * import { deepStrictEqual, strictEqual } from "node:assert/strict";
 * const stream = new Stream();
 * stream.add(["f", "1"], { now: 5 });
 * stream.add(["f", "2"], { now: 5 });
 * deepStrictEqual(stream.range({ ms: 0, seq: 0 }, { ms: 9, seq: 9 }).map((e) => e.id), [
 *   { ms: 5, seq: 0 },
 *   { ms: 5, seq: 1 },
 * ]);
 * strictEqual(stream.trim({ strategy: { kind: "maxlen", maxlen: 1 }, approximate: false, limit: 0 }), 1);
 * strictEqual(stream.size, 1);
 * ```
 */
export class Stream extends MeasuredCollection {
  #nodes: StreamNode[] = [];
  #length = 0;
  /** The last ID ever added (or set by XSETID); 0-0 before any. */
  lastId: StreamId = MIN_ID;
  /** The first live entry's ID, 0-0 when empty. */
  firstId: StreamId = MIN_ID;
  /** The largest ID ever deleted (XDEL), 0-0 if none. */
  maxDeletedId: StreamId = MIN_ID;
  /** Entries ever added (Redis's `entries_added`). */
  entriesAdded = 0;
  /** Consumer groups by name; created with the first. */
  groups: Map<string, ConsumerGroup> | undefined;
  /** Entries in all nodes, tombstones included, for the memory estimate. */
  #slots = 0;
  #stringBytes = 0;

  get typeName(): "stream" {
    return "stream";
  }

  /** Live entries (XLEN). A stream may be empty and still stored. */
  get size(): number {
    return this.#length;
  }

  get byteSize(): number {
    let groups = 0;
    if (this.groups !== undefined) {
      for (const group of this.groups.values()) groups += group.byteSize;
    }
    return STREAM_BASE_BYTES + this.#nodes.length * STREAM_NODE_BYTES +
      this.#slots * STREAM_ENTRY_BYTES + this.#stringBytes + groups;
  }

  /** The nodes in order (read-only: the RDB writer and OBJECT/XINFO read them). */
  get nodes(): readonly StreamNode[] {
    return this.#nodes;
  }

  /**
   * Adds an entry (Redis's `streamAppendItem`): with `id` an explicit ID,
   * with `id` whose `seqGiven` is false an `<ms>-*` ID, else an automatic one
   * from `now`. The caller has checked the stream is not exhausted.
   */
  add(
    fields: readonly string[],
    options: {
      readonly now: number;
      readonly id?: StreamId & { readonly seqGiven?: boolean };
      readonly limits?: StreamNodeLimits;
    },
  ): AddResult {
    const last = this.lastId;
    let id: StreamId;
    const given = options.id;
    if (given !== undefined) {
      if (given.seqGiven === false && given.ms === last.ms) {
        if (last.seq === UINT64_MAX) return { ok: false, reason: "smaller" };
        id = { ms: last.ms, seq: incrementPart(last.seq) };
      } else {
        id = { ms: given.ms, seq: given.seq };
      }
    } else if (options.now > last.ms) {
      id = { ms: options.now, seq: 0 };
    } else if (last.seq !== UINT64_MAX) {
      id = { ms: last.ms, seq: incrementPart(last.seq) };
    } else {
      id = { ms: incrementPart(last.ms), seq: 0 };
    }
    if (compareIds(id, last) <= 0) return { ok: false, reason: "smaller" };
    let elementBytes = 0;
    for (const text of fields) elementBytes += text.length;
    if (elementBytes > LISTPACK_MAX_SIZE) return { ok: false, reason: "too-large" };
    const limits = options.limits ?? DEFAULT_NODE_LIMITS;
    let node = this.#nodes[this.#nodes.length - 1];
    if (node !== undefined) {
      let maxBytes = limits.maxBytes;
      if (maxBytes === 0 || maxBytes > LISTPACK_MAX_SIZE) maxBytes = LISTPACK_MAX_SIZE;
      if (node.listpackBytes + elementBytes >= maxBytes) node = undefined;
      else if (limits.maxEntries !== 0 && node.total >= limits.maxEntries) node = undefined;
    }
    if (node === undefined) {
      const masterFields: string[] = [];
      for (let i = 0; i < fields.length; i += 2) masterFields.push(fields[i]!);
      node = new StreamNode(id, masterFields);
      this.#nodes.push(node);
      for (const field of masterFields) this.#stringBytes += stringBytes(field.length);
    }
    const before = node.stringBytes;
    node.append(id, fields);
    this.#stringBytes += node.stringBytes - before;
    this.#slots++;
    this.#length++;
    this.entriesAdded++;
    this.lastId = id;
    if (this.#length === 1) this.firstId = id;
    return { ok: true, id };
  }

  /**
   * Appends a node read from a snapshot: its master ID and fields, then its
   * entries in order (`fields` undefined for a deleted one). Call
   * {@link Stream.setMetadata} after the last node.
   */
  loadNode(
    master: StreamId,
    masterFields: readonly string[],
    entries: readonly { id: StreamId; fields: readonly string[] | undefined }[],
    listpackBytes?: number,
  ): void {
    const node = new StreamNode(master, masterFields);
    const previous = this.#nodes[this.#nodes.length - 1];
    let last = previous === undefined ? undefined : previous.idAt(previous.total - 1);
    for (const entry of entries) {
      if (last !== undefined && compareIds(entry.id, last) <= 0) {
        throw new RangeError("Stream entries out of order");
      }
      last = entry.id;
      node.append(entry.id, entry.fields ?? []);
      if (entry.fields === undefined) node.tombstone(node.total - 1);
    }
    // The listpack as stored, deleted entries' fields included, decides where the next node starts.
    if (listpackBytes !== undefined) {
      node.fixedBytes = listpackBytes - LISTPACK_FRAME - listpackIntegerSize(node.live) -
        listpackIntegerSize(node.deleted);
    }
    for (const field of masterFields) this.#stringBytes += stringBytes(field.length);
    this.#stringBytes += node.stringBytes;
    this.#slots += node.total;
    this.#length += node.live;
    if (node.total !== 0) this.#nodes.push(node);
  }

  /** Sets what a snapshot records beside the entries. */
  setMetadata(metadata: {
    lastId: StreamId;
    firstId?: StreamId;
    maxDeletedId?: StreamId;
    entriesAdded: number;
  }): void {
    this.lastId = metadata.lastId;
    this.entriesAdded = metadata.entriesAdded;
    this.maxDeletedId = metadata.maxDeletedId ?? MIN_ID;
    this.firstId = metadata.firstId ?? this.#edgeId(true, true) ?? MIN_ID;
  }

  /** The node holding `id` if any: the last whose master ID is ≤ `id`. */
  #nodeIndexFor(id: StreamId): number {
    const nodes = this.#nodes;
    let low = 0;
    let high = nodes.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (nodes[middle]!.compareAt(0, id) <= 0) low = middle + 1;
      else high = middle;
    }
    return low - 1;
  }

  /** The live entry `id`, or undefined. */
  get(id: StreamId): StreamEntry | undefined {
    const nodeIndex = this.#nodeIndexFor(id);
    const node = this.#nodes[nodeIndex];
    if (node === undefined) return undefined;
    const index = node.lowerBound(id);
    if (index === node.total || node.compareAt(index, id) !== 0) return undefined;
    const fields = node.fieldsAt(index);
    return fields === undefined ? undefined : { id: node.idAt(index), fields };
  }

  has(id: StreamId): boolean {
    return this.get(id) !== undefined;
  }

  /**
   * Live entries with `start` ≤ ID ≤ `end`, oldest first (newest first when
   * `reverse`), at most `count` (0 = all).
   */
  range(start: StreamId, end: StreamId, count = 0, reverse = false): StreamEntry[] {
    const found: StreamEntry[] = [];
    if (compareIds(start, end) > 0) return found;
    const nodes = this.#nodes;
    if (!reverse) {
      let nodeIndex = Math.max(0, this.#nodeIndexFor(start));
      let index = nodes[nodeIndex]?.lowerBound(start) ?? 0;
      for (; nodeIndex < nodes.length; nodeIndex++, index = 0) {
        const node = nodes[nodeIndex]!;
        for (; index < node.total; index++) {
          if (node.compareAt(index, end) > 0) return found;
          const fields = node.fieldsAt(index);
          if (fields === undefined) continue;
          found.push({ id: node.idAt(index), fields });
          if (found.length === count) return found;
        }
      }
      return found;
    }
    let nodeIndex = this.#nodeIndexFor(end);
    if (nodeIndex < 0) return found;
    const last = nodes[nodeIndex]!;
    let index = last.lowerBound(end);
    if (index === last.total || last.compareAt(index, end) > 0) index--;
    for (; nodeIndex >= 0; nodeIndex--) {
      const node = nodes[nodeIndex]!;
      if (index === Infinity) index = node.total - 1;
      for (; index >= 0; index--) {
        if (node.compareAt(index, start) < 0) return found;
        const fields = node.fieldsAt(index);
        if (fields === undefined) continue;
        found.push({ id: node.idAt(index), fields });
        if (found.length === count) return found;
      }
      index = Infinity;
    }
    return found;
  }

  /** The first (or last) entry's ID, tombstones skipped or not; undefined when there is none. */
  #edgeId(first: boolean, skipTombstones: boolean): StreamId | undefined {
    const nodes = this.#nodes;
    if (first) {
      for (const node of nodes) {
        for (let i = 0; i < node.total; i++) {
          if (!skipTombstones || !node.isDeleted(i)) return node.idAt(i);
        }
      }
    } else {
      for (let n = nodes.length - 1; n >= 0; n--) {
        const node = nodes[n]!;
        for (let i = node.total - 1; i >= 0; i--) {
          if (!skipTombstones || !node.isDeleted(i)) return node.idAt(i);
        }
      }
    }
    return undefined;
  }

  /** The last live entry's ID (Redis's `streamLastValidID`), 0-0 when empty. */
  lastValidId(): StreamId {
    return this.#edgeId(false, true) ?? MIN_ID;
  }

  /** The first entry's ID, tombstones included (`streamGetEdgeID(s,1,0)`); MAX when none. */
  firstIdWithTombstones(): StreamId {
    return this.#edgeId(true, false) ?? MAX_ID;
  }

  /** Deletes the live entry `id`; false when there is none. Keeps first/max-deleted IDs as XDEL does. */
  delete(id: StreamId): boolean {
    const nodeIndex = this.#nodeIndexFor(id);
    const node = this.#nodes[nodeIndex];
    if (node === undefined) return false;
    const index = node.lowerBound(id);
    if (index === node.total || node.compareAt(index, id) !== 0) return false;
    if (node.isDeleted(index)) return false;
    if (node.live === 1) {
      this.#dropNodes(nodeIndex, 1);
    } else {
      const before = node.stringBytes;
      node.tombstone(index);
      this.#stringBytes += node.stringBytes - before;
    }
    this.#length--;
    if (compareIds(id, this.maxDeletedId) > 0) this.maxDeletedId = id;
    if (this.#length === 0) this.firstId = MIN_ID;
    else if (idsEqual(id, this.firstId)) this.firstId = this.#edgeId(true, true)!;
    return true;
  }

  #dropNodes(start: number, count: number): void {
    const removed = this.#nodes.splice(start, count);
    for (const node of removed) {
      this.#slots -= node.total;
      this.#stringBytes -= node.stringBytes;
      for (const field of node.masterFields) this.#stringBytes -= stringBytes(field.length);
    }
  }

  /** Trims from the head (Redis's `streamTrim`); returns the entries removed. */
  trim(request: TrimRequest): number {
    const { strategy, approximate, limit } = request;
    const nodes = this.#nodes;
    let deleted = 0;
    let dropped = 0;
    for (let n = 0; n < nodes.length; n++) {
      if (strategy.kind === "maxlen" && this.#length <= strategy.maxlen) break;
      const node = nodes[n]!;
      const entries = node.live;
      if (limit !== 0 && deleted + entries > limit) break;
      const removeNode = strategy.kind === "maxlen"
        ? this.#length - entries >= strategy.maxlen
        : node.compareAt(node.total - 1, strategy.minid) < 0;
      if (removeNode) {
        dropped++;
        this.#length -= entries;
        deleted += entries;
        continue;
      }
      if (approximate) break;
      const before = node.stringBytes;
      for (let i = 0; i < node.total; i++) {
        const stop = strategy.kind === "maxlen"
          ? this.#length <= strategy.maxlen
          : node.compareAt(i, strategy.minid) >= 0;
        if (stop) break;
        if (node.isDeleted(i)) continue;
        node.tombstone(i);
        this.#length--;
        deleted++;
      }
      this.#stringBytes += node.stringBytes - before;
      break;
    }
    if (dropped !== 0) this.#dropNodes(0, dropped);
    if (this.#length === 0) this.firstId = MIN_ID;
    else if (deleted !== 0) this.firstId = this.#edgeId(true, true)!;
    return deleted;
  }

  /** Whether `start` ≤ the largest deleted ID ≤ `end` could leave a tombstone in range (`streamRangeHasTombstones`). */
  rangeHasTombstones(start: StreamId | undefined, end: StreamId | undefined): boolean {
    const maxDeleted = this.maxDeletedId;
    if (this.#length === 0 || isZeroId(maxDeleted)) return false;
    if (compareIds(this.firstId, maxDeleted) > 0) return false;
    return compareIds(start ?? MIN_ID, maxDeleted) <= 0 &&
      compareIds(maxDeleted, end ?? MAX_ID) <= 0;
  }

  /**
   * The number of entries from the first ever added up to `id`, when it
   * can be known (`streamEstimateDistanceFromFirstEverEntry`); undefined
   * otherwise.
   */
  estimateDistance(id: StreamId): number | undefined {
    if (this.entriesAdded === 0) return 0;
    if (this.#length === 0 && compareIds(id, this.lastId) < 1) return this.entriesAdded;
    const last = compareIds(id, this.lastId);
    if (last === 0) return this.entriesAdded;
    if (last > 0) return undefined;
    const first = compareIds(id, this.firstId);
    if (isZeroId(this.maxDeletedId) || compareIds(this.maxDeletedId, this.firstId) < 0) {
      if (first < 0) return this.entriesAdded - this.#length;
      if (first === 0) return this.entriesAdded - this.#length + 1;
    }
    return undefined;
  }

  /** The group `name`, if any. */
  group(name: string): ConsumerGroup | undefined {
    return this.groups?.get(name);
  }

  /** Adds a group (the name must be new). */
  createGroup(name: string, lastId: StreamId, entriesRead: number): ConsumerGroup {
    const group = new ConsumerGroup(name, lastId, entriesRead);
    (this.groups ??= new Map()).set(name, group);
    return group;
  }

  /** The groups sorted by name bytes, as Redis's rax lists them. */
  sortedGroups(): ConsumerGroup[] {
    if (this.groups === undefined) return [];
    return [...this.groups.values()].sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  }

  /** An independent copy, groups, consumers and pending entries included (Redis's `streamDup`). */
  copy(): Stream {
    const copy = new Stream();
    for (const node of this.#nodes) {
      const entries = [];
      for (let i = 0; i < node.total; i++) {
        entries.push({ id: node.idAt(i), fields: node.fieldsAt(i) });
      }
      copy.loadNode({ ms: node.masterMs, seq: node.masterSeq }, node.masterFields, entries);
    }
    copy.setMetadata({
      lastId: this.lastId,
      firstId: this.firstId,
      maxDeletedId: this.maxDeletedId,
      entriesAdded: this.entriesAdded,
    });
    for (const group of this.sortedGroups()) {
      const target = copy.createGroup(group.name, group.lastId, group.entriesRead);
      for (const consumer of group.consumers.values()) {
        const copied = target.createConsumer(consumer.name, consumer.seenTime);
        for (const entry of consumer.pending) {
          const pending: PendingEntry = {
            id: entry.id,
            consumer: copied,
            deliveryTime: entry.deliveryTime,
            deliveryCount: entry.deliveryCount,
          };
          target.pending.insert(pending);
          copied.pending.insert(pending);
        }
      }
    }
    return copy;
  }

  /**
   * The nodes Redis's radix tree would have for these node keys (XINFO's
   * `radix-tree-nodes`): a compressed trie over the 16-byte big-endian
   * master IDs, counted as rax lays it out (a node per compressed run, per
   * branching point and per key end; 1 for an empty tree).
   */
  radixTreeNodes(): number {
    const keys = this.#nodes.map((node) => streamIdKey({ ms: node.masterMs, seq: node.masterSeq }));
    if (keys.length === 0) return 1;
    const count = (low: number, high: number, depth: number): number => {
      if (depth === 16) return 1;
      const first = keys[low]!;
      const last = keys[high - 1]!;
      if (first.charCodeAt(depth) === last.charCodeAt(depth)) {
        let end = depth + 1;
        while (end < 16 && first.charCodeAt(end) === last.charCodeAt(end)) end++;
        return 1 + count(low, high, end);
      }
      let nodes = 1;
      for (let start = low; start < high;) {
        const code = keys[start]!.charCodeAt(depth);
        let stop = start + 1;
        while (stop < high && keys[stop]!.charCodeAt(depth) === code) stop++;
        nodes += count(start, stop, depth + 1);
        start = stop;
      }
      return nodes;
    };
    return count(0, keys.length, 0);
  }

  /** Checks the node structure against the counters (for tests). */
  checkInvariants(): void {
    let length = 0;
    let slots = 0;
    let previous: StreamId | undefined;
    for (const node of this.#nodes) {
      if (node.total === 0) throw new Error("Empty stream node");
      let live = 0;
      for (let i = 0; i < node.total; i++) {
        const id = node.idAt(i);
        if (previous !== undefined && compareIds(previous, id) >= 0) {
          throw new Error("Stream IDs out of order");
        }
        previous = id;
        if (!node.isDeleted(i)) live++;
      }
      if (live !== node.live) throw new Error("Node live count drifted");
      length += live;
      slots += node.total;
    }
    if (length !== this.#length) throw new Error("Stream length drifted");
    if (slots !== this.#slots) throw new Error("Stream slot count drifted");
  }
}

/** `bigint` halves to the normalized form (for callers building IDs from 64-bit integers). */
export function streamIdOf(ms: bigint, seq: bigint): StreamId {
  return { ms: idPart(ms), seq: idPart(seq) };
}
