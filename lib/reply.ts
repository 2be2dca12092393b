/**
 * Protocol-neutral replies. A command handler returns a {@link Reply} (or a
 * {@link ViewReply}); each codec (RESP2, RESP3, the binary Kache protocol)
 * decides how it looks on its wire. Strings inside replies are one-byte
 * strings (char codes 0–255), the representation of keys and arguments.
 *
 * Constant replies are built once (as Redis's `shared.ok`): handlers return
 * {@link OK}, {@link NIL} and friends instead of allocating.
 *
 * @module
 */
import { bytesToString } from "./bytes.ts";

/** A reply before encoding. `kind` picks the wire type. */
export type Reply =
  | NilReply
  | NilArrayReply
  | StatusReply
  | ErrorReply
  | IntegerReply
  | DoubleReply
  | BulkReply
  | ArrayReply
  | MapReply
  | SetReply
  | BooleanReply
  | BigNumberReply
  | VerbatimReply
  | PushReply;

/** The absent value: RESP2 `$-1`, RESP3 `_`, Kache tag 0. */
export interface NilReply {
  readonly kind: "nil";
}
/** An absent array: RESP2 `*-1` (EXEC aborted, BLPOP timeout), RESP3 `_`. */
export interface NilArrayReply {
  readonly kind: "nil-array";
}
/** A simple string such as `OK` or `QUEUED`. */
export interface StatusReply {
  readonly kind: "status";
  readonly text: string;
}
/** An error; `message` is Redis's full text including the code, e.g. `ERR syntax error`. */
export interface ErrorReply {
  readonly kind: "error";
  readonly message: string;
}
/** A signed 64-bit integer; bigint only outside the float64-exact range. */
export interface IntegerReply {
  readonly kind: "integer";
  readonly value: number | bigint;
}
/** A float64: RESP3 `,`, RESP2 a bulk string, Kache tag 4. */
export interface DoubleReply {
  readonly kind: "double";
  readonly value: number;
  /**
   * The text RESP prints instead of the shortest round-trip form, for the
   * replies Redis prints its own way (GEOPOS's `%.17Lf`); absent otherwise.
   */
  readonly text?: string;
}
/** A binary-safe string, one char per byte. */
export interface BulkReply {
  readonly kind: "bulk";
  readonly value: string;
}
export interface ArrayReply {
  readonly kind: "array";
  readonly items: readonly Reply[];
}
/** RESP3 map; RESP2 and Kache flatten it to alternating keys and values. */
export interface MapReply {
  readonly kind: "map";
  readonly entries: readonly (readonly [Reply, Reply])[];
}
/** RESP3 set; an array elsewhere. */
export interface SetReply {
  readonly kind: "set";
  readonly items: readonly Reply[];
}
/** RESP3 boolean; integer 1/0 elsewhere. */
export interface BooleanReply {
  readonly kind: "boolean";
  readonly value: boolean;
}
/** RESP3 big number; a bulk string elsewhere. */
export interface BigNumberReply {
  readonly kind: "big-number";
  readonly value: bigint;
}
/** RESP3 verbatim string (`=`), e.g. INFO and CLIENT INFO; a bulk string elsewhere. */
export interface VerbatimReply {
  readonly kind: "verbatim";
  readonly format: string;
  readonly value: string;
}
/** Out-of-band data (pub/sub messages); RESP2 sends it as an array. */
export interface PushReply {
  readonly kind: "push";
  readonly items: readonly Reply[];
}

/**
 * A bulk string that is a view of stored bytes (a string value in the
 * keyspace's arena): GET's reply, which the encoder copies from the arena
 * into its output without building a string. Valid only until the next
 * write to the keyspace, so it is no {@link Reply}: a handler may return one,
 * a wire encodes it as soon as the command returns, and everything else that
 * keeps replies (EXEC, scripts) gets a bulk string from {@link materialize}.
 */
export interface ViewReply {
  readonly kind: "view";
  readonly bytes: Uint8Array;
  readonly start: number;
  readonly end: number;
}

/** What a command handler returns: a reply, or a view in place of a bulk string. */
export type HandlerReply = Reply | ViewReply;

/** `reply` with a view turned into the bulk string it shows. */
export function materialize(reply: HandlerReply): Reply {
  return reply.kind === "view" ? bulk(bytesToString(reply.bytes, reply.start, reply.end)) : reply;
}

export const OK: StatusReply = { kind: "status", text: "OK" };
export const QUEUED: StatusReply = { kind: "status", text: "QUEUED" };
export const PONG: StatusReply = { kind: "status", text: "PONG" };
export const NIL: NilReply = { kind: "nil" };
export const NIL_ARRAY: NilArrayReply = { kind: "nil-array" };
export const EMPTY_ARRAY: ArrayReply = { kind: "array", items: [] };
export const ZERO: IntegerReply = { kind: "integer", value: 0 };
export const ONE: IntegerReply = { kind: "integer", value: 1 };

/** Small integers are shared: most integer replies are counts of 0–1023. */
const SMALL_INTEGERS: IntegerReply[] = Array.from(
  { length: 1024 },
  (_, value) => ({ kind: "integer", value }),
);

export function integer(value: number | bigint): IntegerReply {
  if (typeof value === "number" && value >= 0 && value < 1024 && Number.isInteger(value)) {
    return SMALL_INTEGERS[value]!;
  }
  return { kind: "integer", value };
}

export function bulk(value: string): BulkReply {
  return { kind: "bulk", value };
}

/** A bulk string, or nil when the value is absent. */
export function bulkOrNil(value: string | undefined | null): BulkReply | NilReply {
  return value === undefined || value === null ? NIL : { kind: "bulk", value };
}

export function double(value: number): DoubleReply {
  return { kind: "double", value };
}

export function array(items: readonly Reply[]): ArrayReply {
  return { kind: "array", items };
}

export function status(text: string): StatusReply {
  return { kind: "status", text };
}

export function error(message: string): ErrorReply {
  return { kind: "error", message };
}

export function map(entries: readonly (readonly [Reply, Reply])[]): MapReply {
  return { kind: "map", entries };
}

export function set(items: readonly Reply[]): SetReply {
  return { kind: "set", items };
}

export function boolean(value: boolean): BooleanReply {
  return { kind: "boolean", value };
}

export function verbatim(value: string, format = "txt"): VerbatimReply {
  return { kind: "verbatim", format, value };
}

export function push(items: readonly Reply[]): PushReply {
  return { kind: "push", items };
}

/** An array of bulk strings, the commonest multi-value reply. */
export function bulkArray(values: readonly string[]): ArrayReply {
  return { kind: "array", items: values.map(bulk) };
}
