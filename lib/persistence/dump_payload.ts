/**
 * DUMP/RESTORE's serialization, Redis's format: the value as an RDB file
 * holds it (type byte, then the value), the 2-byte RDB version, and a
 * CRC-64 of everything before it, both little-endian.
 *
 * The one RDB encoder and decoder do the work, so every kind the snapshot
 * code learns to write and read can be dumped and restored as well: a value
 * is encoded as an entry with an empty key (whose length byte, 0, sits
 * between the type and the value, and is cut out), and a payload is decoded
 * by reading it back as a one-key RDB file.
 *
 * A sorted set is written as Redis 7.0 writes the same set, so the payload
 * is byte for byte Redis's: a listpack when OBJECT ENCODING says listpack
 * (lib/object_encoding.ts), else ZSET_2 from the highest score down. (Long
 * strings may still differ: Kache's LZF finds other matches than Redis's.)
 *
 * @module
 */
import { bytesToString, stringToBytes } from "../bytes.ts";
import type { Value } from "../keyspace.ts";
import { crc64 } from "./crc64.ts";
import {
  RDB_MAGIC,
  RDB_TYPE,
  RDB_VERSION,
  RDB_VERSION_CHECKSUM,
  RDB_VERSION_MAX_READ,
} from "./rdb_format.ts";
import { type RdbEntry, RdbError, readRdb } from "./rdb_reader.ts";
import { type RdbSortedSet, RdbWriter } from "./rdb_writer.ts";
import { encodeListpack } from "./listpack_writer.ts";
import {
  DEFAULT_ENCODING_LIMITS,
  type EncodingLimits,
  objectEncoding,
} from "../object_encoding.ts";
import { SortedSet } from "../zset.ts";

/** Version and CRC-64 after the value. */
const FOOTER_SIZE = 10;
/** What the writer puts after the value: EOF opcode and an 8-byte (zero) checksum. */
const WRITER_TRAILER_SIZE = 9;

/**
 * DUMP's payload for `value` as a one-byte string. `compression` is
 * `rdbcompression`, which Redis's DUMP follows too.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * // What redis-server 7.0 answers to SET k 1 / DUMP k.
 * strictEqual(dumpPayload("1", true), "\x00\xc0\x01\x0a\x00\x26\x78\xe7\xb6\xd1\x01\x11\xfc");
 * ```
 */
export function dumpPayload(
  value: Value,
  compression: boolean,
  limits: EncodingLimits = DEFAULT_ENCODING_LIMITS,
): string {
  const writer = new RdbWriter({ compression, checksum: false });
  let type: number | undefined;
  if (!(value instanceof SortedSet)) {
    // Strings, and every other kind as the snapshot writer encodes it.
    writer.writeEntry("", value);
  } else if (objectEncoding(value, limits) === "listpack") {
    // The listpack goes out as a string would (rdbSaveRawString), under its own type.
    writer.writeEntry("", bytesToString(zsetListpack(value)));
    type = RDB_TYPE.ZSET_LISTPACK;
  } else {
    writer.writeEntry("", descending(value));
  }
  writer.finish();
  const chunks = writer.takeChunks();
  let length = 0;
  for (const chunk of chunks) length += chunk.length;
  const entry = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    entry.set(chunk, offset);
    offset += chunk.length;
  }
  // entry = type, key length 0, value, EOF, checksum: keep the type and the value.
  const body = length - 2 - WRITER_TRAILER_SIZE;
  const payload = new Uint8Array(1 + body + FOOTER_SIZE);
  payload[0] = type ?? entry[0]!;
  payload.set(entry.subarray(2, 2 + body), 1);
  let p = 1 + body;
  payload[p++] = RDB_VERSION & 0xff;
  payload[p++] = RDB_VERSION >> 8;
  let crc = crc64(payload.subarray(0, p));
  for (let i = 0; i < 8; i++) {
    payload[p++] = Number(crc & 0xffn);
    crc >>= 8n;
  }
  return bytesToString(payload);
}

/** Redis's listpack of a sorted set: member, score, … ascending (`zzlInsertAt`). */
function zsetListpack(zset: SortedSet): Uint8Array {
  const elements: (string | bigint)[] = [];
  for (const [member, score] of zset.entries()) elements.push(member, listpackScore(score));
  return encodeListpack(elements);
}

/** 2^62, the bound of Redis's `double2ll` (LLONG_MAX/2 as a double). */
const DOUBLE2LL_LIMIT = 2 ** 62;

/** A score as `zzlInsertAt` stores it: an integer when integral (`double2ll`), else `d2string`. */
function listpackScore(score: number): string | bigint {
  if (Number.isInteger(score) && Math.abs(score) <= DOUBLE2LL_LIMIT) return BigInt(score);
  if (score === Infinity) return "inf";
  if (score === -Infinity) return "-inf";
  return formatG17(score);
}

/**
 * C's `printf("%.17g")` for a finite number: 17 significant digits, trailing
 * zeros dropped, exponent form below 1e-4 or from 1e17 on.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(formatG17(0.1), "0.10000000000000001");
 * strictEqual(formatG17(2.5), "2.5");
 * strictEqual(formatG17(1e-7), "9.9999999999999995e-08");
 * strictEqual(formatG17(1e300), "1.0000000000000001e+300");
 * ```
 */
export function formatG17(x: number): string {
  const [mantissa, exponentText] = x.toExponential(16).split("e") as [string, string];
  const exponent = Number(exponentText);
  const trim = (digits: string) => digits.includes(".") ? digits.replace(/\.?0+$/, "") : digits;
  if (exponent < -4 || exponent >= 17) {
    const sign = exponent < 0 ? "-" : "+";
    return `${trim(mantissa)}e${sign}${String(Math.abs(exponent)).padStart(2, "0")}`;
  }
  return trim(x.toFixed(16 - exponent));
}

/** A sorted set seen from its highest score down, the order Redis saves a skiplist in. */
function descending(zset: SortedSet): RdbSortedSet {
  const pairs = [...zset.entries()].reverse();
  return { size: pairs.length, entries: () => pairs };
}

/** Why a payload was refused, mapped to Redis's two RESTORE errors. */
export type PayloadProblem = "version-or-checksum" | "bad-format";

/** A payload read: its value, and the packed blobs validated on the way (see `RdbFileInfo`). */
export interface RestoredPayload {
  readonly value: RdbEntry["value"];
  readonly deepValidations: number;
}

/**
 * The value a DUMP payload holds (as the RDB reader returns values), or why
 * it cannot be restored. Versions up to what the RDB reader reads are
 * accepted (Redis 7.0 takes up to its own, 10; Kache also takes 7.2's 11).
 */
export function readDumpPayload(payload: string): RestoredPayload | PayloadProblem {
  const length = payload.length;
  if (length < FOOTER_SIZE) return "version-or-checksum";
  const bytes = stringToBytes(payload);
  const footer = length - FOOTER_SIZE;
  const version = bytes[footer]! | (bytes[footer + 1]! << 8);
  if (version > RDB_VERSION_MAX_READ) return "version-or-checksum";
  let stored = 0n;
  for (let i = 7; i >= 0; i--) stored = (stored << 8n) | BigInt(bytes[footer + 2 + i]!);
  if (crc64(bytes.subarray(0, length - 8)) !== stored) return "version-or-checksum";
  if (footer < 1) return "bad-format";
  // A one-key RDB file: header, the type, an empty key, the value, EOF, no checksum.
  const header = RDB_MAGIC + String(Math.max(version, RDB_VERSION_CHECKSUM)).padStart(4, "0");
  const file = new Uint8Array(header.length + footer + 1 + WRITER_TRAILER_SIZE);
  file.set(stringToBytes(header));
  let p = header.length;
  file[p++] = bytes[0]!;
  file[p++] = 0;
  file.set(bytes.subarray(1, footer), p);
  p += footer - 1;
  file[p] = 0xff;
  const values: RdbEntry["value"][] = [];
  let deepValidations: number;
  try {
    deepValidations = readRdb(file, (entry) => values.push(entry.value)).deepValidations;
  } catch (error) {
    if (error instanceof RdbError) return "bad-format";
    throw error;
  }
  return values.length === 1 ? { value: values[0]!, deepValidations } : "bad-format";
}
