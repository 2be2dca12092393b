/**
 * MEMORY DOCTOR's report, with Redis 7.0's checks and thresholds
 * (`getMemoryDoctorReport`) applied to Kache's figures: an instance under
 * 5 MB is "empty"; otherwise a peak above 150 % of the memory in use, a
 * resident size far above the data, a V8 heap reserved far beyond what it
 * uses, clients averaging over 200 KB of buffers, and more than 1000 cached
 * scripts are each reported. Redis's allocator RSS checks have no
 * counterpart: V8's code and the runtime's own threads are part of any
 * Deno process's RSS and say nothing about the data.
 *
 * @module
 */

/** The figures the checks read (INFO memory and clients). */
export interface MemoryFigures {
  /** used_memory: the data and client buffers, as maxmemory counts them. */
  readonly used: number;
  readonly peak: number;
  /** The process's resident size beyond what it was when the server started. */
  readonly rssGrowth: number;
  /** What V8 holds in use (heap plus external memory) and what it reserved for both. */
  readonly heapUsed: number;
  readonly heapReserved: number;
  readonly clientBuffers: number;
  readonly clients: number;
  readonly cachedScripts: number;
}

const MB = 1024 * 1024;

/**
 * The report text.
 *
 * @example An instance under 5 MB gets Redis's "empty" answer
 * ```ts
 * import { memoryDoctorReport } from "./memory_doctor.ts";
 * const text = memoryDoctorReport({
 *   used: 1000, peak: 1000, rssGrowth: 0, heapUsed: 0, heapReserved: 0,
 *   clientBuffers: 0, clients: 1, cachedScripts: 0,
 * });
 * if (!text.includes("this instance is empty")) throw new Error(text);
 * ```
 */
export function memoryDoctorReport(figures: MemoryFigures): string {
  if (figures.used < 5 * MB) {
    return "Hi Sam, this instance is empty or is using very little memory, " +
      "my issues detector can't be used in these conditions. " +
      "Please, leave for your mission on Earth and fill it with some data. " +
      "The new Sam and I will be back to our programming as soon as I " +
      "finished rebooting.\n";
  }
  const findings: string[] = [];
  if (figures.peak / figures.used > 1.5) {
    findings.push(
      " * Peak memory: In the past this instance used more than 150% the memory that is " +
        "currently using. V8 gives memory back to the system only as its garbage collector " +
        "compacts the heap, so the Resident Set Size (RSS) may stay above what the data needs " +
        "for a while; the memory will be used again as soon as you fill the instance with more " +
        "data. If the peak was only occasional and the RSS stays high, the only way to reclaim " +
        "it at once is to restart the instance.\n\n",
    );
  }
  if (figures.rssGrowth / figures.used > 1.4 && figures.rssGrowth - figures.used > 10 * MB) {
    findings.push(
      " * High total RSS: The process's Resident Set Size grew since startup by more than 1.4 " +
        "times the memory this instance accounts for (the data and the client buffers). This " +
        "is usually due either to a large peak memory (check if there is a peak memory entry " +
        "above in the report) or to garbage V8 has not collected yet.\n\n",
    );
  }
  if (
    figures.heapReserved / figures.heapUsed > 1.1 &&
    figures.heapReserved - figures.heapUsed > 10 * MB
  ) {
    findings.push(
      " * High heap fragmentation: V8 reserved more than 1.1 times the heap it uses. This " +
        "problem is usually due to a large peak memory (check if there is a peak memory entry " +
        "above in the report); V8 shrinks its reservation as it collects garbage.\n\n",
    );
  }
  if (figures.clients > 0 && figures.clientBuffers / figures.clients > 200 * 1024) {
    findings.push(
      " * Big client buffers: The clients output buffers in this instance are greater than " +
        "200K per client (on average). This may result from different causes, like Pub/Sub " +
        "clients subscribed to channels bot not receiving data fast enough, so that data piles " +
        "on the Redis instance output buffer, or clients sending commands with large replies or " +
        "very large sequences of commands in the same pipeline. Please use the CLIENT LIST " +
        "command in order to investigate the issue if it causes problems in your instance, or " +
        "to understand better why certain clients are using a big amount of memory.\n\n",
    );
  }
  if (figures.cachedScripts > 1000) {
    findings.push(
      " * Many scripts: There seem to be many cached scripts in this instance (more than " +
        "1000). This may be because scripts are generated and `EVAL`ed, instead of being " +
        "parameterized (with KEYS and ARGV), `SCRIPT LOAD`ed and `EVALSHA`ed. Unless " +
        "`SCRIPT FLUSH` is called periodically, the scripts' caches may end up consuming most " +
        "of your memory.\n\n",
    );
  }
  if (findings.length === 0) {
    return "Hi Sam, I can't find any memory issue in your instance. " +
      "I can only account for what occurs on this base.\n";
  }
  return "Sam, I detected a few issues in this Redis instance memory implants:\n\n" +
    findings.join("") + "I'm here to keep you safe, Sam. I want to help you.\n";
}
