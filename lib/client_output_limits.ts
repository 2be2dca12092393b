/**
 * `client-output-buffer-limit`, in Redis's syntax: `<class> <hard> <soft>
 * <soft-seconds>` groups for the classes `normal`, `replica` (or `slave`) and
 * `pubsub`. A client whose queued output reaches the hard limit, or stays at
 * or over the soft limit for longer than the seconds, is disconnected. 0
 * turns a limit off.
 *
 * The setting is stored as the text CONFIG GET prints (Redis's own format,
 * sizes in bytes, the replica class named `slave`); a CONFIG SET naming only
 * some classes leaves the others as they were, as in Redis.
 *
 * @module
 */
import { parseMemorySize } from "./numbers.ts";

/** One class's limits, in bytes and seconds (0 = no limit). */
export interface OutputLimit {
  readonly hard: number;
  readonly soft: number;
  readonly softSeconds: number;
}

/** The client classes that carry limits, in the order Redis prints them. */
export type ClientClass = "normal" | "replica" | "pubsub";

export type ClientOutputLimits = Readonly<Record<ClientClass, OutputLimit>>;

const CLASS_ORDER: readonly ClientClass[] = ["normal", "replica", "pubsub"];

/** Redis's default, as the brief and redis.conf write it. */
export const DEFAULT_CLIENT_OUTPUT_BUFFER_LIMIT =
  "normal 0 0 0 replica 256mb 64mb 60 pubsub 32mb 8mb 60";

const WRONG_COUNT = "Wrong number of arguments in buffer limit configuration.";
const BAD_CLASS = "Invalid client class specified in buffer limit configuration.";
const BAD_VALUE = "Error in hard, soft or soft_seconds setting in buffer limit configuration.";

/** Redis's `strtoll(…, NULL, 10)`: a leading integer, 0 when there is none. */
function parseLeadingInteger(text: string): number {
  const match = /^\s*([+-]?\d+)/.exec(text);
  return match ? Number(match[1]) : 0;
}

function classOf(name: string): ClientClass | undefined {
  const lower = name.toLowerCase();
  if (lower === "normal" || lower === "pubsub" || lower === "replica") return lower;
  return lower === "slave" ? "replica" : undefined;
}

/**
 * Reads a setting onto `current` (the limits in force): every group is
 * checked before any applies, so a bad group changes nothing.
 *
 * @example
 * ```ts
 * import { parseClientOutputLimits } from "./client_output_limits.ts";
 * import assert from "node:assert/strict";
 *
 * const limits = parseClientOutputLimits("pubsub 1mb 512kb 10");
 * assert.ok("limits" in limits);
 * assert.deepEqual(limits.limits.pubsub, { hard: 1048576, soft: 524288, softSeconds: 10 });
 * ```
 */
export function parseClientOutputLimits(
  text: string,
  current?: ClientOutputLimits,
): { limits: ClientOutputLimits } | { error: string } {
  const words = text.split(/\s+/).filter(Boolean);
  if (words.length % 4 !== 0) return { error: WRONG_COUNT };
  const limits: Record<ClientClass, OutputLimit> = current === undefined
    ? {
      normal: { hard: 0, soft: 0, softSeconds: 0 },
      replica: { hard: 0, soft: 0, softSeconds: 0 },
      pubsub: { hard: 0, soft: 0, softSeconds: 0 },
    }
    : { ...current };
  const updates: [ClientClass, OutputLimit][] = [];
  for (let i = 0; i < words.length; i += 4) {
    const klass = classOf(words[i]!);
    if (klass === undefined) return { error: BAD_CLASS };
    const hard = parseMemorySize(words[i + 1]!);
    const soft = parseMemorySize(words[i + 2]!);
    const softSeconds = parseLeadingInteger(words[i + 3]!);
    if (hard === undefined || soft === undefined || softSeconds < 0) return { error: BAD_VALUE };
    updates.push([klass, { hard, soft, softSeconds }]);
  }
  for (const [klass, limit] of updates) limits[klass] = limit;
  return { limits };
}

/** The limits as CONFIG GET prints them: bytes, and `slave` for the replica class. */
export function formatClientOutputLimits(limits: ClientOutputLimits): string {
  return CLASS_ORDER.map((klass) => {
    const { hard, soft, softSeconds } = limits[klass];
    return `${klass === "replica" ? "slave" : klass} ${hard} ${soft} ${softSeconds}`;
  }).join(" ");
}

/**
 * Redis's `checkClientOutputBufferLimits`: whether `queued` bytes break
 * `limit`. `state.softSince` is when the soft limit was first reached
 * (undefined while under it); the caller keeps it between calls. `now`
 * (Unix ms) is read only over the soft limit, so the common case costs no clock read.
 */
export function outputLimitReached(
  limit: OutputLimit,
  queued: number,
  now: () => number,
  state: { softSince: number | undefined },
): boolean {
  if (limit.hard > 0 && queued >= limit.hard) return true;
  if (limit.soft > 0 && queued >= limit.soft) {
    const time = now();
    state.softSince ??= time;
    return time - state.softSince > limit.softSeconds * 1000;
  }
  state.softSince = undefined;
  return false;
}
