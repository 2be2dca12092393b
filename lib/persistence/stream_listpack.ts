/**
 * A stream node as Redis stores it in RDB files (and DUMP payloads): a
 * 16-byte key, the node's first ID as two big-endian uint64s, and a
 * listpack holding a "master entry" (live count, deleted count, the master
 * field names) followed by the entries, each an ID delta against the key,
 * flags (deleted, same fields as the master), its fields unless they are the
 * master's, its values, and the count of its elements (`t_stream.c`).
 *
 * Kache's nodes split where Redis's do (lib/stream.ts), so a node maps to
 * one listpack both ways and a file written by either server keeps its node
 * boundaries in the other. A deleted entry Kache keeps only as an ID; it is
 * written as a deleted entry without fields.
 *
 * @module
 */
import { bytesToString } from "../bytes.ts";

export { streamIdKey };
import { type Stream, streamIdKey, type StreamNode } from "../stream.ts";
import { type IdPart, idPart, type StreamId } from "../stream_id.ts";
import { decodeListpack } from "./listpack.ts";
import { encodeListpack } from "./listpack_writer.ts";

const FLAG_DELETED = 1;
const FLAG_SAME_FIELDS = 2;

/** The ID a 16-byte node key (or PEL entry) holds. */
export function streamIdFromKey(key: string | Uint8Array): StreamId {
  const byteAt = typeof key === "string"
    ? (i: number) => key.charCodeAt(i)
    : (i: number) => key[i]!;
  const halves: IdPart[] = [];
  for (let half = 0; half < 2; half++) {
    let value = 0n;
    for (let i = 0; i < 8; i++) value = (value << 8n) | BigInt(byteAt(half * 8 + i));
    halves.push(idPart(value));
  }
  return { ms: halves[0]!, seq: halves[1]! };
}

/** `a − b` as an int64 (Redis stores uint64 differences cast to int64). */
function delta(a: IdPart, b: IdPart): string {
  if (typeof a === "number" && typeof b === "number") return String(a - b);
  return String(BigInt.asIntN(64, BigInt(a) - BigInt(b)));
}

/** The listpack Redis would hold for `node` (deleted entries without their fields). */
export function encodeStreamNode(node: StreamNode): Uint8Array {
  const master = node.masterFields;
  const elements: string[] = [String(node.live), String(node.deleted), String(master.length)];
  for (const field of master) elements.push(field);
  elements.push("0");
  for (let i = 0; i < node.total; i++) {
    const values = node.fieldsAt(i);
    const same = values !== undefined && node.sameFields(i);
    elements.push(
      String((values === undefined ? FLAG_DELETED : 0) | (same ? FLAG_SAME_FIELDS : 0)),
      delta(node.ms[i]!, node.masterMs),
      delta(node.seq[i]!, node.masterSeq),
    );
    if (values === undefined) {
      elements.push("0", "4");
      continue;
    }
    const pairs = values.length / 2;
    if (same) {
      for (let j = 1; j < values.length; j += 2) elements.push(values[j]!);
      elements.push(String(pairs + 3));
    } else {
      elements.push(String(pairs));
      for (const text of values) elements.push(text);
      elements.push(String(2 * pairs + 4));
    }
  }
  return encodeListpack(elements);
}

/** A listpack integer element, or a RangeError. */
function integerOf(text: string | undefined, what: string): number | bigint {
  if (text === undefined || !/^-?[0-9]+$/.test(text)) {
    throw new RangeError(`Stream listpack ${what} is not an integer`);
  }
  return text.length < 16 ? Number(text) : BigInt(text);
}

/** `base + delta` modulo 2^64, normalized. */
function plus(base: IdPart, offset: number | bigint): IdPart {
  if (typeof base === "number" && typeof offset === "number") {
    const sum = base + offset;
    if (sum >= 0 && sum <= Number.MAX_SAFE_INTEGER) return sum;
  }
  return idPart(BigInt.asUintN(64, BigInt(base) + BigInt(offset)));
}

/**
 * Adds the node stored under `key` as `listpack` to `stream`; throws a
 * RangeError when the listpack is not a well-formed stream node.
 */
export function loadStreamNode(stream: Stream, key: string, listpack: Uint8Array): void {
  if (key.length !== 16) {
    throw new RangeError("Stream node key entry is not the size of a stream ID");
  }
  const master = streamIdFromKey(key);
  const elements = decodeListpack(listpack);
  let p = 0;
  const live = Number(integerOf(elements[p++], "count"));
  const deleted = Number(integerOf(elements[p++], "deleted count"));
  const fieldCount = Number(integerOf(elements[p++], "master field count"));
  if (fieldCount < 0 || p + fieldCount >= elements.length) {
    throw new RangeError("Stream listpack master entry is cut short");
  }
  const masterFields = elements.slice(p, p + fieldCount);
  p += fieldCount;
  if (elements[p++] !== "0") throw new RangeError("Stream listpack master entry is not terminated");
  const entries: { id: StreamId; fields: readonly string[] | undefined }[] = [];
  let liveSeen = 0;
  while (p < elements.length) {
    const flags = Number(integerOf(elements[p++], "flags"));
    const ms = plus(master.ms, integerOf(elements[p++], "ID"));
    const seq = plus(master.seq, integerOf(elements[p++], "ID"));
    let fields: string[];
    if (flags & FLAG_SAME_FIELDS) {
      if (p + fieldCount > elements.length) {
        throw new RangeError("Stream listpack entry is cut short");
      }
      fields = [];
      for (let i = 0; i < fieldCount; i++) fields.push(masterFields[i]!, elements[p++]!);
    } else {
      const pairs = Number(integerOf(elements[p++], "field count"));
      if (pairs < 0 || p + 2 * pairs > elements.length) {
        throw new RangeError("Stream listpack entry is cut short");
      }
      fields = elements.slice(p, p + 2 * pairs);
      p += 2 * pairs;
    }
    integerOf(elements[p++], "entry length");
    const isDeleted = (flags & FLAG_DELETED) !== 0;
    if (!isDeleted) liveSeen++;
    entries.push({ id: { ms, seq }, fields: isDeleted ? undefined : fields });
  }
  if (entries.length === 0) throw new RangeError("Empty listpack inside stream");
  if (liveSeen !== live || entries.length - liveSeen !== deleted) {
    throw new RangeError("Stream listpack counts disagree with its entries");
  }
  stream.loadNode(master, masterFields, entries, listpack.length);
}

/** The node key as the one-byte string RDB writes. */
export function streamNodeKey(node: StreamNode): string {
  return streamIdKey({ ms: node.masterMs, seq: node.masterSeq });
}

/** A listpack as the one-byte string RDB writes. */
export function streamNodeBlob(node: StreamNode): string {
  const bytes = encodeStreamNode(node);
  return bytesToString(bytes, 0, bytes.length);
}
