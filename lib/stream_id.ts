/**
 * Stream entry IDs: Redis's 128-bit `<ms>-<seq>`, two unsigned 64-bit
 * halves, with its parsing rules (`streamGenericParseIDOrReply`), order and
 * successor/predecessor arithmetic.
 *
 * Each half is an {@link IdPart}: a JS number while it is at most 2^53 − 1
 * (every real timestamp and sequence), a bigint only beyond. The form is
 * normalized, so `===` is equality, and `<`/`>` compare numbers and bigints
 * exactly across the two forms; an array of IDs that never leaves the number
 * range stays an unboxed double array in V8 (8 bytes a half).
 *
 * @module
 */

/** One unsigned 64-bit half of an ID: a number up to 2^53 − 1, a bigint above. */
export type IdPart = number | bigint;

export interface StreamId {
  readonly ms: IdPart;
  readonly seq: IdPart;
}

/** 2^64 − 1, the largest half. */
export const UINT64_MAX: IdPart = 2n ** 64n - 1n;
const UINT64_MAX_BIG = 2n ** 64n - 1n;
const SAFE_BIG = BigInt(Number.MAX_SAFE_INTEGER);

export const MIN_ID: StreamId = { ms: 0, seq: 0 };
export const MAX_ID: StreamId = { ms: UINT64_MAX, seq: UINT64_MAX };

/** The normalized half for `value` (0 ≤ value < 2^64). */
export function idPart(value: bigint): IdPart {
  return value <= SAFE_BIG ? Number(value) : value;
}

/** `a` vs `b`: negative, 0 or positive. */
export function compareParts(a: IdPart, b: IdPart): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * `a` vs `b` in ID order.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(compareIds({ ms: 1, seq: 5 }, { ms: 2, seq: 0 }) < 0, true);
 * strictEqual(compareIds({ ms: 2n ** 60n, seq: 0 }, { ms: 2, seq: 0 }) > 0, true);
 * ```
 */
export function compareIds(a: StreamId, b: StreamId): number {
  if (a.ms !== b.ms) return a.ms < b.ms ? -1 : 1;
  if (a.seq === b.seq) return 0;
  return a.seq < b.seq ? -1 : 1;
}

export function idsEqual(a: StreamId, b: StreamId): boolean {
  return a.ms === b.ms && a.seq === b.seq;
}

export function isZeroId(id: StreamId): boolean {
  return id.ms === 0 && id.seq === 0;
}

/** `<ms>-<seq>` as Redis prints it. */
export function formatId(id: StreamId): string {
  return `${id.ms}-${id.seq}`;
}

/** `x + 1` for a half below 2^64 − 1. */
export function incrementPart(x: IdPart): IdPart {
  return typeof x === "number" && x < Number.MAX_SAFE_INTEGER ? x + 1 : idPart(BigInt(x) + 1n);
}

/** `x − 1` for a half above 0. */
export function decrementPart(x: IdPart): IdPart {
  return typeof x === "number" ? x - 1 : idPart(x - 1n);
}

/** The next ID (Redis's `streamIncrID`), or undefined past the last possible one. */
export function nextId(id: StreamId): StreamId | undefined {
  if (id.seq !== UINT64_MAX) return { ms: id.ms, seq: incrementPart(id.seq) };
  if (id.ms === UINT64_MAX) return undefined;
  return { ms: incrementPart(id.ms), seq: 0 };
}

/** The previous ID (Redis's `streamDecrID`), or undefined before 0-0. */
export function previousId(id: StreamId): StreamId | undefined {
  if (id.seq !== 0) return { ms: id.ms, seq: decrementPart(id.seq) };
  if (id.ms === 0) return undefined;
  return { ms: decrementPart(id.ms), seq: UINT64_MAX };
}

/** Redis's `string2ll` shape: canonical decimal (no `+`, no leading zeros, no `-0`). */
const CANONICAL_INTEGER = /^(?:0|-?[1-9][0-9]*)$/;
/** What `strtoull` takes: leading white space, a sign, decimal digits. */
const STRTOULL = /^[ \t\n\v\f\r]*([+-]?)([0-9]+)$/;
const INT64_MIN_BIG = -(2n ** 63n);

/**
 * An unsigned 64-bit half as Redis's `string2ull` reads it: a canonical
 * integer that is not negative, or else whatever `strtoull` takes whole
 * (white space, `+`, leading zeros, and a `-` it wraps modulo 2^64).
 */
export function parseIdPart(text: string): IdPart | undefined {
  if (text.length <= 20 && CANONICAL_INTEGER.test(text)) {
    const value = BigInt(text);
    if (value >= INT64_MIN_BIG && value <= UINT64_MAX_BIG) {
      if (value < 0n) return undefined;
      // A canonical value beyond int64 fails string2ll and goes on to strtoull, which takes it.
      return idPart(value);
    }
  }
  const match = STRTOULL.exec(text);
  if (match === null) return undefined;
  const magnitude = BigInt(match[2]!);
  if (magnitude > UINT64_MAX_BIG) return undefined;
  return idPart(match[1] === "-" ? (2n ** 64n - magnitude) & UINT64_MAX_BIG : magnitude);
}

/** How an ID argument may be written. */
export interface IdParseOptions {
  /** The sequence an `<ms>` without `-<seq>` gets. */
  readonly missingSeq: IdPart;
  /** Refuse `-` and `+` (Redis's strict form). */
  readonly strict?: boolean;
  /** Accept `<ms>-*` (XADD): the result then has `seqGiven` false. */
  readonly allowAutoSeq?: boolean;
}

export interface ParsedId extends StreamId {
  /** False only for the `<ms>-*` form. */
  readonly seqGiven: boolean;
}

/**
 * An ID argument (Redis's `streamGenericParseIDOrReply`), or undefined when
 * invalid ("Invalid stream ID specified as stream command argument").
 *
 * @example
 * ```ts
 * import { deepStrictEqual, strictEqual } from "node:assert/strict";
 * deepStrictEqual(parseId("5", { missingSeq: 0 }), { ms: 5, seq: 0, seqGiven: true });
 * deepStrictEqual(parseId("5-*", { missingSeq: 0, allowAutoSeq: true }), { ms: 5, seq: 0, seqGiven: false });
 * strictEqual(parseId("+", { missingSeq: 0, strict: true }), undefined);
 * ```
 */
export function parseId(text: string, options: IdParseOptions): ParsedId | undefined {
  if (text.length > 127) return undefined;
  if (text === "-" || text === "+") {
    if (options.strict) return undefined;
    return text === "-"
      ? { ms: 0, seq: 0, seqGiven: true }
      : { ms: UINT64_MAX, seq: UINT64_MAX, seqGiven: true };
  }
  // C string semantics: the buffer ends at the first NUL.
  const nul = text.indexOf("\0");
  if (nul !== -1) text = text.slice(0, nul);
  const dash = text.indexOf("-");
  const ms = parseIdPart(dash === -1 ? text : text.slice(0, dash));
  if (ms === undefined) return undefined;
  if (dash === -1) return { ms, seq: options.missingSeq, seqGiven: true };
  const seqText = text.slice(dash + 1);
  if (options.allowAutoSeq && seqText === "*") return { ms, seq: 0, seqGiven: false };
  const seq = parseIdPart(seqText);
  if (seq === undefined) return undefined;
  return { ms, seq, seqGiven: true };
}
