/**
 * What a client may do depending on where it connects from, as Redis decides
 * it: protected mode (no password set → only loopback clients are served) and
 * protected configs (`enable-protected-configs`: settings that choose where
 * files are written). Pure functions of an address and the settings, so the
 * server applies them per connection and tests cover every address form.
 *
 * @module
 */

/**
 * Whether `hostname` (a peer address as the socket reports it) is the
 * loopback interface: 127.0.0.0/8, `::1`, or 127.x written as an IPv4-mapped
 * IPv6 address (what a dual-stack listener reports for an IPv4 peer). Redis
 * 7.2+ counts all of 127.0.0.0/8 (7.0 only the exact `127.0.0.1`).
 *
 * @example Loopback and not
 * ```ts
 * import { isLoopbackAddress } from "./protection.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isLoopbackAddress("127.0.0.1"), true);
 * assert.equal(isLoopbackAddress("::ffff:127.0.0.2"), true);
 * assert.equal(isLoopbackAddress("192.0.2.2"), false);
 * ```
 */
export function isLoopbackAddress(hostname: string): boolean {
  const lower = hostname.toLowerCase();
  const ipv4 = lower.startsWith("::ffff:") ? lower.slice("::ffff:".length) : lower;
  if (/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(ipv4)) return true;
  return lower === "::1" || lower === "0:0:0:0:0:0:0:1";
}

/** The values of `enable-protected-configs` (and Redis's enable-debug/module-command). */
export const PROTECTED_ACTION_VALUES = ["no", "yes", "local"] as const;
export type ProtectedActionSetting = typeof PROTECTED_ACTION_VALUES[number];

/**
 * Redis's `allowProtectedAction`: `yes` allows everyone, `local` only
 * loopback clients, `no` nobody (settings then change only at startup).
 */
export function allowProtectedAction(setting: string, local: boolean): boolean {
  return setting === "yes" || (setting === "local" && local);
}

/**
 * Whether protected mode turns this client away: it is on, no password is
 * set, and the client is not on the loopback interface. Redis 7 checks this
 * for every accepted connection, whatever `bind` says.
 */
export function deniedByProtectedMode(
  options: { readonly protectedMode: boolean; readonly passwordSet: boolean },
  local: boolean,
): boolean {
  return options.protectedMode && !options.passwordSet && !local;
}

/**
 * Redis's reply to a client refused by protected mode (networking.c),
 * without the leading `-`; clients match on `DENIED`.
 */
export const PROTECTED_MODE_DENIED = "DENIED Redis is running in protected mode because " +
  "protected mode is enabled and no password is set for the default user. " +
  "In this mode connections are only accepted from the loopback interface. " +
  "If you want to connect from external computers to Redis you " +
  "may adopt one of the following solutions: " +
  "1) Just disable protected mode sending the command " +
  "'CONFIG SET protected-mode no' from the loopback interface " +
  "by connecting to Redis from the same host the server is " +
  "running, however MAKE SURE Redis is not publicly accessible " +
  "from internet if you do so. Use CONFIG REWRITE to make this " +
  "change permanent. " +
  "2) Alternatively you can just disable the protected mode by " +
  "editing the Redis configuration file, and setting the protected " +
  "mode option to 'no', and then restarting the server. " +
  "3) If you started the server manually just for testing, restart " +
  "it with the '--protected-mode no' option. " +
  "4) Setup a an authentication password for the default user. " +
  "NOTE: You only need to do one of the above things in order for " +
  "the server to start accepting connections from the outside.";

/**
 * Before AUTH a request may carry at most this many arguments (Redis ≥ 6.2.6,
 * networking.c), so a client without the password cannot make the server
 * hold memory: both protocols close the connection past it.
 */
export const UNAUTHENTICATED_MAX_ARGS = 10;
/** Before AUTH an argument may be at most this many bytes (Redis ≥ 6.2.6). */
export const UNAUTHENTICATED_MAX_BULK = 16384;
