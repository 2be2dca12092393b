/**
 * DEBUG, behind `enable-debug-command` as in Redis 7 (`no` by default,
 * `local` for loopback clients only), with the subcommands Kache can do
 * truly: SLEEP, OBJECT, SET-ACTIVE-EXPIRE, RELOAD and HELP. Others answer
 * Redis's unknown-subcommand error.
 *
 * DEBUG OBJECT shows `refcount`, `encoding` and `serializedlength` (the
 * length of the value as Kache's RDB writer encodes it, as Redis's
 * `rdbSavedObjectLen`). Redis's `Value at:` (a C pointer) and `lru`/
 * `lru_seconds_idle` (Kache keeps no per-key access time) are left out
 * rather than invented.
 *
 * @module
 */
import { CommandError } from "../errors.ts";
import { encodingLimitsFrom, objectEncoding, objectRefcount } from "../object_encoding.ts";
import { dumpPayload } from "../persistence/dump_payload.ts";
import { allowProtectedAction, isLoopbackAddress } from "../protection.ts";
import { OK, type Reply, status } from "../reply.ts";
import { helpReply } from "./help.ts";
import type { CommandContext, CommandSpec } from "./types.ts";

/** Redis 7.0's processCommand refusal, word for word. */
export const DEBUG_NOT_ALLOWED =
  'ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.';

const DEBUG_HELP = [
  "OBJECT <key>",
  "    Show low level info about `key` and associated value.",
  "RELOAD",
  "    Save the RDB on disk and reload it back to memory.",
  "SET-ACTIVE-EXPIRE <0|1>",
  "    Setting it to 0 disables expiring keys in background when they are not",
  "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
  "    default.",
  "SLEEP <seconds>",
  "    Stop the server for <seconds>. Decimals allowed.",
];

/** DUMP's payload less what DEBUG OBJECT's serializedlength leaves out: type byte, version, CRC. */
const PAYLOAD_OVERHEAD = 1 + 2 + 8;

function setting(context: CommandContext, name: string): string {
  return context.server.configGet([name])[0]?.[1] ?? "";
}

/** Whether this client may run DEBUG (Redis's allowProtectedAction on enable-debug-command). */
function debugAllowed(context: CommandContext): boolean {
  const address = context.session.address;
  const host = address.slice(0, address.lastIndexOf(":")).replace(/^\[|\]$/g, "");
  return allowProtectedAction(setting(context, "enable-debug-command"), isLoopbackAddress(host));
}

/** C's strtod as DEBUG SLEEP reads it: the longest number prefix, 0 when there is none. */
function leadingNumber(text: string): number {
  const match = /^\s*[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?/i.exec(text);
  return match === null ? 0 : Number(match[0]);
}

/** C's atoi: the leading integer, 0 when there is none. */
function leadingInteger(text: string): number {
  const match = /^\s*[+-]?\d+/.exec(text);
  return match === null ? 0 : Number(match[0]);
}

/** Blocks the whole server, as Redis's DEBUG SLEEP does, without spinning the CPU. */
function sleepMillis(millis: number): void {
  if (!(millis > 0)) return;
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, millis);
}

function wrongSubcommand(name: string): CommandError {
  return new CommandError(
    `ERR unknown subcommand or wrong number of arguments for '${name}'. Try DEBUG HELP.`,
  );
}

function debugObject(context: CommandContext, key: string): Reply {
  const value = context.keyspace.get(key);
  if (value === undefined) throw new CommandError("ERR no such key");
  const limits = encodingLimitsFrom((name) => setting(context, name));
  const sharing = setting(context, "maxmemory") === "0" ||
    !/lru|lfu/.test(setting(context, "maxmemory-policy"));
  const payload = dumpPayload(value, setting(context, "rdbcompression") === "yes", limits);
  return status(
    `refcount:${objectRefcount(value, sharing)} encoding:${objectEncoding(value, limits)} ` +
      `serializedlength:${payload.length - PAYLOAD_OVERHEAD}`,
  );
}

export const DEBUG_COMMANDS: readonly CommandSpec[] = [
  {
    name: "debug",
    arity: -2,
    flags: ["admin", "noscript", "loading", "stale"],
    group: "server",
    summary: "A container for debugging commands",
    since: "1.0.0",
    complexity: "Depends on subcommand.",
    handler(context, argv) {
      if (!debugAllowed(context)) throw new CommandError(DEBUG_NOT_ALLOWED);
      const subcommand = argv[1]!.toLowerCase();
      const argc = argv.length;
      if (subcommand === "help" && argc === 2) return helpReply("debug", DEBUG_HELP);
      if (subcommand === "sleep" && argc === 3) {
        sleepMillis(leadingNumber(argv[2]!) * 1000);
        return OK;
      }
      if (subcommand === "object" && argc === 3) return debugObject(context, argv[2]!);
      if (subcommand === "set-active-expire" && argc === 3) {
        return context.server.admin([
          "debug",
          "set-active-expire",
          leadingInteger(argv[2]!) === 0 ? "0" : "1",
        ]);
      }
      if (subcommand === "reload" && argc === 2) {
        return context.server.admin(["debug", "reload"]);
      }
      throw wrongSubcommand(argv[1]!);
    },
  },
];
