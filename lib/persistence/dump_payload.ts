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
 * @module
 */
import { bytesToString, stringToBytes } from "../bytes.ts";
import type { Value } from "../keyspace.ts";
import { crc64 } from "./crc64.ts";
import {
  RDB_MAGIC,
  RDB_VERSION,
  RDB_VERSION_CHECKSUM,
  RDB_VERSION_MAX_READ,
} from "./rdb_format.ts";
import { type RdbEntry, RdbError, readRdb } from "./rdb_reader.ts";
import { RdbWriter } from "./rdb_writer.ts";

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
export function dumpPayload(value: Value, compression: boolean): string {
  const writer = new RdbWriter({ compression, checksum: false });
  writer.writeEntry("", value);
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
  payload[0] = entry[0]!;
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

/** Why a payload was refused, mapped to Redis's two RESTORE errors. */
export type PayloadProblem = "version-or-checksum" | "bad-format";

/**
 * The value a DUMP payload holds (as the RDB reader returns values), or why
 * it cannot be restored. Versions up to what the RDB reader reads are
 * accepted (Redis 7.0 takes up to its own, 10; Kache also takes 7.2's 11).
 */
export function readDumpPayload(payload: string): RdbEntry["value"] | PayloadProblem {
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
  try {
    readRdb(file, (entry) => values.push(entry.value));
  } catch (error) {
    if (error instanceof RdbError) return "bad-format";
    throw error;
  }
  return values.length === 1 ? values[0]! : "bad-format";
}
