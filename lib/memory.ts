/**
 * Size estimates behind INFO's `used_memory` and `maxmemory`: what the
 * keyspace's data occupies, as pure arithmetic on lengths and counts, so the keyspace can keep a running total at the cost of a few
 * additions per write and never has to ask the engine (which would need a GC).
 *
 * Every constant below was measured on Deno 2.9.6 (V8 with 8-byte pointers):
 * a script filled a `Keyspace` (or a bare `Map`, `TtlHeap`, `SortedSet`)
 * with 1,000 to 1,000,000 entries built as the RESP decoder builds them, ran
 * `gc()` twice under `--v8-flags=--expose-gc`, and divided the growth of
 * `Deno.memoryUsage().heapUsed + external` by the entry count.
 * `tests/lib/memory_test.ts` repeats that measurement for a mix of strings,
 * TTLs and sorted sets and checks the estimate stays within 25% of it.
 *
 * - Keys and string values are records in the keyspace's byte arena
 *   (lib/key_table.ts, lib/arena.ts), not on V8's heap: a key costs its
 *   record's slot (16-byte header, key and value bytes, rounded to its size
 *   class) and its share of the bucket array. Exact but for that share.
 * - Strings inside collections: a flat one-byte string is a 16-byte header (map, hash, length)
 *   plus its bytes, rounded up to 8. Exact for what the decoder produces.
 * - Hash-table entries: V8's `OrderedHashMap` spends 3 words per entry slot
 *   plus one bucket word per 2 slots: 28 bytes per slot. Capacity doubles
 *   when full, so a table holds between 28 and 56 bytes per live entry
 *   (measured: 29.4 at 1,000,000 keys, 48.9 at 600,000); over sizes spread
 *   evenly on a log scale the mean is 28 / ln 2 ≈ 40, the constant used.
 *   A running total cannot follow the doubling without jumping by half the
 *   table at once, which would make eviction lurch; the mean keeps the error
 *   per key within ±16 bytes.
 *
 * @module
 */
import { ByteArena } from "./arena.ts";

/** Bytes per entry of a `Map` or `Set` (mean over fill levels; see the module notes). */
export const HASH_ENTRY_BYTES = 40;

/** Bytes of a record's header in the keyspace's arena: four int32 words (see lib/key_table.ts). */
export const RECORD_HEADER_BYTES = 16;

/**
 * A deadline in the TTL heap: its `Map` entry (40) plus a key reference and a
 * double in two arrays that grow by half (16 bytes, ~19 with slack).
 * Measured: 50 to 72 bytes per TTL between 100,000 and 1,000,000 keys.
 */
export const TTL_ENTRY_BYTES = 60;

/**
 * A sorted set apart from its node slots and members: the object, its member
 * `Map`, two typed arrays with their ArrayBuffers and backing stores (a typed
 * array costs ~200 bytes before its first element), and the member array's
 * first growth to 17 slots (128 bytes), which every stored set has made.
 * Measured 864 bytes for an empty set holding 8 slots (224 of them), 1,031
 * with one member (its string not counted).
 */
export const SORTED_SET_BASE_BYTES = 768;

/** One node slot of a sorted set: links 12, score 8, member reference 8 (see lib/zset.ts). */
export const SORTED_SET_SLOT_BYTES = 28;

/**
 * A key's share of the keyspace's bucket array (lib/key_table.ts): a 4-byte
 * head per bucket, between one and two buckets per key as the table grows
 * (load factor 1), so 4 / ln 2 ≈ 6 on average over fill levels, the same
 * reasoning as {@link HASH_ENTRY_BYTES}: the running total follows keys,
 * not the table's doublings.
 */
export const KEY_BUCKET_BYTES = 6;

/** A collection's slot in the keyspace's array of collections, which its record points at. */
export const COLLECTION_SLOT_BYTES = 8;

/** Heap bytes of a flat one-byte string of `length` characters. */
export function stringBytes(length: number): number {
  return 8 * Math.ceil((16 + length) / 8);
}

/**
 * A key's share of the keyspace: its record (header, key, and a string
 * value's `valueLength` bytes; 0 for a collection, counted apart) at its
 * slot size in the arena, and its bucket share.
 */
export function keyEntryBytes(key: string, valueLength = 0): number {
  return ByteArena.slotBytes(RECORD_HEADER_BYTES + key.length + valueLength) + KEY_BUCKET_BYTES;
}

/**
 * A small sorted set (lib/zset.ts) apart from its members: the object and
 * its two arrays (kept at exactly their length). Measured 147 bytes empty,
 * 418 with 5 members of 24 string bytes, 4,982 with 100.
 */
export const SMALL_SORTED_SET_BASE_BYTES = 180;
/** One member of a small sorted set: a reference and an unboxed double. */
export const SMALL_SORTED_SET_MEMBER_BYTES = 16;

/** A small sorted set with `members` members whose strings take `memberBytes`. */
export function smallSortedSetBytes(members: number, memberBytes: number): number {
  return SMALL_SORTED_SET_BASE_BYTES + members * SMALL_SORTED_SET_MEMBER_BYTES + memberBytes;
}

/**
 * A sorted set with `members` members whose strings take `memberBytes`, and
 * `slots` node slots allocated (its typed arrays' capacity).
 */
export function sortedSetBytes(members: number, slots: number, memberBytes: number): number {
  return SORTED_SET_BASE_BYTES + slots * SORTED_SET_SLOT_BYTES + members * HASH_ENTRY_BYTES +
    memberBytes;
}

/**
 * A list apart from its slots and elements: the object with its private
 * fields and its slot array's headers. Measured 258 bytes for 100,000 lists
 * of one (cached one-character) element each, 64 of them the 8 slots.
 */
export const LIST_BASE_BYTES = 192;

/** One ring-buffer slot of a list: a reference (see lib/list.ts). */
export const LIST_SLOT_BYTES = 8;

/** A list with `slots` ring-buffer slots whose element strings take `elementBytes`. */
export function listBytes(slots: number, elementBytes: number): number {
  return LIST_BASE_BYTES + slots * LIST_SLOT_BYTES + elementBytes;
}

/**
 * A hash apart from its fields: the object, its slot `Map` and two arrays,
 * which take 17 slots at their first push (see lib/hash.ts). Measured 570
 * bytes for a one-field hash and 320 to 450 at five fields, strings and
 * fields aside (`tests/lib/memory_test.ts` checks the mix).
 */
export const HASH_BASE_BYTES = 400;

/**
 * One field of a hash beyond its strings: a `Map` entry (40) and a slot in
 * each of two arrays that grow by half (8 bytes each, ~10 with slack).
 * Measured 118 bytes per field at 100 and 10,000 fields of 24 string bytes, 106 at 1,000,000.
 */
export const HASH_FIELD_BYTES = 60;

/**
 * A set apart from its members: the object, its slot `Map` and one array
 * (see lib/member_set.ts). Measured 400 bytes with one member, 300 with five.
 */
export const MEMBER_SET_BASE_BYTES = 360;

/** One member of a set beyond its string: a `Map` entry (40) and an array slot (~10 with slack). */
export const MEMBER_SET_MEMBER_BYTES = 50;

/**
 * A packed hash (lib/hash.ts) apart from its one flat string: the object
 * with its five private fields. Measured 72 bytes for an empty hash, 225 for
 * ten fields in a 130-char string.
 */
export const PACKED_HASH_BASE_BYTES = 72;

/** A packed hash whose one string is `length` chars long. */
export function packedHashBytes(length: number): number {
  return PACKED_HASH_BASE_BYTES + stringBytes(length);
}

/** A hash with `fields` fields whose field and value strings take `stringBytes`. */
export function hashBytes(fields: number, stringBytes: number): number {
  return HASH_BASE_BYTES + fields * HASH_FIELD_BYTES + stringBytes;
}

/** A set with `members` members whose strings take `stringBytes`. */
export function memberSetBytes(members: number, stringBytes: number): number {
  return MEMBER_SET_BASE_BYTES + members * MEMBER_SET_MEMBER_BYTES + stringBytes;
}

/**
 * A stream apart from its nodes and groups: the object, its node array and
 * ID objects. Estimated from the layout (lib/stream.ts), as for a hash.
 */
export const STREAM_BASE_BYTES = 240;

/** One node of a stream: the object and its three arrays' headers and first growth. */
export const STREAM_NODE_BYTES = 320;

/**
 * One entry of a stream beyond its strings: two ID halves (8 each in a
 * double array), its start index (8) and its string pointers in the node's
 * flat array (8 each, arrays growing by half). Measured 50 bytes per
 * one-value entry over 1,000,000 entries (shared value string, nodes included).
 */
export const STREAM_ENTRY_BYTES = 48;

/** A consumer group apart from its pending entries and consumers. */
export const STREAM_GROUP_BYTES = 400;

/** A pending entry: the object (ID, consumer, time, count) and its slots in two lists. */
export const STREAM_PENDING_BYTES = 80;

/** A consumer apart from its name: the object, its map entry and its pending list. */
export const STREAM_CONSUMER_BYTES = 200;
