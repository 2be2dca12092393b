/**
 * Decodes Redis RDB files (versions 1–11: Redis 2.x through 7.2) into the
 * entries Kache can hold: strings, sorted sets, hashes and sets, with their
 * expiries. Hashes and sets arrive as Kache's own `Hash` and `MemberSet`,
 * from every encoding Redis has written for them (plain, zipmap, ziplist,
 * listpack, intset).
 *
 * Decisions that shape the module:
 * - Incremental and pure: bytes come in by {@link RdbReader.push} in chunks
 *   of any size and entries go out to a callback as soon as they are
 *   complete, so a large file never has to sit in memory whole. An item cut
 *   by a chunk boundary is parsed again from its start once more bytes have
 *   come; the retry waits until the buffered part has doubled, so even one
 *   huge sorted set costs O(n) overall.
 * - Strict, with positions: anything Kache cannot hold faithfully (lists,
 *   streams, modules, functions, databases other than 0) and anything
 *   malformed (bad lengths, corrupt LZF, listpacks or intsets, NaN scores,
 *   duplicate members or fields, a wrong CRC-64, a file cut short) raises an
 *   {@link RdbError} carrying the byte offset. No input makes it read out of
 *   bounds or throw anything else.
 * - Policy stays with the caller: expired keys are reported with their
 *   expiry, not dropped, because the reader has no clock. Empty collections
 *   are skipped, as Redis skips them on load.
 *
 * @module
 */
import { bytesToString } from "../bytes.ts";
import { Hash } from "../hash.ts";
import { List } from "../list.ts";
import { MemberSet } from "../member_set.ts";
import { Stream } from "../stream.ts";
import { type IdPart, idPart, type StreamId } from "../stream_id.ts";
import { INVALID_ENTRIES_READ, type PendingEntry } from "../stream_group.ts";
import { loadStreamNode, streamIdFromKey } from "./stream_listpack.ts";
import { Crc64 } from "./crc64.ts";
import { decodeListpack } from "./listpack.ts";
import { lzfDecompress } from "./lzf.ts";
import {
  RDB_ENCODING_INT16,
  RDB_ENCODING_INT32,
  RDB_ENCODING_INT8,
  RDB_ENCODING_LZF,
  RDB_LENGTH_32BIT,
  RDB_LENGTH_64BIT,
  RDB_MAGIC,
  RDB_OPCODE,
  RDB_TYPE,
  RDB_TYPE_NAMES,
  RDB_VERSION_CHECKSUM,
  RDB_VERSION_MAX_READ,
} from "./rdb_format.ts";
import { decodeZiplist } from "./ziplist.ts";
import { decodeIntset } from "./intset.ts";
import { decodeZipmap } from "./zipmap.ts";
import { ChunkWindow } from "./chunk_window.ts";

/** One key as the file holds it. */
export interface RdbEntry {
  /** The database the key belongs to (the last SELECTDB before it; 0 without one). */
  readonly db: number;
  /** The key, one char per byte. */
  readonly key: string;
  /**
   * A string value, a sorted set's members with their scores (file order, no
   * duplicates), a hash, a set or a list.
   */
  readonly value:
    | string
    | Array<[member: string, score: number]>
    | Hash
    | MemberSet
    | List
    | Stream;
  /** Absolute Unix milliseconds, or undefined for a key without expiry. */
  readonly expiresAtMs: number | undefined;
}

/** What the whole file said besides its keys, returned by {@link RdbReader.end}. */
export interface RdbFileInfo {
  /** The RDB format version from the header. */
  readonly version: number;
  /** Auxiliary fields (`redis-ver`, `ctime`, …) as one-byte strings. */
  readonly aux: ReadonlyMap<string, string>;
  /** Entries delivered to the callback. */
  readonly keys: number;
  /** Keys skipped because their collection was empty. */
  readonly emptyKeysSkipped: number;
  /**
   * "verified" when the CRC-64 trailer matched, "disabled" when it was zero
   * (Redis with `rdbchecksum no`), "absent" for versions before 5.
   */
  readonly checksum: "verified" | "disabled" | "absent";
  /** Bytes of the RDB file, trailer included. */
  readonly length: number;
  /**
   * Listpacks and intsets read (7.0's packed list nodes, hash, set and
   * sorted set listpacks, intsets, stream nodes): the blobs Redis counts in
   * `dump_payload_sanitizations` when it validates them deeply. This reader
   * always does: every element is decoded and checked, duplicates included.
   */
  readonly deepValidations: number;
}

/** Options of {@link RdbReader}. */
export interface RdbReaderOptions {
  /**
   * Accept bytes after the trailer instead of failing; they are ignored and
   * `length` tells where the RDB ended (an AOF with an RDB preamble continues so).
   */
  readonly allowTrailingData?: boolean;
  /**
   * The server's database count: a SELECTDB of one at or past it fails the
   * file, with Redis's text. Unlimited when absent.
   */
  readonly databases?: number;
  /** Receives each function library's code (RDB_OPCODE_FUNCTION2); without it they are refused. */
  readonly onFunction?: (code: string) => string | undefined;
}

/**
 * A file Kache cannot load, with the byte offset of what is wrong.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * const error = new RdbError("RDB checksum mismatch", 120);
 * strictEqual(error.offset, 120);
 * strictEqual(error.message, "RDB checksum mismatch at offset 120");
 * ```
 */
export class RdbError extends Error {
  /** Offset from the start of the file. */
  readonly offset: number;

  constructor(problem: string, offset: number) {
    super(`${problem} at offset ${offset}`);
    this.name = "RdbError";
    this.offset = offset;
  }
}

/** Thrown internally when the buffered bytes end inside an item; never escapes. */
class NeedMore {}
const NEED_MORE = new NeedMore();
/** QUICKLIST_2 node containers: one element as a plain string, or a listpack of several. */
const QUICKLIST_NODE_PLAIN = 1;
const QUICKLIST_NODE_PACKED = 2;

/** Where the reader is: the first three parse items; "done" takes no more bytes. */
type State = "magic" | "body" | "checksum" | "done";

/** "REDIS" + 4 version digits. */
const MAGIC_SIZE = 9;
/** V8's longest string (2^29 - 24 chars); longer values cannot be held. */
const MAX_STRING = 2 ** 29 - 24;
/** LZF's best ratio: a 3-byte back reference expands to 264 bytes. */
const LZF_MAX_RATIO = 88;
/** Bytes of a key shown in error messages before eliding the rest. */
const KEY_PREVIEW = 64;

/** Eight bytes seen as a float64; every host Deno runs on is little-endian, as RDB is. */
const doubleScratch = new Float64Array(1);
const doubleBytes = new Uint8Array(doubleScratch.buffer);

/**
 * Parses one RDB file fed in chunks, calling `onEntry` for each key.
 *
 * @example Reading a file written by RdbWriter
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { RdbWriter } from "./rdb_writer.ts";
 * const writer = new RdbWriter();
 * writer.header();
 * writer.selectDb(0, 1, 1);
 * writer.writeEntry("board", new Map([["ann", 3], ["bob", -Infinity]]), 1_900_000_000_000);
 * writer.finish();
 * const entries: RdbEntry[] = [];
 * const reader = new RdbReader((entry) => entries.push(entry));
 * for (const chunk of writer.takeChunks()) reader.push(chunk);
 * reader.end();
 * deepStrictEqual(entries, [{
 *   db: 0,
 *   key: "board",
 *   value: [["ann", 3], ["bob", -Infinity]],
 *   expiresAtMs: 1_900_000_000_000,
 * }]);
 * ```
 */
export class RdbReader extends ChunkWindow {
  readonly #onEntry: (entry: RdbEntry) => void;
  readonly #allowTrailingData: boolean;
  readonly #databases: number;
  readonly #crc = new Crc64();
  readonly #aux = new Map<string, string>();
  #state: State = "magic";
  #version = 0;
  #checksum: RdbFileInfo["checksum"] = "absent";
  /** Parsing is not retried until the file has reached this offset. */
  #retryAt = 0;
  /** The parse cursor inside the item being read. */
  #p = 0;
  #db = 0;
  #pendingExpiry: number | undefined = undefined;
  /** The key being read, for truncation messages. */
  #currentKey: string | undefined = undefined;
  #keys = 0;
  #emptyKeys = 0;
  #deepValidations = 0;
  /** Packed blobs of the item being parsed: counted once the item is complete (not on retries). */
  #itemValidations = 0;
  #length = 0;

  readonly #onFunction: ((code: string) => string | undefined) | undefined;

  constructor(onEntry: (entry: RdbEntry) => void, options: RdbReaderOptions = {}) {
    super();
    this.#onEntry = onEntry;
    this.#allowTrailingData = options.allowTrailingData ?? false;
    this.#databases = options.databases ?? Infinity;
    this.#onFunction = options.onFunction;
  }

  /** True once the EOF opcode and the trailer have been read. */
  get done(): boolean {
    return this.#state === "done";
  }

  /**
   * Adds the next bytes of the file and delivers every entry they complete.
   * The chunk is not kept after the call returns, so the caller may reuse it.
   */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    if (this.#state === "done") {
      this.#rejectTrailing(this.base + this.limit, chunk.length);
      this.base += chunk.length;
      return;
    }
    this.append(chunk);
    this.#parse(false);
    if (this.done) {
      this.#rejectTrailing(this.base + this.pos, this.limit - this.pos);
      this.base += this.limit;
      this.bytes = new Uint8Array(0);
      this.pos = this.limit = 0;
      this.owned = true;
    } else if (!this.owned) {
      this.keepRest();
    }
  }

  /** Declares the file complete: parses what is left and fails if the file is cut short. */
  end(): RdbFileInfo {
    if (this.#state !== "done") this.#parse(true);
    return {
      version: this.#version,
      aux: this.#aux,
      keys: this.#keys,
      emptyKeysSkipped: this.#emptyKeys,
      checksum: this.#checksum,
      length: this.#length,
      deepValidations: this.#deepValidations,
    };
  }

  #rejectTrailing(offset: number, count: number): void {
    if (count > 0 && !this.#allowTrailingData) {
      throw new RdbError(`${count} unexpected bytes after the end of the RDB data`, offset);
    }
  }

  #parse(final: boolean): void {
    while (this.#state !== "done") {
      const start = this.pos;
      if (!final && this.base + this.limit < this.#retryAt) return;
      this.#p = start;
      // The CRC covers the header and every item up to and including the EOF opcode.
      const covered = this.#state !== "checksum";
      let entry: RdbEntry | undefined;
      this.#itemValidations = 0;
      try {
        entry = this.#step();
      } catch (error) {
        if (error !== NEED_MORE) throw error;
        if (final) throw this.#truncated(start);
        // Retry when twice as much of this item is buffered: O(n) total for huge items.
        const buffered = this.limit - start;
        this.#retryAt = this.base + start + Math.max(buffered + 1, 2 * buffered);
        return;
      }
      if (covered) this.#crc.update(this.bytes, start, this.#p);
      this.pos = this.#p;
      this.#deepValidations += this.#itemValidations;
      if (entry !== undefined) {
        this.#keys++;
        this.#onEntry(entry);
      }
    }
  }

  #truncated(start: number): RdbError {
    const fileEnd = this.base + this.limit;
    if (this.#state === "body" && start === this.limit) {
      return new RdbError("RDB file ends before its EOF opcode", fileEnd);
    }
    const where = this.#state === "magic"
      ? "the header"
      : this.#state === "checksum"
      ? "the checksum"
      : this.#currentKey !== undefined
      ? `key ${quote(this.#currentKey)}`
      : "an item";
    return new RdbError(
      `RDB file is truncated inside ${where} (which starts at offset ${this.base + start})`,
      fileEnd,
    );
  }

  /** Parses one item at `#p`; returns the entry it completes, if any. */
  #step(): RdbEntry | undefined {
    switch (this.#state) {
      case "magic":
        this.#readMagic();
        return undefined;
      case "checksum":
        this.#readChecksum();
        return undefined;
      default:
        return this.#readItem();
    }
  }

  #readMagic(): void {
    this.#need(MAGIC_SIZE);
    const bytes = this.bytes;
    const p = this.#p;
    const magic = bytesToString(bytes, p, p + 5);
    if (magic !== RDB_MAGIC) {
      throw this.#fail(`Not an RDB file: it starts with ${quote(magic)}, not "REDIS"`, p);
    }
    const digits = bytesToString(bytes, p + 5, p + 9);
    if (!/^[0-9]{4}$/.test(digits)) {
      throw this.#fail(`RDB version ${quote(digits)} is not a number`, p + 5);
    }
    const version = Number(digits);
    if (version < 1 || version > RDB_VERSION_MAX_READ) {
      throw this.#fail(
        `RDB version ${version} is not supported (Kache reads versions 1 to ${RDB_VERSION_MAX_READ})`,
        p + 5,
      );
    }
    this.#p = p + MAGIC_SIZE;
    this.#version = version;
    this.#state = "body";
  }

  #readChecksum(): void {
    this.#need(8);
    const bytes = this.bytes;
    const p = this.#p;
    let stored = 0n;
    for (let i = 7; i >= 0; i--) stored = (stored << 8n) | BigInt(bytes[p + i]!);
    this.#p = p + 8;
    if (stored === 0n) {
      this.#checksum = "disabled";
    } else {
      const computed = this.#crc.value();
      if (stored !== computed) {
        throw this.#fail(
          `RDB checksum mismatch: the file says 0x${stored.toString(16)}, ` +
            `its contents give 0x${computed.toString(16)}`,
          p,
        );
      }
      this.#checksum = "verified";
    }
    this.#finish();
  }

  #finish(): void {
    this.#state = "done";
    this.#length = this.base + this.#p;
  }

  #readItem(): RdbEntry | undefined {
    const at = this.#p;
    const opcode = this.#byte();
    switch (opcode) {
      case RDB_OPCODE.EOF:
        if (this.#version >= RDB_VERSION_CHECKSUM) {
          this.#state = "checksum";
        } else {
          this.#finish();
        }
        return undefined;
      case RDB_OPCODE.SELECTDB: {
        const db = this.#readLength();
        if (db >= this.#databases) {
          throw this.#fail(
            "FATAL: Data file was created with a Redis server configured to handle more than " +
              `${this.#databases} databases`,
            at,
          );
        }
        this.#db = db;
        return undefined;
      }
      case RDB_OPCODE.RESIZEDB:
        this.#readLength();
        this.#readLength();
        return undefined;
      case RDB_OPCODE.AUX: {
        const name = this.#readString();
        const value = this.#readString();
        this.#aux.set(name, value);
        return undefined;
      }
      case RDB_OPCODE.EXPIRETIME_MS: {
        this.#need(8);
        const bytes = this.bytes;
        const p = this.#p;
        const low = (bytes[p]! | (bytes[p + 1]! << 8) | (bytes[p + 2]! << 16) |
          (bytes[p + 3]! << 24)) >>> 0;
        const high = bytes[p + 4]! | (bytes[p + 5]! << 8) | (bytes[p + 6]! << 16) |
          (bytes[p + 7]! << 24);
        this.#p = p + 8;
        this.#pendingExpiry = high * 4294967296 + low;
        return undefined;
      }
      case RDB_OPCODE.EXPIRETIME: {
        this.#need(4);
        const bytes = this.bytes;
        const p = this.#p;
        const seconds = bytes[p]! | (bytes[p + 1]! << 8) | (bytes[p + 2]! << 16) |
          (bytes[p + 3]! << 24);
        this.#p = p + 4;
        this.#pendingExpiry = seconds * 1000;
        return undefined;
      }
      case RDB_OPCODE.IDLE:
        this.#readLength();
        return undefined;
      case RDB_OPCODE.FREQ:
        this.#byte();
        return undefined;
      case RDB_OPCODE.MODULE_AUX:
        throw this.#fail(
          "Unsupported RDB opcode 247 (module auxiliary data; Kache has no modules)",
          at,
        );
      case RDB_OPCODE.FUNCTION2:
        if (this.#onFunction !== undefined) {
          const problem = this.#onFunction(this.#readString());
          if (problem !== undefined) {
            throw this.#fail(`Cannot load a function library: ${problem}`, at);
          }
          return undefined;
        }
        throw this.#fail(
          `Unsupported RDB opcode ${opcode} (a function library, and no place to load it)`,
          at,
        );
      case RDB_OPCODE.FUNCTION_PRE_GA:
        throw this.#fail(
          `Unsupported RDB opcode ${opcode} (a function library as Redis 7.0 release ` +
            "candidates wrote it)",
          at,
        );
      default:
        return this.#readEntry(opcode, at);
    }
  }

  #readEntry(type: number, at: number): RdbEntry | undefined {
    this.#currentKey = undefined;
    const key = this.#readString();
    this.#currentKey = key;
    let value: RdbEntry["value"];
    switch (type) {
      case RDB_TYPE.STRING:
        value = this.#readString();
        break;
      case RDB_TYPE.ZSET:
      case RDB_TYPE.ZSET_2:
        value = this.#readSortedSet(key, type === RDB_TYPE.ZSET);
        break;
      case RDB_TYPE.ZSET_ZIPLIST:
      case RDB_TYPE.ZSET_LISTPACK:
        value = this.#readPackedSortedSet(key, type === RDB_TYPE.ZSET_LISTPACK);
        break;
      case RDB_TYPE.LIST:
      case RDB_TYPE.LIST_ZIPLIST:
      case RDB_TYPE.LIST_QUICKLIST:
      case RDB_TYPE.LIST_QUICKLIST_2:
        value = this.#readList(key, type);
        break;
      case RDB_TYPE.HASH:
        value = this.#readHash(key);
        break;
      case RDB_TYPE.HASH_ZIPMAP:
      case RDB_TYPE.HASH_ZIPLIST:
      case RDB_TYPE.HASH_LISTPACK:
        value = this.#readPackedHash(key, type);
        break;
      case RDB_TYPE.SET:
        value = this.#readSet(key);
        break;
      case RDB_TYPE.SET_INTSET:
      case RDB_TYPE.SET_LISTPACK:
        value = this.#readPackedSet(key, type);
        break;
      case RDB_TYPE.STREAM_LISTPACKS:
      case RDB_TYPE.STREAM_LISTPACKS_2:
        value = this.#readStream(key, type === RDB_TYPE.STREAM_LISTPACKS_2);
        break;
      default: {
        const name = RDB_TYPE_NAMES[type];
        throw this.#fail(
          `Unsupported value type ${type} for key ${quote(key)}` +
            (name === undefined
              ? " (unknown to Kache)"
              : ` (a ${name}; Kache holds only strings, lists, sorted sets, hashes, sets and streams)`),
          at,
        );
      }
    }
    const expiresAtMs = this.#pendingExpiry;
    this.#pendingExpiry = undefined;
    this.#currentKey = undefined;
    if (
      typeof value !== "string" && !(value instanceof Stream) &&
      (Array.isArray(value) ? value.length : value.size) === 0
    ) {
      this.#emptyKeys++;
      return undefined;
    }
    return { db: this.#db, key, value, expiresAtMs };
  }

  /** The four list encodings: plain, one ziplist, ziplist nodes, and 7.0's nodes with containers. */
  #readList(key: string, type: number): List {
    const list = new List();
    if (type === RDB_TYPE.LIST_ZIPLIST) {
      for (const element of this.#readPacked(key, type, this.#p)) list.pushBack(element);
      return list;
    }
    const count = this.#readLength();
    for (let i = 0; i < count; i++) {
      if (type === RDB_TYPE.LIST) {
        list.pushBack(this.#readString());
        continue;
      }
      if (type === RDB_TYPE.LIST_QUICKLIST_2) {
        const at = this.#p;
        const container = this.#readLength();
        if (container === QUICKLIST_NODE_PLAIN) {
          list.pushBack(this.#readString());
          continue;
        }
        if (container !== QUICKLIST_NODE_PACKED) {
          throw this.#fail(
            `Unknown quicklist node container ${container} in key ${quote(key)}`,
            at,
          );
        }
      }
      for (const element of this.#readPacked(key, type, this.#p)) {
        list.pushBack(element);
      }
    }
    return list;
  }

  #readSortedSet(key: string, textScores: boolean): Array<[string, number]> {
    const count = this.#readLength();
    const pairs: Array<[string, number]> = [];
    const seen = new Set<string>();
    for (let i = 0; i < count; i++) {
      const member = this.#readString();
      const scoreAt = this.#p;
      const score = textScores ? this.#readTextScore() : this.#readBinaryScore();
      this.#checkMember(key, member, score, seen, scoreAt);
      pairs.push([member, score]);
    }
    return pairs;
  }

  #readPackedSortedSet(key: string, listpack: boolean): Array<[string, number]> {
    const at = this.#p;
    const blob = this.#readBlob();
    let elements: string[];
    if (listpack) this.#itemValidations++;
    try {
      elements = listpack ? decodeListpack(blob) : decodeZiplist(blob);
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      throw this.#fail(
        `Corrupt ${listpack ? "listpack" : "ziplist"} of key ${quote(key)}: ${error.message}`,
        at,
      );
    }
    if (elements.length % 2 !== 0) {
      throw this.#fail(
        `Sorted set ${quote(key)} has an odd number (${elements.length}) of packed elements`,
        at,
      );
    }
    const pairs: Array<[string, number]> = [];
    const seen = new Set<string>();
    for (let i = 0; i < elements.length; i += 2) {
      const member = elements[i]!;
      const text = elements[i + 1]!;
      const score = parseScore(text);
      if (score === undefined) {
        throw this.#fail(`Invalid score ${quote(text)} for key ${quote(key)}`, at);
      }
      this.#checkMember(key, member, score, seen, at);
      pairs.push([member, score]);
    }
    return pairs;
  }

  #readHash(key: string): Hash {
    const count = this.#readLength();
    const hash = new Hash();
    for (let i = 0; i < count; i++) {
      const at = this.#p;
      const field = this.#readString();
      if (!hash.set(field, this.#readString())) {
        throw this.#fail(`Duplicate field ${quote(field)} in hash ${quote(key)}`, at);
      }
    }
    return hash;
  }

  #readSet(key: string): MemberSet {
    const count = this.#readLength();
    const set = new MemberSet();
    for (let i = 0; i < count; i++) {
      const at = this.#p;
      const member = this.#readString();
      if (!set.add(member)) {
        throw this.#fail(`Duplicate member ${quote(member)} in set ${quote(key)}`, at);
      }
    }
    return set;
  }

  /** A hash as one zipmap, ziplist or listpack blob: field, value, field, value… */
  #readPackedHash(key: string, type: number): Hash {
    const at = this.#p;
    const elements = this.#readPacked(key, type, at);
    if (elements.length % 2 !== 0) {
      throw this.#fail(
        `Hash ${quote(key)} has an odd number (${elements.length}) of packed elements`,
        at,
      );
    }
    const hash = new Hash();
    for (let i = 0; i < elements.length; i += 2) {
      if (!hash.set(elements[i]!, elements[i + 1]!)) {
        throw this.#fail(`Duplicate field ${quote(elements[i]!)} in hash ${quote(key)}`, at);
      }
    }
    return hash;
  }

  /** A set as one intset or listpack blob. */
  #readPackedSet(key: string, type: number): MemberSet {
    const at = this.#p;
    const set = new MemberSet();
    for (const member of this.#readPacked(key, type, at)) {
      if (!set.add(member)) {
        throw this.#fail(`Duplicate member ${quote(member)} in set ${quote(key)}`, at);
      }
    }
    return set;
  }

  /**
   * A stream, Redis 5–6's STREAM_LISTPACKS or 7.0's STREAM_LISTPACKS_2
   * (`rdbLoadObject`): listpack nodes, counters and IDs, then the groups.
   */
  #readStream(key: string, version2: boolean): Stream {
    const stream = new Stream();
    const nodes = this.#readLength();
    for (let i = 0; i < nodes; i++) {
      const at = this.#p;
      const nodeKey = this.#readString();
      const listpack = this.#readBlob();
      this.#itemValidations++;
      try {
        loadStreamNode(stream, nodeKey, listpack);
      } catch (error) {
        if (!(error instanceof RangeError)) throw error;
        throw this.#fail(`Corrupt stream ${quote(key)}: ${error.message}`, at);
      }
    }
    const at = this.#p;
    const length = this.#readUint64();
    if (length !== stream.size) {
      throw this.#fail(`Stream ${quote(key)} length ${length} disagrees with its nodes`, at);
    }
    const lastId = this.#readId();
    if (version2) {
      const firstId = this.#readId();
      const maxDeletedId = this.#readId();
      const entriesAdded = Number(this.#readUint64());
      stream.setMetadata({ lastId, firstId, maxDeletedId, entriesAdded });
    } else {
      stream.setMetadata({ lastId, entriesAdded: stream.size });
    }
    const groups = this.#readLength();
    for (let g = 0; g < groups; g++) {
      const groupAt = this.#p;
      const name = this.#readString();
      const groupLastId = this.#readId();
      let entriesRead: number;
      if (version2) {
        const read = this.#readUint64();
        // Written as a uint64: -1 (unknown) comes back as 2^64 − 1.
        entriesRead = typeof read === "bigint" ? INVALID_ENTRIES_READ : read;
      } else {
        entriesRead = stream.estimateDistance(groupLastId) ?? INVALID_ENTRIES_READ;
      }
      if (stream.group(name) !== undefined) {
        throw this.#fail(`Duplicated consumer group name ${quote(name)} in ${quote(key)}`, groupAt);
      }
      const group = stream.createGroup(name, groupLastId, entriesRead);
      const unowned = new Map<
        string,
        { id: StreamId; deliveryTime: number; deliveryCount: number }
      >();
      const pendingCount = this.#readLength();
      for (let i = 0; i < pendingCount; i++) {
        const raw = this.#readRaw(16);
        const deliveryTime = this.#readMilliseconds();
        const deliveryCount = Number(this.#readUint64());
        if (unowned.has(raw)) {
          throw this.#fail(`Duplicated global PEL entry in ${quote(key)}`, groupAt);
        }
        unowned.set(raw, { id: streamIdFromKey(raw), deliveryTime, deliveryCount });
      }
      const consumers = this.#readLength();
      for (let c = 0; c < consumers; c++) {
        const consumerAt = this.#p;
        const consumerName = this.#readString();
        const seenTime = this.#readMilliseconds();
        if (group.consumer(consumerName) !== undefined) {
          throw this.#fail(`Duplicate stream consumer ${quote(consumerName)}`, consumerAt);
        }
        const consumer = group.createConsumer(consumerName, seenTime);
        const owned = this.#readLength();
        for (let i = 0; i < owned; i++) {
          const raw = this.#readRaw(16);
          const found = unowned.get(raw);
          if (found === undefined) {
            throw this.#fail("Consumer entry not found in group global PEL", consumerAt);
          }
          unowned.delete(raw);
          const entry: PendingEntry = { ...found, consumer };
          group.pending.insert(entry);
          consumer.pending.insert(entry);
        }
      }
      if (unowned.size !== 0) throw this.#fail("Stream CG PEL entry without consumer", groupAt);
    }
    return stream;
  }

  /** Two uint64 lengths: an ID's ms and seq. */
  #readId(): StreamId {
    const ms = this.#readUint64();
    return { ms, seq: this.#readUint64() };
  }

  /** A length that may use all 64 bits, normalized as an ID half. */
  #readUint64(): IdPart {
    const first = this.bytes[this.#p];
    if (first !== RDB_LENGTH_64BIT) return this.#readLength();
    this.#p++;
    this.#need(8);
    let value = 0n;
    for (let i = 0; i < 8; i++) value = (value << 8n) | BigInt(this.bytes[this.#p++]!);
    return idPart(value);
  }

  /** Redis's `rdbLoadMillisecondTime`: an int64, little-endian. */
  #readMilliseconds(): number {
    this.#need(8);
    const bytes = this.bytes;
    const p = this.#p;
    this.#p = p + 8;
    const low =
      (bytes[p]! | (bytes[p + 1]! << 8) | (bytes[p + 2]! << 16) | (bytes[p + 3]! << 24)) >>> 0;
    const high = bytes[p + 4]! | (bytes[p + 5]! << 8) | (bytes[p + 6]! << 16) |
      (bytes[p + 7]! << 24);
    return high * 4294967296 + low;
  }

  /** `count` bytes as a one-byte string, no length prefix. */
  #readRaw(count: number): string {
    this.#need(count);
    const p = this.#p;
    this.#p = p + count;
    return bytesToString(this.bytes, p, p + count);
  }

  /** The elements of a packed blob of RDB type `type`, corruption reported at `at`. */
  #readPacked(key: string, type: number, at: number): string[] {
    const blob = this.#readBlob();
    try {
      switch (type) {
        case RDB_TYPE.HASH_ZIPMAP:
          return decodeZipmap(blob);
        case RDB_TYPE.SET_INTSET:
          this.#itemValidations++;
          return decodeIntset(blob);
        case RDB_TYPE.HASH_ZIPLIST:
        case RDB_TYPE.LIST_ZIPLIST:
        case RDB_TYPE.LIST_QUICKLIST:
          return decodeZiplist(blob);
        default:
          this.#itemValidations++;
          return decodeListpack(blob);
      }
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      throw this.#fail(
        `Corrupt ${RDB_TYPE_NAMES[type]} of key ${quote(key)}: ${error.message}`,
        at,
      );
    }
  }

  #checkMember(key: string, member: string, score: number, seen: Set<string>, at: number): void {
    if (Number.isNaN(score)) {
      throw this.#fail(`NaN score for member ${quote(member)} of key ${quote(key)}`, at);
    }
    const size = seen.size;
    seen.add(member);
    if (seen.size === size) {
      throw this.#fail(`Duplicate member ${quote(member)} in sorted set ${quote(key)}`, at);
    }
  }

  /** Redis's `rdbLoadDoubleValue`: a length byte (253 NaN, 254 +inf, 255 -inf) and text. */
  #readTextScore(): number {
    const at = this.#p;
    const length = this.#byte();
    if (length === 253) return NaN;
    if (length === 254) return Infinity;
    if (length === 255) return -Infinity;
    this.#need(length);
    const text = bytesToString(this.bytes, this.#p, this.#p + length);
    this.#p += length;
    const score = parseScore(text);
    if (score === undefined) throw this.#fail(`Invalid score ${quote(text)}`, at);
    return score;
  }

  #readBinaryScore(): number {
    this.#need(8);
    const p = this.#p;
    for (let i = 0; i < 8; i++) doubleBytes[i] = this.bytes[p + i]!;
    this.#p = p + 8;
    return doubleScratch[0]!;
  }

  #need(size: number): void {
    if (this.#p + size > this.limit) throw NEED_MORE;
  }

  #byte(): number {
    if (this.#p >= this.limit) throw NEED_MORE;
    return this.bytes[this.#p++]!;
  }

  /** Redis's `rdbLoadLen` where only a plain length may stand. */
  #readLength(): number {
    const at = this.#p;
    const first = this.#byte();
    const kind = first >> 6;
    if (kind === 0) return first;
    if (kind === 1) return ((first & 0x3f) << 8) | this.#byte();
    const bytes = this.bytes;
    if (first === RDB_LENGTH_32BIT) {
      this.#need(4);
      const p = this.#p;
      this.#p = p + 4;
      return ((bytes[p]! << 24) | (bytes[p + 1]! << 16) | (bytes[p + 2]! << 8) | bytes[p + 3]!) >>>
        0;
    }
    if (first === RDB_LENGTH_64BIT) {
      this.#need(8);
      const p = this.#p;
      this.#p = p + 8;
      const high = ((bytes[p]! << 24) | (bytes[p + 1]! << 16) | (bytes[p + 2]! << 8) |
        bytes[p + 3]!) >>> 0;
      const low = ((bytes[p + 4]! << 24) | (bytes[p + 5]! << 16) | (bytes[p + 6]! << 8) |
        bytes[p + 7]!) >>> 0;
      if (high >= 0x200000) throw this.#fail("Length beyond 2^53", at);
      return high * 4294967296 + low;
    }
    throw this.#fail(`Invalid length encoding 0x${first.toString(16)}`, at);
  }

  /** Redis's `rdbGenericLoadStringObject` for a key, value or member. */
  #readString(): string {
    const at = this.#p;
    const first = this.#byte();
    if (first < 0x40) {
      // The common case: a raw string shorter than 64 bytes.
      this.#need(first);
      const p = this.#p;
      this.#p = p + first;
      return bytesToString(this.bytes, p, p + first);
    }
    if (first >> 6 !== 3) {
      this.#p = at;
      const length = this.#readLength();
      if (length > MAX_STRING) {
        throw this.#fail(`String of ${length} bytes is longer than Kache can hold`, at);
      }
      this.#need(length);
      const p = this.#p;
      this.#p = p + length;
      return bytesToString(this.bytes, p, p + length);
    }
    const encoding = first & 0x3f;
    if (encoding === RDB_ENCODING_LZF) {
      const bytes = this.#readCompressed(at);
      return bytesToString(bytes, 0, bytes.length);
    }
    return String(this.#readInteger(encoding, at));
  }

  /** A string holding a listpack or ziplist: raw or LZF, never integer-encoded. */
  #readBlob(): Uint8Array {
    const at = this.#p;
    const first = this.#byte();
    if (first >> 6 === 3) {
      if ((first & 0x3f) === RDB_ENCODING_LZF) return this.#readCompressed(at);
      throw this.#fail("Expected a listpack or ziplist, found an integer", at);
    }
    this.#p = at;
    const length = this.#readLength();
    this.#need(length);
    const p = this.#p;
    this.#p = p + length;
    return this.bytes.subarray(p, p + length);
  }

  #readInteger(encoding: number, at: number): number {
    const bytes = this.bytes;
    if (encoding === RDB_ENCODING_INT8) {
      const value = this.#byte();
      return value >= 128 ? value - 256 : value;
    }
    if (encoding === RDB_ENCODING_INT16) {
      this.#need(2);
      const p = this.#p;
      this.#p = p + 2;
      return ((bytes[p]! | (bytes[p + 1]! << 8)) << 16) >> 16;
    }
    if (encoding === RDB_ENCODING_INT32) {
      this.#need(4);
      const p = this.#p;
      this.#p = p + 4;
      return bytes[p]! | (bytes[p + 1]! << 8) | (bytes[p + 2]! << 16) | (bytes[p + 3]! << 24);
    }
    throw this.#fail(`Unknown string encoding ${encoding}`, at);
  }

  /** The 0xC3 encoding: compressed length, original length, LZF data. */
  #readCompressed(at: number): Uint8Array {
    const packedLength = this.#readLength();
    const length = this.#readLength();
    this.#need(packedLength);
    const p = this.#p;
    if (length > MAX_STRING || length > packedLength * LZF_MAX_RATIO) {
      throw this.#fail(
        `Corrupt LZF string: ${packedLength} compressed bytes cannot expand to ${length}`,
        at,
      );
    }
    let output: Uint8Array;
    try {
      output = lzfDecompress(this.bytes.subarray(p, p + packedLength), length);
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      throw this.#fail(
        `Corrupt LZF string (data at offset ${this.base + p}): ${error.message}`,
        at,
      );
    }
    this.#p = p + packedLength;
    return output;
  }

  #fail(problem: string, at: number): RdbError {
    return new RdbError(problem, this.base + at);
  }
}

/**
 * Reads a whole RDB file held in memory, calling `onEntry` for each key.
 * Throws an {@link RdbError} with the byte offset on anything it cannot load.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { RdbWriter } from "./rdb_writer.ts";
 * const writer = new RdbWriter();
 * writer.header();
 * writer.selectDb(0, 1, 0);
 * writer.writeEntry("counter", "42");
 * writer.finish();
 * const values = new Map<string, unknown>();
 * const [file] = writer.takeChunks();
 * const info = readRdb(file!, (entry) => values.set(entry.key, entry.value));
 * strictEqual(values.get("counter"), "42");
 * strictEqual(info.checksum, "verified");
 * ```
 */
export function readRdb(
  bytes: Uint8Array,
  onEntry: (entry: RdbEntry) => void,
  options: RdbReaderOptions = {},
): RdbFileInfo {
  const reader = new RdbReader(onEntry, options);
  reader.push(bytes);
  return reader.end();
}

/** Decimal floats as C's `strtod` reads them, without hex forms or surrounding spaces. */
const DECIMAL = /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;

/**
 * A score written as text (`%.17g`, "inf", "-inf", "nan"), or undefined if
 * it is not a number. Integers from packed encodings arrive as their digits.
 */
function parseScore(text: string): number | undefined {
  if (DECIMAL.test(text)) return Number(text);
  switch (text.toLowerCase()) {
    case "inf":
    case "+inf":
    case "infinity":
    case "+infinity":
      return Infinity;
    case "-inf":
    case "-infinity":
      return -Infinity;
    case "nan":
    case "+nan":
    case "-nan":
      return NaN;
    default:
      return undefined;
  }
}

/** A one-byte string quoted for messages: printable ASCII as is, the rest as \xNN, elided when long. */
function quote(text: string): string {
  let out = '"';
  const shown = Math.min(text.length, KEY_PREVIEW);
  for (let i = 0; i < shown; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x22 || code === 0x5c) out += "\\" + text[i];
    else if (code >= 0x20 && code < 0x7f) out += text[i];
    else out += "\\x" + code.toString(16).padStart(2, "0");
  }
  out += '"';
  if (text.length > shown) out += `… (${text.length} bytes)`;
  return out;
}
