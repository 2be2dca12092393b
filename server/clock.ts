/**
 * The command clock: monotonic microseconds, read once per command for
 * commandstats, SLOWLOG and LATENCY (lib/commands/table.ts).
 *
 * Why not just `performance.now()`: in Deno it is an op, 87–90 ns a call on
 * the development machine, and a pipelined GET costs ~1.3 µs in all, so the
 * clock was 5–7% of the server's busy time under `-P 16`. libc's
 * `clock_gettime(CLOCK_MONOTONIC)` called through FFI (a fast call into the
 * vDSO, no system call) takes 33–35 ns. It is used where the process may
 * call FFI (Linux, `--allow-ffi`, which `deno task serve` grants); anywhere
 * else the clock is `performance.now()`. Both count from an arbitrary
 * origin: only differences between readings mean anything.
 *
 * @module
 */

/** `clockid_t` of the monotonic clock on Linux. */
const CLOCK_MONOTONIC = 1;

/** A reading of the monotonic clock in microseconds, from an arbitrary origin. */
export type MicrosClock = () => number;

/** The fastest monotonic microsecond clock this process can read (see the module comment). */
export function monotonicMicros(): MicrosClock {
  return libcClock() ?? (() => performance.now() * 1000);
}

/** `clock_gettime` through FFI, or undefined where FFI or libc is not available. */
function libcClock(): MicrosClock | undefined {
  if (Deno.build.os !== "linux") return undefined;
  if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") return undefined;
  let library: Deno.DynamicLibrary<typeof CLOCK_GETTIME>;
  try {
    library = Deno.dlopen("libc.so.6", CLOCK_GETTIME);
  } catch {
    return undefined;
  }
  const clockGettime = library.symbols.clock_gettime;
  // struct timespec on x86-64 and arm64: i64 tv_sec, i64 tv_nsec (always below 10^9).
  const timespec = new Uint32Array(4);
  const read: MicrosClock = () => {
    clockGettime(CLOCK_MONOTONIC, timespec);
    return (timespec[0]! + timespec[1]! * 0x1_0000_0000) * 1e6 + timespec[2]! / 1000;
  };
  // A libc whose clock_gettime fails (it returns -1) must not time every command as 0 µs.
  return clockGettime(CLOCK_MONOTONIC, timespec) === 0 ? read : undefined;
}

const CLOCK_GETTIME = {
  clock_gettime: { parameters: ["i32", "buffer"], result: "i32" },
} as const;
