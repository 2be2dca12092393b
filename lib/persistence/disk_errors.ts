/**
 * What clients are told while the data cannot be persisted: Redis's
 * `-MISCONF` replies (server.c `writeCommandsGetDiskErrorMessage`), which
 * the command table gives to write commands (and PING, as Redis does, so
 * health checks notice) until writing to disk works again.
 *
 * @module
 */

/** Redis's `shared.bgsaveerr`: a failed BGSAVE with save points and stop-writes-on-bgsave-error. */
export const MISCONF_RDB =
  "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. " +
  "Commands that may modify the data set are disabled, because this instance is configured to report " +
  "errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). " +
  "Please check the Redis logs for details about the RDB error.";

/**
 * Redis's reply while the AOF cannot be written or fsynced; `reason` is the
 * system's error text (C's strerror, see {@link systemErrorText}).
 *
 * @example Disk full
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(
 *   misconfAof("No space left on device"),
 *   "MISCONF Errors writing to the AOF file: No space left on device",
 * );
 * ```
 */
export function misconfAof(reason: string): string {
  return `MISCONF Errors writing to the AOF file: ${reason}`;
}

/**
 * The strerror text of a failed system call: Deno's message without its
 * " (os error N)" suffix and anything after it, so replies read as Redis's.
 *
 * @example Deno's wording of ENOSPC
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(
 *   systemErrorText(new Error("No space left on device (os error 28)")),
 *   "No space left on device",
 * );
 * ```
 */
export function systemErrorText(cause: unknown): string {
  const message = cause instanceof Error ? cause.message : String(cause);
  return message.replace(/ \(os error \d+\)[\s\S]*$/, "");
}
