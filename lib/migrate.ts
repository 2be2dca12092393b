/**
 * MIGRATE's logic, Redis 7.0's `migrateCommand` (cluster.c) without the
 * network: reading the arguments, building the RESTORE requests the target
 * receives, and turning the target's reply lines into the client's reply and
 * the keys to delete. The exchange itself (a cached connection per
 * `host:port`, timeouts, one retry) is server/migrate.ts's.
 *
 * As in Redis, MIGRATE is synchronous: the server waits for the target
 * (at most `timeout` ms per connect, write or reply line) and serves no one
 * meanwhile, so the keys cannot change between their DUMP and their DEL.
 *
 * @module
 */
import { concatBytes } from "./bytes.ts";
import { SYNTAX } from "./errors.ts";
import { parseInteger } from "./numbers.ts";
import { encodeRespRequest } from "./protocol/resp_reply.ts";

/** MIGRATE's arguments, read. */
export interface MigrateArguments {
  readonly host: string;
  /** As given: the connection cache is keyed by the text `host:port`, as Redis's. */
  readonly port: string;
  readonly db: number;
  /** Milliseconds for each connect, write and reply; 0 or less means 1000, as in Redis. */
  readonly timeoutMs: number;
  readonly copy: boolean;
  readonly replace: boolean;
  /** AUTH's arguments (password, or username and password) when given. */
  readonly auth: readonly string[] | undefined;
  /** The keys to move: `key`, or those after KEYS. */
  readonly keys: readonly string[];
}

/** What the server's exchange with the target gave. */
export type MigrateOutcome =
  /** No connection (refused, unknown host, timeout). */
  | { readonly kind: "connect-failed" }
  /** The connection failed before any RESTORE reply came, after the one retry. */
  | { readonly kind: "io-error"; readonly writing: boolean }
  | {
    readonly kind: "replies";
    /** AUTH's reply line, when AUTH was sent. */
    readonly auth: string | undefined;
    /** SELECT's reply line, when SELECT was sent (the cached connection had another db). */
    readonly select: string | undefined;
    /** One line per RESTORE, in order; fewer when the connection failed part way. */
    readonly restores: readonly string[];
  };

/** The requests for one exchange, encoded; SELECT is added by the server when needed. */
export interface MigrateRequest {
  readonly host: string;
  readonly port: string;
  readonly db: number;
  readonly timeoutMs: number;
  /** AUTH, when given, sent first. */
  readonly auth: Uint8Array | undefined;
  /** The RESTORE commands, one per key, concatenated. */
  readonly restores: Uint8Array;
  readonly count: number;
}

/** Where the network part lives: the server, which may wait for the target synchronously. */
export interface MigrateTransport {
  exchange(request: MigrateRequest): MigrateOutcome;
}

export const KEYS_NEEDS_EMPTY_KEY =
  "ERR When using MIGRATE KEYS option, the key argument must be set to the empty string";
export const CONNECT_FAILED = "IOERR error or timeout connecting to the client";

/**
 * Reads MIGRATE's arguments as Redis does: options from the sixth word, KEYS
 * taking every word after it, then the timeout and the database as integers.
 * Returns Redis's error text instead when they are wrong.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * const read = parseMigrateArguments(["MIGRATE", "h", "6379", "", "0", "5000", "COPY", "KEYS", "a", "b"]);
 * deepStrictEqual(typeof read !== "string" && read.keys, ["a", "b"]);
 * ```
 */
export function parseMigrateArguments(argv: readonly string[]): MigrateArguments | string {
  let copy = false;
  let replace = false;
  let auth: string[] | undefined;
  let keys: readonly string[] = [argv[3]!];
  for (let j = 6; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    const option = argv[j]!.toLowerCase();
    if (option === "copy") copy = true;
    else if (option === "replace") replace = true;
    else if (option === "auth") {
      if (more < 1) return SYNTAX;
      auth = [argv[++j]!];
    } else if (option === "auth2") {
      if (more < 2) return SYNTAX;
      auth = [argv[j + 1]!, argv[j + 2]!];
      j += 2;
    } else if (option === "keys") {
      if (argv[3] !== "") return KEYS_NEEDS_EMPTY_KEY;
      keys = argv.slice(j + 1);
      break;
    } else return SYNTAX;
  }
  const timeout = parseInteger(argv[5]!);
  const db = parseInteger(argv[4]!);
  if (timeout === undefined || db === undefined) {
    return "ERR value is not an integer or out of range";
  }
  return {
    host: argv[1]!,
    port: argv[2]!,
    db: Number(db),
    timeoutMs: timeout <= 0 ? 1000 : Number(timeout),
    copy,
    replace,
    auth,
    keys,
  };
}

/** One key to move: its name, the TTL to give it (0 = none) and its DUMP payload. */
export interface MigratingKey {
  readonly key: string;
  readonly ttlMs: number;
  readonly payload: string;
}

/** The requests of a migration: AUTH if asked for, then one RESTORE per key. */
export function migrateRequest(
  args: MigrateArguments,
  keys: readonly MigratingKey[],
): MigrateRequest {
  const restores = keys.map(({ key, ttlMs, payload }) =>
    encodeRespRequest(
      ["RESTORE", key, String(ttlMs), payload, ...(args.replace ? ["REPLACE"] : [])],
    )
  );
  const bytes = concatBytes(restores);
  return {
    host: args.host,
    port: args.port,
    db: args.db,
    timeoutMs: args.timeoutMs,
    auth: args.auth === undefined ? undefined : encodeRespRequest(["AUTH", ...args.auth]),
    restores: bytes,
    count: keys.length,
  };
}

/** What MIGRATE answers and which keys the target took (to delete unless COPY). */
export interface MigrateVerdict {
  /** undefined for +OK; else the error text. */
  readonly error: string | undefined;
  /** Keys whose RESTORE the target acknowledged, in order. */
  readonly acknowledged: readonly string[];
}

/**
 * Redis's reading of the target's replies: the first error line (AUTH's,
 * SELECT's or a RESTORE's) becomes `Target instance replied with error`,
 * each RESTORE answered without one is acknowledged, and a connection that
 * failed part way ends in IOERR unless the target had already said an error.
 */
export function migrateVerdict(
  outcome: MigrateOutcome,
  keys: readonly string[],
): MigrateVerdict {
  if (outcome.kind === "connect-failed") return { error: CONNECT_FAILED, acknowledged: [] };
  if (outcome.kind === "io-error") {
    return {
      error: `IOERR error or timeout ${outcome.writing ? "writing" : "reading"} to target instance`,
      acknowledged: [],
    };
  }
  let error: string | undefined;
  const acknowledged: string[] = [];
  outcome.restores.forEach((line, index) => {
    const failed = outcome.auth?.startsWith("-")
      ? outcome.auth
      : outcome.select?.startsWith("-")
      ? outcome.select
      : line.startsWith("-")
      ? line
      : undefined;
    if (failed === undefined) acknowledged.push(keys[index]!);
    else error ??= `ERR Target instance replied with error: ${failed.slice(1)}`;
  });
  if (error === undefined && outcome.restores.length < keys.length) {
    error = "IOERR error or timeout reading to target instance";
  }
  return { error, acknowledged };
}
