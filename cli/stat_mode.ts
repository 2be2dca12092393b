/**
 * `kache client --stat`: a line of server statistics every second (or
 * `-i`), from INFO, as redis-cli 7.0's `statMode`, columns and all:
 *
 * ```
 * ------- data ------ --------------------- load -------------------- - child -
 * keys       mem      clients blocked requests            connections
 * 9          3.95K    1       0       76 (+0)             17
 * ```
 *
 * `requests` shows the total and, in brackets, the commands run since the
 * previous line; `child` names a running snapshot (SAVE), AOF rewrite (AOF)
 * or load (LOAD). The header is repeated every 20 lines. When the connection
 * is lost the client says `Reconnecting... n` once a second until the server
 * is back, and goes on.
 *
 * @module
 */
import { formatFixed } from "../lib/format.ts";
import type { ClientReply } from "../lib/protocol/resp_reply.ts";
import type { KacheConnection } from "./connection.ts";
import { sleep, writeErr, writeOut } from "./output.ts";

/** The header, reprinted every {@link HEADER_EVERY} lines. */
const HEADER = "------- data ------ --------------------- load -------------------- - child -\n" +
  "keys       mem      clients blocked requests            connections          \n";
const HEADER_EVERY = 20;

/** redis-cli sums `keys` over db0 to db19. */
const DATABASES_COUNTED = 20;

/**
 * The number after `field` in INFO text, as redis-cli's `getLongInfoField`:
 * the first place `field` appears, up to `\r` or `,`, read as strtol would
 * (a leading integer; 0 when there is none). Undefined when absent.
 *
 * @example
 * ```ts
 * import { infoNumber } from "./stat_mode.ts";
 * import assert from "node:assert/strict";
 *
 * const info = "used_memory:1024\r\ndb0:keys=9,expires=0,avg_ttl=0\r\n";
 * assert.equal(infoNumber(info, "db0:keys"), 9);
 * assert.equal(infoNumber(info, "used_memory"), 1024);
 * assert.equal(infoNumber(info, "loading"), undefined);
 * ```
 */
export function infoNumber(info: string, field: string): number | undefined {
  const at = info.indexOf(field);
  if (at < 0) return undefined;
  const value = /^[ \t]*[-+]?[0-9]*/.exec(info.slice(at + field.length + 1))![0];
  const parsed = parseInt(value, 10);
  return Number.isNaN(parsed) ? 0 : parsed;
}

/**
 * Bytes the way redis-cli's `bytesToHuman` prints them: `100B`, `4.00K`,
 * `1.46M`, `2.00G` (and nothing from a terabyte on, as redis-cli).
 *
 * @example
 * ```ts
 * import { bytesToHuman } from "./stat_mode.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(bytesToHuman(1000), "1000B");
 * assert.equal(bytesToHuman(4042), "3.95K");
 * assert.equal(bytesToHuman(1_530_000), "1.46M");
 * ```
 */
export function bytesToHuman(bytes: number): string {
  const sign = bytes < 0 ? "-" : "";
  const n = Math.abs(bytes);
  if (n < 1024) return `${sign}${n}B`;
  if (n < 1024 ** 2) return `${sign}${formatFixed(n / 1024, 2)}K`;
  if (n < 1024 ** 3) return `${sign}${formatFixed(n / 1024 ** 2, 2)}M`;
  if (n < 1024 ** 4) return `${sign}${formatFixed(n / 1024 ** 3, 2)}G`;
  return sign;
}

/**
 * One line of the table from an INFO text; `previousRequests` is the
 * `total_commands_processed` of the line before (0 for the first).
 */
export function formatStatLine(info: string, previousRequests: number): string {
  const number = (field: string) => infoNumber(info, field) ?? 0;
  let keys = 0;
  for (let db = 0; db < DATABASES_COUNTED; db++) keys += infoNumber(info, `db${db}:keys`) ?? 0;
  const requests = number("total_commands_processed");
  const since = previousRequests === 0 ? 0 : requests - previousRequests;
  const child = number("bgsave_in_progress") | (number("aof_rewrite_in_progress") << 1) |
    (number("loading") << 2);
  return String(keys).padEnd(11) +
    bytesToHuman(number("used_memory")).padEnd(8) +
    " " + String(number("connected_clients")).padEnd(8) +
    String(number("blocked_clients")).padEnd(8) +
    `${requests} (+${since})`.padEnd(19) +
    " " + String(number("total_connections_received")).padEnd(12) +
    (CHILD_NAMES[child] ?? "") + "\n";
}

/** The `child` column: bit 0 snapshot, bit 1 AOF rewrite, bit 2 loading. */
const CHILD_NAMES: Readonly<Record<number, string>> = {
  1: "SAVE",
  2: "AOF",
  3: "SAVE+AOF",
  4: "LOAD",
};

/**
 * Runs until interrupted or an error reply. `reconnect` replaces a lost
 * connection (with the session's AUTH and SELECT); it resolves undefined
 * while the server cannot be reached.
 */
export async function statMode(
  connection: KacheConnection,
  options: {
    readonly intervalSeconds: number;
    readonly reconnect: () => Promise<KacheConnection | undefined>;
  },
): Promise<number> {
  let current = connection;
  let previousRequests = 0;
  for (let line = 0;; line++) {
    let reply: ClientReply | undefined;
    for (let tries = 0; reply === undefined;) {
      try {
        reply = await current.send(["INFO"]);
        if (tries > 0) writeOut("\r\x1b[0K");
      } catch {
        writeOut(`\r\x1b[0KReconnecting... ${++tries}\r`);
        const replacement = await options.reconnect();
        if (replacement !== undefined) current = replacement;
        await sleep(1);
      }
    }
    if (reply.type === "error") {
      writeErr(`ERROR: ${reply.message}\n`);
      return 1;
    }
    const info = reply.type === "bulk" || reply.type === "verbatim" ? reply.value : "";
    writeOut((line % HEADER_EVERY === 0 ? HEADER : "") + formatStatLine(info, previousRequests));
    previousRequests = infoNumber(info, "total_commands_processed") ?? 0;
    await sleep(options.intervalSeconds);
  }
}
