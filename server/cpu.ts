/**
 * CPU time of the thread that runs JavaScript (INFO's
 * `used_cpu_{sys,user}_main_thread`): the server's own work, apart from the
 * snapshot workers and the runtime's I/O threads that `process.cpuUsage()`
 * also counts. Read from `/proc/self/task/<pid>/stat`: Deno runs JavaScript
 * on the process's first thread, whose id is the process id.
 *
 * @module
 */

/**
 * Clock ticks per second in /proc's times: USER_HZ, which Linux fixes at 100
 * in its user-space ABI whatever the kernel's own tick rate.
 */
const USER_HZ = 100;

/** Microseconds of user and system time of the main thread; undefined off Linux. */
export function mainThreadCpu(): { user: number; system: number } | undefined {
  if (Deno.build.os !== "linux") return undefined;
  let text: string;
  try {
    text = Deno.readTextFileSync(`/proc/self/task/${Deno.pid}/stat`);
  } catch {
    return undefined;
  }
  return parseThreadTimes(text);
}

/**
 * utime and stime (fields 14 and 15 of proc(5)'s stat) in microseconds. The
 * thread name (field 2) may hold spaces and parentheses, so fields are
 * counted from its last ")".
 */
export function parseThreadTimes(stat: string): { user: number; system: number } | undefined {
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const user = Number(fields[11]);
  const system = Number(fields[12]);
  if (!Number.isFinite(user) || !Number.isFinite(system)) return undefined;
  return { user: user * 1e6 / USER_HZ, system: system * 1e6 / USER_HZ };
}
