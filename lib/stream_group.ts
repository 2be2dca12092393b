/**
 * Consumer groups of a stream (Redis's `streamCG`): the last delivered ID,
 * the entries-read counter, the pending entries list (PEL) and the
 * consumers, each with its own PEL sharing the group's pending entries.
 *
 * A PEL is an {@link IdOrderedList}: sorted chunks of at most 256 entries,
 * so delivery (appends at the tail), XACK (usually from the head) and range
 * walks (XPENDING, XAUTOCLAIM) are O(log n + chunk) without a tree.
 *
 * @module
 */
import {
  STREAM_CONSUMER_BYTES,
  STREAM_GROUP_BYTES,
  STREAM_PENDING_BYTES,
  stringBytes,
} from "./memory.ts";
import { compareIds, type StreamId } from "./stream_id.ts";

/** Redis's SCG_INVALID_ENTRIES_READ. */
export const INVALID_ENTRIES_READ = -1;

/** Chunks split past this size. */
const CHUNK_MAX = 256;

/** A list of items kept in ID order, one per ID. */
export class IdOrderedList<T extends { readonly id: StreamId }> {
  #chunks: T[][] = [];
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /** The chunk that holds or would hold `id`: the last whose first ID ≤ `id` (0 if none). */
  #chunkFor(id: StreamId): number {
    const chunks = this.#chunks;
    let low = 0;
    let high = chunks.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (compareIds(chunks[middle]![0]!.id, id) <= 0) low = middle + 1;
      else high = middle;
    }
    return Math.max(0, low - 1);
  }

  /** First index in `chunk` whose ID ≥ `id`. */
  static #lowerBound<T extends { readonly id: StreamId }>(chunk: T[], id: StreamId): number {
    let low = 0;
    let high = chunk.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (compareIds(chunk[middle]!.id, id) < 0) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  get(id: StreamId): T | undefined {
    const chunk = this.#chunks[this.#chunkFor(id)];
    if (chunk === undefined) return undefined;
    const item = chunk[IdOrderedList.#lowerBound(chunk, id)];
    return item !== undefined && compareIds(item.id, id) === 0 ? item : undefined;
  }

  /** Adds `item`; false (nothing changed) when its ID is already there. */
  insert(item: T): boolean {
    const chunks = this.#chunks;
    if (chunks.length === 0) {
      chunks.push([item]);
      this.#size++;
      return true;
    }
    const last = chunks[chunks.length - 1]!;
    // Deliveries come in ID order: appending at the tail is the common case.
    const tailOrder = compareIds(last[last.length - 1]!.id, item.id);
    let chunkIndex: number;
    let index: number;
    if (tailOrder < 0) {
      chunkIndex = chunks.length - 1;
      index = last.length;
    } else {
      chunkIndex = this.#chunkFor(item.id);
      const chunk = chunks[chunkIndex]!;
      index = IdOrderedList.#lowerBound(chunk, item.id);
      if (index < chunk.length && compareIds(chunk[index]!.id, item.id) === 0) return false;
    }
    const chunk = chunks[chunkIndex]!;
    chunk.splice(index, 0, item);
    if (chunk.length > CHUNK_MAX) chunks.splice(chunkIndex + 1, 0, chunk.splice(CHUNK_MAX / 2));
    this.#size++;
    return true;
  }

  /** Removes and returns the item `id`, if there. */
  delete(id: StreamId): T | undefined {
    const chunkIndex = this.#chunkFor(id);
    const chunk = this.#chunks[chunkIndex];
    if (chunk === undefined) return undefined;
    const index = IdOrderedList.#lowerBound(chunk, id);
    const item = chunk[index];
    if (item === undefined || compareIds(item.id, id) !== 0) return undefined;
    chunk.splice(index, 1);
    if (chunk.length === 0) this.#chunks.splice(chunkIndex, 1);
    this.#size--;
    return item;
  }

  /** Items with ID ≥ `start`, in order. Do not change the list while iterating. */
  *from(start: StreamId): IterableIterator<T> {
    const chunks = this.#chunks;
    let chunkIndex = this.#chunkFor(start);
    const first = chunks[chunkIndex];
    if (first === undefined) return;
    let index = IdOrderedList.#lowerBound(first, start);
    for (; chunkIndex < chunks.length; chunkIndex++, index = 0) {
      const chunk = chunks[chunkIndex]!;
      for (; index < chunk.length; index++) yield chunk[index]!;
    }
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (const chunk of this.#chunks) yield* chunk;
  }

  first(): T | undefined {
    return this.#chunks[0]?.[0];
  }

  last(): T | undefined {
    const chunk = this.#chunks[this.#chunks.length - 1];
    return chunk?.[chunk.length - 1];
  }
}

/** A delivered, not yet acknowledged entry (Redis's `streamNACK`). */
export interface PendingEntry {
  readonly id: StreamId;
  consumer: Consumer;
  /** Unix ms of the last delivery. */
  deliveryTime: number;
  deliveryCount: number;
}

export class Consumer {
  readonly name: string;
  /** Unix ms it last read or claimed (Redis 7.0's `seen_time`). */
  seenTime: number;
  readonly pending = new IdOrderedList<PendingEntry>();

  constructor(name: string, seenTime: number) {
    this.name = name;
    this.seenTime = seenTime;
  }
}

export class ConsumerGroup {
  readonly name: string;
  /** The last ID delivered to the group's consumers. */
  lastId: StreamId;
  /** Entries the group has read, or {@link INVALID_ENTRIES_READ} when unknown. */
  entriesRead: number;
  readonly pending = new IdOrderedList<PendingEntry>();
  /** By name; listed in byte order where Redis walks its rax. */
  readonly consumers = new Map<string, Consumer>();
  #consumerNameBytes = 0;

  constructor(name: string, lastId: StreamId, entriesRead: number) {
    this.name = name;
    this.lastId = lastId;
    this.entriesRead = entriesRead;
  }

  /** Heap estimate for the stream's memory total. */
  get byteSize(): number {
    return STREAM_GROUP_BYTES + stringBytes(this.name.length) +
      this.pending.size * STREAM_PENDING_BYTES +
      this.consumers.size * STREAM_CONSUMER_BYTES + this.#consumerNameBytes;
  }

  consumer(name: string): Consumer | undefined {
    return this.consumers.get(name);
  }

  /** Creates the consumer `name` (it must not exist). */
  createConsumer(name: string, now: number): Consumer {
    const consumer = new Consumer(name, now);
    this.consumers.set(name, consumer);
    this.#consumerNameBytes += stringBytes(name.length);
    return consumer;
  }

  /** Removes a consumer and its pending entries from the group; returns how many were pending. */
  deleteConsumer(consumer: Consumer): number {
    const pending = consumer.pending.size;
    for (const entry of consumer.pending) this.pending.delete(entry.id);
    this.consumers.delete(consumer.name);
    this.#consumerNameBytes -= stringBytes(consumer.name.length);
    return pending;
  }

  /** The consumers sorted by name bytes, as Redis's rax lists them. */
  sortedConsumers(): Consumer[] {
    return [...this.consumers.values()].sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0
    );
  }

  /**
   * Records a delivery of `id` to `consumer` at `now` (XREADGROUP): a new
   * pending entry, or one already pending moved to `consumer` with its
   * count reset to 1, as Redis's `streamReplyWithRange`.
   */
  deliver(id: StreamId, consumer: Consumer, now: number): PendingEntry {
    const existing = this.pending.get(id);
    if (existing !== undefined) {
      existing.consumer.pending.delete(id);
      existing.consumer = consumer;
      existing.deliveryTime = now;
      existing.deliveryCount = 1;
      consumer.pending.insert(existing);
      return existing;
    }
    const entry: PendingEntry = { id, consumer, deliveryTime: now, deliveryCount: 1 };
    this.pending.insert(entry);
    consumer.pending.insert(entry);
    return entry;
  }

  /** Moves a pending entry to `consumer`, keeping its delivery time and count. */
  assign(entry: PendingEntry, consumer: Consumer): void {
    if (entry.consumer === consumer) return;
    entry.consumer.pending.delete(entry.id);
    entry.consumer = consumer;
    consumer.pending.insert(entry);
  }

  /** A new pending entry for `id` (XCLAIM FORCE of an ID never delivered). */
  addPending(
    id: StreamId,
    consumer: Consumer,
    deliveryTime: number,
    deliveryCount: number,
  ): PendingEntry {
    const entry: PendingEntry = { id, consumer, deliveryTime, deliveryCount };
    this.pending.insert(entry);
    consumer.pending.insert(entry);
    return entry;
  }

  /** Acknowledges `id`; false when it was not pending. */
  acknowledge(id: StreamId): boolean {
    const entry = this.pending.delete(id);
    if (entry === undefined) return false;
    entry.consumer.pending.delete(id);
    return true;
  }
}
