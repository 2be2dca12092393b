/**
 * Encodes a keyspace as a Redis RDB file (version 10, what Redis 7.0
 * writes), so `redis-server`, `redis-check-rdb` and every RDB tool read
 * Kache's snapshots, and Kache reads them back with `rdb_reader.ts`.
 *
 * Decisions that shape the module:
 * - Incremental and pure: the caller feeds entries one at a time and takes
 *   the bytes produced so far as chunks whenever it likes. Each chunk owns
 *   its ArrayBuffer, so it can be transferred to a Worker or written to a
 *   file without a copy, and a snapshot can be encoded in slices between
 *   requests. No files, no clock: `ctime` and `used-mem` come in as aux fields.
 * - Byte-compatible with Redis's `rdbSaveLen` / `rdbSaveRawString`: strings
 *   that are canonical integers fitting in 32 bits take the 1-, 2- or 4-byte
 *   integer encodings, longer ones are LZF-compressed when that saves at
 *   least 4 bytes (`rdbcompression`), the rest are length-prefixed.
 * - Every sorted set is written as ZSET_2 (binary float64 scores), every
 *   hash as HASH and every set as SET (plain strings), whatever their size;
 *   Redis turns small ones back into listpacks or intsets when it loads them.
 *   Sorted-set members go in ascending order (Redis goes descending; order is free).
 * - The CRC-64 is folded in as chunks are taken, while the bytes are still
 *   in cache, and closes the file in {@link RdbWriter.finish}.
 *
 * @module
 */
import { Hash } from "../hash.ts";
import { List } from "../list.ts";
import { MemberSet } from "../member_set.ts";
import { Stream } from "../stream.ts";
import type { IdPart } from "../stream_id.ts";
import { INVALID_ENTRIES_READ, type PendingEntry } from "../stream_group.ts";
import { streamIdKey, streamNodeBlob, streamNodeKey } from "./stream_listpack.ts";
import { REDIS_COMPATIBLE_VERSION } from "../version.ts";
import { bytesToString, writeString } from "../bytes.ts";
import { Crc64 } from "./crc64.ts";
import { encodeListpack } from "./listpack_writer.ts";
import { lzfCompress } from "./lzf.ts";
import {
  RDB_ENCODING_LZF,
  RDB_LENGTH_32BIT,
  RDB_LENGTH_64BIT,
  RDB_MAGIC,
  RDB_OPCODE,
  RDB_TYPE,
  RDB_VERSION,
} from "./rdb_format.ts";

/** A sorted set as the writer needs it; `SortedSet` and `Map<member, score>` both fit. */
export interface RdbSortedSet {
  readonly size: number;
  entries(): Iterable<readonly [member: string, score: number]>;
}

/** A value the writer can encode: a one-byte string, a sorted set, a hash, a set, a list or a stream. */
export type RdbValue = string | RdbSortedSet | Hash | MemberSet | List | Stream;

/**
 * Most bytes of one list node's listpack: Redis's default
 * `list-max-listpack-size -2` (8 KB), so Redis keeps the nodes as they are.
 */
const LIST_NODE_BYTES = 8192;
/** QUICKLIST_2 node container: a listpack of elements (1 would be one plain element). */
const QUICKLIST_NODE_PACKED = 2;

/** Options of {@link RdbWriter}; the defaults are Redis's. */
export interface RdbWriterOptions {
  /**
   * Auxiliary fields {@link RdbWriter.header} writes, over the defaults
   * `redis-ver` (the Redis version Kache reports), `redis-bits` 64 and
   * `aof-base` 0. Pass `ctime` (Unix seconds) and `used-mem` (bytes) as Redis does.
   */
  readonly aux?: Readonly<Record<string, string | number>>;
  /** LZF-compress strings longer than 20 bytes when it pays (`rdbcompression`). Default true. */
  readonly compression?: boolean;
  /** Close the file with its CRC-64 (`rdbchecksum`); false writes eight zero bytes. Default true. */
  readonly checksum?: boolean;
  /** Initial size of each chunk's buffer; it grows for larger entries. Default 64 KiB. */
  readonly chunkSize?: number;
}

/** Strings of at most this many bytes are tried as integers (Redis: `len <= 11`). */
const MAX_INTEGER_STRING = 11;
/** Strings longer than this are tried with LZF (Redis: `len > 20`). */
const MIN_COMPRESSED_STRING = 20;
/** Header bytes of a length-prefixed string of any size: 0x81 + 8 bytes. */
const MAX_LENGTH_SIZE = 9;
const DEFAULT_CHUNK_SIZE = 64 * 1024;

/** A float64 seen as its 8 bytes; every host Deno runs on is little-endian, as RDB is. */
const doubleScratch = new Float64Array(1);
const doubleBytes = new Uint8Array(doubleScratch.buffer);

/**
 * Writes one RDB file as a series of chunks: `header()`, then per database
 * `selectDb()` and its `writeEntry()` calls, then `finish()`. Call
 * `takeChunks()` as often as you like (say after every slice of keys) and
 * once more after `finish()`; the chunks, in order, are the file.
 *
 * @example A one-key file
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * const writer = new RdbWriter({ aux: { ctime: 1700000000, "used-mem": 1 << 20 } });
 * writer.header();
 * writer.selectDb(0, 1, 0);
 * writer.writeEntry("greeting", "hello");
 * writer.finish();
 * const [file] = writer.takeChunks();
 * strictEqual(new TextDecoder().decode(file!.subarray(0, 9)), "REDIS0010");
 * ```
 */
export class RdbWriter {
  readonly #aux: Readonly<Record<string, string | number>>;
  readonly #compression: boolean;
  readonly #checksum: boolean;
  readonly #chunkSize: number;
  readonly #crc = new Crc64();
  /** Full chunks not yet taken, already in the CRC. */
  #sealed: Uint8Array[] = [];
  #sealedBytes = 0;
  /** The chunk being filled: `#bytes[0, #length)`. */
  #bytes: Uint8Array;
  #length = 0;
  /** `#bytes[0, #checked)` is already in the CRC. */
  #checked = 0;
  #finished = false;
  /** Scratch for LZF: the string's bytes and the compressed output, grown on demand. */
  #plain = new Uint8Array(0);
  #packed = new Uint8Array(0);

  constructor(options: RdbWriterOptions = {}) {
    this.#aux = {
      "redis-ver": REDIS_COMPATIBLE_VERSION,
      "redis-bits": 64,
      "aof-base": 0,
      ...options.aux,
    };
    this.#compression = options.compression ?? true;
    this.#checksum = options.checksum ?? true;
    this.#chunkSize = Math.max(64, options.chunkSize ?? DEFAULT_CHUNK_SIZE);
    this.#bytes = new Uint8Array(this.#chunkSize);
  }

  /** Bytes produced and not yet taken (the chunk being filled included). */
  get bufferedBytes(): number {
    return this.#sealedBytes + this.#length;
  }

  /** Writes the magic string, the version and the auxiliary fields. */
  header(): void {
    this.#assertOpen();
    this.#reserve(9);
    this.#writeLatin1(RDB_MAGIC + String(RDB_VERSION).padStart(4, "0"));
    for (const [name, value] of Object.entries(this.#aux)) {
      this.#reserve(1);
      this.#bytes[this.#length++] = RDB_OPCODE.AUX;
      this.#writeString(name);
      this.#writeString(typeof value === "number" ? String(value) : value);
    }
  }

  /**
   * Starts database `db` and, when given, records its size hints (Redis's
   * RESIZEDB): how many keys follow and how many of them have an expiry.
   * A database may be selected again later (a snapshot writing a key out
   * of order does), without hints.
   */
  selectDb(db: number, keys?: number, keysWithExpiry = 0): void {
    this.#assertOpen();
    this.#reserve(1 + MAX_LENGTH_SIZE);
    this.#bytes[this.#length++] = RDB_OPCODE.SELECTDB;
    this.#writeLength(db);
    if (keys === undefined) return;
    this.#reserve(1 + 2 * MAX_LENGTH_SIZE);
    this.#bytes[this.#length++] = RDB_OPCODE.RESIZEDB;
    this.#writeLength(keys);
    this.#writeLength(keysWithExpiry);
  }

  /**
   * Writes one key with its value and optional expiry (absolute Unix ms).
   * An empty collection is skipped: Redis drops empty keys when it loads them.
   */
  writeEntry(key: string, value: RdbValue, expiresAtMs?: number): void {
    this.#assertOpen();
    // An empty stream is a value (Redis keeps it); other empty collections are not.
    if (typeof value !== "string" && value.size === 0 && !(value instanceof Stream)) return;
    if (expiresAtMs !== undefined) {
      this.#reserve(9);
      const bytes = this.#bytes;
      let p = this.#length;
      bytes[p++] = RDB_OPCODE.EXPIRETIME_MS;
      // int64 LE as two halves; floor division keeps negative times two's-complement.
      const high = Math.floor(expiresAtMs / 4294967296);
      const low = expiresAtMs - high * 4294967296;
      for (let i = 0; i < 4; i++) bytes[p++] = low >>> (8 * i);
      for (let i = 0; i < 4; i++) bytes[p++] = high >> (8 * i);
      this.#length = p;
    }
    this.#reserve(1);
    if (typeof value === "string") {
      this.#bytes[this.#length++] = RDB_TYPE.STRING;
      this.#writeString(key);
      this.#writeString(value);
      return;
    }
    if (value instanceof List) {
      this.#writeList(key, value);
      return;
    }
    if (value instanceof Hash) {
      this.#bytes[this.#length++] = RDB_TYPE.HASH;
      this.#writeString(key);
      this.#reserve(MAX_LENGTH_SIZE);
      this.#writeLength(value.size);
      for (const [field, fieldValue] of value.entries()) {
        this.#writeString(field);
        this.#writeString(fieldValue);
      }
      return;
    }
    if (value instanceof Stream) {
      this.#writeStream(key, value);
      return;
    }
    if (value instanceof MemberSet) {
      this.#bytes[this.#length++] = RDB_TYPE.SET;
      this.#writeString(key);
      this.#reserve(MAX_LENGTH_SIZE);
      this.#writeLength(value.size);
      for (const member of value.members()) this.#writeString(member);
      return;
    }
    this.#bytes[this.#length++] = RDB_TYPE.ZSET_2;
    this.#writeString(key);
    const size = value.size;
    this.#reserve(MAX_LENGTH_SIZE);
    this.#writeLength(size);
    let written = 0;
    for (const [member, score] of value.entries()) {
      this.#writeString(member);
      this.#reserve(8);
      doubleScratch[0] = score;
      const bytes = this.#bytes;
      const p = this.#length;
      for (let i = 0; i < 8; i++) bytes[p + i] = doubleBytes[i]!;
      this.#length = p + 8;
      written++;
    }
    if (written !== size) {
      throw new RangeError(
        `Sorted set ${JSON.stringify(key)} reported ${size} members but yielded ${written}`,
      );
    }
  }

  /**
   * A list as Redis 7.0 saves it: QUICKLIST_2, nodes of at most 8 KB of
   * listpack each (an element larger than that gets a node of its own).
   */
  #writeList(key: string, list: List): void {
    const nodes: string[][] = [];
    let node: string[] = [];
    let nodeBytes = 7;
    for (const element of list.values()) {
      const size = listpackEntryBound(element);
      if (node.length > 0 && nodeBytes + size > LIST_NODE_BYTES) {
        nodes.push(node);
        node = [];
        nodeBytes = 7;
      }
      node.push(element);
      nodeBytes += size;
    }
    if (node.length > 0) nodes.push(node);
    this.#bytes[this.#length++] = RDB_TYPE.LIST_QUICKLIST_2;
    this.#writeString(key);
    this.#reserve(MAX_LENGTH_SIZE);
    this.#writeLength(nodes.length);
    for (const elements of nodes) {
      this.#reserve(MAX_LENGTH_SIZE);
      this.#writeLength(QUICKLIST_NODE_PACKED);
      this.#writeString(bytesToString(encodeListpack(elements)));
    }
  }

  /**
   * A stream as Redis 7.0 saves it (STREAM_LISTPACKS_2, `rdbSaveObject`):
   * its nodes as listpacks, the counters and IDs, then every group with its
   * PEL and consumers.
   */
  #writeStream(key: string, stream: Stream): void {
    this.#bytes[this.#length++] = RDB_TYPE.STREAM_LISTPACKS_2;
    this.#writeString(key);
    const nodes = stream.nodes;
    this.#reserve(MAX_LENGTH_SIZE);
    this.#writeLength(nodes.length);
    for (const node of nodes) {
      this.#writeString(streamNodeKey(node));
      this.#writeString(streamNodeBlob(node));
    }
    const { lastId, firstId, maxDeletedId } = stream;
    for (
      const value of [
        stream.size,
        lastId.ms,
        lastId.seq,
        firstId.ms,
        firstId.seq,
        maxDeletedId.ms,
        maxDeletedId.seq,
        stream.entriesAdded,
      ]
    ) {
      this.#writeUint64(value);
    }
    const groups = stream.sortedGroups();
    this.#writeUint64(groups.length);
    for (const group of groups) {
      this.#writeString(group.name);
      this.#writeUint64(group.lastId.ms);
      this.#writeUint64(group.lastId.seq);
      // -1 (unknown) is written as the uint64 it is cast to.
      this.#writeUint64(
        group.entriesRead === INVALID_ENTRIES_READ ? 2n ** 64n - 1n : group.entriesRead,
      );
      this.#writePending(group.pending, true);
      const consumers = group.sortedConsumers();
      this.#writeUint64(consumers.length);
      for (const consumer of consumers) {
        this.#writeString(consumer.name);
        this.#writeMilliseconds(consumer.seenTime);
        this.#writePending(consumer.pending, false);
      }
    }
  }

  /** A PEL: its size, then each raw 16-byte ID, with delivery time and count in the group's. */
  #writePending(pending: Iterable<PendingEntry> & { readonly size: number }, nacks: boolean): void {
    this.#writeUint64(pending.size);
    for (const entry of pending) {
      this.#reserve(16);
      this.#writeLatin1(streamIdKey(entry.id));
      if (nacks) {
        this.#writeMilliseconds(entry.deliveryTime);
        this.#writeUint64(entry.deliveryCount);
      }
    }
  }

  /** Redis's `rdbSaveLen` for any uint64. */
  #writeUint64(value: IdPart | bigint): void {
    this.#reserve(MAX_LENGTH_SIZE);
    if (typeof value === "number") {
      this.#writeLength(value);
      return;
    }
    const bytes = this.#bytes;
    let p = this.#length;
    bytes[p++] = RDB_LENGTH_64BIT;
    for (let shift = 56n; shift >= 0n; shift -= 8n) bytes[p++] = Number((value >> shift) & 0xffn);
    this.#length = p;
  }

  /** Redis's `rdbSaveMillisecondTime`: an int64, little-endian. */
  #writeMilliseconds(milliseconds: number): void {
    this.#reserve(8);
    const bytes = this.#bytes;
    let p = this.#length;
    const high = Math.floor(milliseconds / 4294967296);
    const low = milliseconds - high * 4294967296;
    for (let i = 0; i < 4; i++) bytes[p++] = low >>> (8 * i);
    for (let i = 0; i < 4; i++) bytes[p++] = high >> (8 * i);
    this.#length = p;
  }

  /** Writes the EOF opcode and the CRC-64 trailer. Nothing may be written after it. */
  finish(): void {
    this.#assertOpen();
    this.#finished = true;
    this.#reserve(9);
    this.#bytes[this.#length++] = RDB_OPCODE.EOF;
    if (this.#checksum) {
      this.#crc.update(this.#bytes, this.#checked, this.#length);
      this.#crc.writeTo(this.#bytes, this.#length);
    } else {
      this.#bytes.fill(0, this.#length, this.#length + 8);
    }
    this.#length += 8;
    this.#sealed.push(this.#bytes.subarray(0, this.#length));
    this.#sealedBytes += this.#length;
    this.#bytes = new Uint8Array(0);
    this.#length = 0;
    this.#checked = 0;
  }

  /**
   * Hands over the chunks completed since the last call, in file order: each
   * about `chunkSize` bytes (more if one string is larger), the last one after
   * `finish()` shorter. Each chunk owns its ArrayBuffer (which may be longer
   * than the view), so it can be transferred, and none is ever copied.
   */
  takeChunks(): Uint8Array[] {
    const chunks = this.#sealed;
    this.#sealed = [];
    this.#sealedBytes = 0;
    return chunks;
  }

  #assertOpen(): void {
    if (this.#finished) throw new Error("RdbWriter.finish() was already called");
  }

  /** Makes room for `size` more bytes, sealing the current chunk if it is too full. */
  #reserve(size: number): void {
    if (this.#length + size > this.#bytes.length) this.#seal(size);
  }

  /** Closes the current chunk (if it holds anything) and starts one with room for `size`. */
  #seal(size: number): void {
    if (this.#length > 0) {
      if (this.#checksum) this.#crc.update(this.#bytes, this.#checked, this.#length);
      const chunk = this.#bytes.subarray(0, this.#length);
      this.#sealed.push(chunk);
      this.#sealedBytes += chunk.length;
      this.#bytes = new Uint8Array(Math.max(this.#chunkSize, size));
    } else if (size > this.#bytes.length) {
      this.#bytes = new Uint8Array(size);
    }
    this.#length = 0;
    this.#checked = 0;
  }

  /** Redis's `rdbSaveLen`: 6-, 14-, 32- or 64-bit, big-endian beyond one byte. */
  #writeLength(length: number): void {
    const bytes = this.#bytes;
    let p = this.#length;
    if (length < 64) {
      bytes[p++] = length;
    } else if (length < 16384) {
      bytes[p++] = 0x40 | (length >> 8);
      bytes[p++] = length & 0xff;
    } else if (length <= 0xffffffff) {
      bytes[p++] = RDB_LENGTH_32BIT;
      bytes[p++] = length >>> 24;
      bytes[p++] = length >>> 16;
      bytes[p++] = length >>> 8;
      bytes[p++] = length;
    } else {
      bytes[p++] = RDB_LENGTH_64BIT;
      const high = Math.floor(length / 4294967296);
      for (let shift = 24; shift >= 0; shift -= 8) bytes[p++] = high >>> shift;
      for (let shift = 24; shift >= 0; shift -= 8) bytes[p++] = length >>> shift;
    }
    this.#length = p;
  }

  /**
   * Writes one function library (RDB_OPCODE_FUNCTION2 and its code), as
   * Redis 7.0 does right after the auxiliary fields, before any database.
   */
  writeFunction(code: string): void {
    this.#assertOpen();
    this.#reserve(1);
    this.#bytes[this.#length++] = RDB_OPCODE.FUNCTION2;
    this.#writeString(code);
  }

  /** Redis's `rdbSaveRawString`: integer encoding, else LZF, else length + bytes. */
  #writeString(text: string): void {
    const length = text.length;
    if (length <= MAX_INTEGER_STRING) {
      const value = canonicalInt32(text);
      if (value !== undefined) {
        this.#writeInteger(value);
        return;
      }
    } else if (this.#compression && length > MIN_COMPRESSED_STRING && this.#writeCompressed(text)) {
      return;
    }
    this.#reserve(MAX_LENGTH_SIZE + length);
    this.#writeLength(length);
    this.#writeLatin1(text);
  }

  /** Redis's `rdbEncodeInteger`: 0xC0 + int8, 0xC1 + int16 LE or 0xC2 + int32 LE. */
  #writeInteger(value: number): void {
    this.#reserve(5);
    const bytes = this.#bytes;
    let p = this.#length;
    if (value >= -128 && value <= 127) {
      bytes[p++] = 0xc0;
      bytes[p++] = value;
    } else if (value >= -32768 && value <= 32767) {
      bytes[p++] = 0xc1;
      bytes[p++] = value;
      bytes[p++] = value >> 8;
    } else {
      bytes[p++] = 0xc2;
      bytes[p++] = value;
      bytes[p++] = value >> 8;
      bytes[p++] = value >> 16;
      bytes[p++] = value >> 24;
    }
    this.#length = p;
  }

  /** Writes `text` LZF-compressed if that saves at least 4 bytes; false if it does not. */
  #writeCompressed(text: string): boolean {
    const length = text.length;
    if (this.#plain.length < length) {
      this.#plain = new Uint8Array(Math.max(length, this.#plain.length * 2));
      this.#packed = new Uint8Array(this.#plain.length);
    }
    const plain = this.#plain;
    for (let i = 0; i < length; i++) plain[i] = text.charCodeAt(i);
    // Redis's rule (rdbSaveLzfStringObject): the output must fit in length - 4 bytes.
    const packedLength = lzfCompress(plain, length, this.#packed.subarray(0, length - 4));
    if (packedLength === 0) return false;
    this.#reserve(1 + 2 * MAX_LENGTH_SIZE + packedLength);
    this.#bytes[this.#length++] = 0xc0 | RDB_ENCODING_LZF;
    this.#writeLength(packedLength);
    this.#writeLength(length);
    this.#bytes.set(this.#packed.subarray(0, packedLength), this.#length);
    this.#length += packedLength;
    return true;
  }

  /** Copies a one-byte string; room must be reserved. */
  #writeLatin1(text: string): void {
    this.#length = writeString(this.#bytes, this.#length, text);
  }
}

/**
 * The value of `text` if it is the canonical decimal form of an integer in
 * int32 range (no sign on zero, no leading zeros, no "+"), else undefined:
 * exactly the strings Redis's `rdbTryIntegerEncoding` stores as integers.
 */
function canonicalInt32(text: string): number | undefined {
  const length = text.length;
  if (length === 0) return undefined;
  let i = 0;
  const negative = text.charCodeAt(0) === 45;
  if (negative) {
    if (length === 1) return undefined;
    i = 1;
  }
  if (text.charCodeAt(i) === 48) return length === 1 ? 0 : undefined;
  let value = 0;
  for (; i < length; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return undefined;
    value = value * 10 + digit;
  }
  if (negative) value = -value;
  return value >= -2147483648 && value <= 2147483647 ? value : undefined;
}

/**
 * Bytes a listpack entry for `element` takes at most (stored as a string;
 * a canonical integer takes less), to cut a list into nodes before encoding.
 */
function listpackEntryBound(element: string): number {
  const length = element.length;
  const entry = (length < 64 ? 1 : length < 4096 ? 2 : 5) + length;
  return entry +
    (entry <= 127 ? 1 : entry < 16383 ? 2 : entry < 2097151 ? 3 : entry < 268435455 ? 4 : 5);
}
