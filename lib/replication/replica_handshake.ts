/**
 * The replica's side of Redis's replication handshake, as data: the commands
 * a replica sends its master (PING; AUTH with `masteruser`/`masterauth`;
 * REPLCONF listening-port, ip-address and capa; PSYNC) and what the master's
 * one-line replies mean. Redis's `syncWithMaster` and
 * `slaveTryPartialResynchronization` (replication.c) are the reference for
 * every rule here; the socket side lives in server/replica_link.ts.
 *
 * @module
 */

/** What the replica knows of the history it holds: the master's replication id and offset. */
export interface CachedMaster {
  /** 40 hex characters. */
  readonly replid: string;
  /** Bytes of the master's stream applied so far (the master's `reploff`). */
  readonly offset: number;
}

/** What a master's answer to PSYNC says. */
export type PsyncReply =
  | { readonly kind: "full"; readonly replid: string; readonly offset: number }
  | { readonly kind: "full-malformed" }
  | { readonly kind: "continue"; readonly replid: string | undefined }
  | { readonly kind: "try-later"; readonly text: string }
  | { readonly kind: "not-supported"; readonly text: string };

/** Redis's CONFIG_RUN_ID_SIZE: a replication id is 40 characters. */
export const REPLID_LENGTH = 40;

/** What {@link handshakeCommands} needs to know. */
export interface HandshakeOptions {
  /** `masteruser`: with a password, AUTH names this ACL user. */
  readonly masterUser: string;
  /** `masterauth`: empty sends no AUTH. */
  readonly masterAuth: string;
  /** The port the master should list for this replica (`replica-announce-port` or `port`). */
  readonly listeningPort: number;
  /** `replica-announce-ip`: empty sends no `REPLCONF ip-address`. */
  readonly announceIp: string;
}

/**
 * The commands sent, pipelined, after the master answered PING: AUTH when a
 * password is set, then the REPLCONFs. Only AUTH's reply can fail the
 * handshake; the REPLCONF replies are read and logged (older masters did not
 * know them).
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * deepStrictEqual(
 *   handshakeCommands({ masterUser: "", masterAuth: "pw", listeningPort: 6380, announceIp: "" }),
 *   [
 *     ["AUTH", "pw"],
 *     ["REPLCONF", "listening-port", "6380"],
 *     ["REPLCONF", "capa", "eof", "capa", "psync2"],
 *   ],
 * );
 * ```
 */
export function handshakeCommands(options: HandshakeOptions): string[][] {
  const commands: string[][] = [];
  if (options.masterAuth !== "") {
    commands.push(
      options.masterUser === ""
        ? ["AUTH", options.masterAuth]
        : ["AUTH", options.masterUser, options.masterAuth],
    );
  }
  commands.push(["REPLCONF", "listening-port", String(options.listeningPort)]);
  if (options.announceIp !== "") commands.push(["REPLCONF", "ip-address", options.announceIp]);
  commands.push(["REPLCONF", "capa", "eof", "capa", "psync2"]);
  return commands;
}

/**
 * PSYNC asking to continue the cached history at the first byte not yet
 * applied, or `PSYNC ? -1` (a full resync) without one.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * deepStrictEqual(psyncCommand(undefined), ["PSYNC", "?", "-1"]);
 * deepStrictEqual(psyncCommand({ replid: "a".repeat(40), offset: 99 }), [
 *   "PSYNC", "a".repeat(40), "100",
 * ]);
 * ```
 */
export function psyncCommand(cached: CachedMaster | undefined): string[] {
  return cached === undefined
    ? ["PSYNC", "?", "-1"]
    : ["PSYNC", cached.replid, String(cached.offset + 1)];
}

/**
 * Whether the master's reply to PING lets the handshake go on: any status,
 * or an authentication error (AUTH comes next), as Redis accepts them.
 */
export function pingReplyAcceptable(line: string): boolean {
  return line.startsWith("+") || line.startsWith("-NOAUTH") || line.startsWith("-NOPERM") ||
    line.startsWith("-ERR operation not permitted");
}

/**
 * Reads the master's one-line answer to PSYNC (an empty line is a keepalive
 * the caller skips).
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * const id = "f".repeat(40);
 * deepStrictEqual(parsePsyncReply(`+FULLRESYNC ${id} 42`), { kind: "full", replid: id, offset: 42 });
 * deepStrictEqual(parsePsyncReply("+CONTINUE"), { kind: "continue", replid: undefined });
 * deepStrictEqual(parsePsyncReply("-LOADING Redis is loading"), {
 *   kind: "try-later", text: "-LOADING Redis is loading",
 * });
 * ```
 */
export function parsePsyncReply(line: string): PsyncReply {
  if (line.startsWith("+FULLRESYNC")) {
    const [, replid, offsetText] = line.split(" ");
    const offset = Number(offsetText);
    if (
      replid?.length !== REPLID_LENGTH || offsetText === undefined || !Number.isSafeInteger(offset)
    ) {
      return { kind: "full-malformed" };
    }
    return { kind: "full", replid, offset };
  }
  if (line.startsWith("+CONTINUE")) {
    const replid = line.slice(10).trim();
    return { kind: "continue", replid: replid.length === REPLID_LENGTH ? replid : undefined };
  }
  if (line.startsWith("-NOMASTERLINK") || line.startsWith("-LOADING")) {
    return { kind: "try-later", text: line };
  }
  return { kind: "not-supported", text: line };
}

/**
 * Bytes a request takes in the replication stream, as a master encodes it
 * (`*<argc>\r\n` then `$<len>\r\n<arg>\r\n` per argument): how the replica
 * counts its offset command by command.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(encodedCommandLength(["PING"]), "*1\r\n$4\r\nPING\r\n".length);
 * ```
 */
export function encodedCommandLength(argv: readonly string[]): number {
  let length = 3 + String(argv.length).length;
  for (const arg of argv) length += 5 + String(arg.length).length + arg.length;
  return length;
}
