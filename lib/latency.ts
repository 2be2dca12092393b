/**
 * The latency monitor (Redis's latency.c): for each event class ("command",
 * "fast-command", "expire-cycle" …) the latest 160 samples of at least
 * `latency-monitor-threshold` milliseconds, one per second (the worst of that
 * second), and the worst ever. Fed only where Kache really measures the
 * event; a threshold of 0 (the default) records nothing.
 *
 * @module
 */

/** Redis's LATENCY_TS_LEN. */
export const HISTORY_LENGTH = 160;

export interface LatencySample {
  /** Unix seconds. */
  readonly time: number;
  /** Milliseconds. */
  latency: number;
}

export interface LatencySeries {
  /** Oldest first; at most {@link HISTORY_LENGTH}. */
  readonly samples: LatencySample[];
  /** The worst latency ever recorded, in milliseconds. */
  max: number;
}

/** Settings and state the doctor's advice depends on. */
export interface DoctorContext {
  readonly slowlogSlowerThanMicros: number;
  readonly appendfsync: string;
  readonly hz: number;
}

export class LatencyMonitor {
  /** `latency-monitor-threshold` in milliseconds; 0 turns monitoring off. */
  thresholdMillis = 0;
  /** Event name → series, in the order events first happened. */
  readonly events = new Map<string, LatencySeries>();

  /** Records `millis` for `event` when monitoring is on and it reaches the threshold. */
  addSampleIfNeeded(event: string, millis: number, nowSeconds: number): void {
    const threshold = this.thresholdMillis;
    if (threshold === 0 || millis < threshold) return;
    this.addSample(event, millis, nowSeconds);
  }

  /** Redis's latencyAddSample: one sample per second per event, the worst of that second. */
  addSample(event: string, millis: number, nowSeconds: number): void {
    let series = this.events.get(event);
    if (series === undefined) {
      series = { samples: [], max: 0 };
      this.events.set(event, series);
    }
    if (millis > series.max) series.max = millis;
    const last = series.samples[series.samples.length - 1];
    if (last !== undefined && last.time === nowSeconds) {
      if (millis > last.latency) last.latency = millis;
      return;
    }
    series.samples.push({ time: nowSeconds, latency: millis });
    if (series.samples.length > HISTORY_LENGTH) series.samples.shift();
  }

  /** LATENCY RESET: forgets `event` (any letter case), or every event; returns how many went. */
  reset(event?: string): number {
    if (event === undefined) {
      const count = this.events.size;
      this.events.clear();
      return count;
    }
    let resets = 0;
    const wanted = event.toLowerCase();
    for (const name of [...this.events.keys()]) {
      if (name.toLowerCase() === wanted) {
        this.events.delete(name);
        resets++;
      }
    }
    return resets;
  }

  /** LATENCY DOCTOR's report, Redis's text for the events Kache records. */
  doctor(context: DoctorContext, nowSeconds: number): string {
    if (this.events.size === 0 && this.thresholdMillis === 0) {
      return "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n";
    }
    const advice = new Set<Advice>();
    let report = "";
    let eventNumber = 0;
    for (const [event, series] of this.events) {
      eventNumber++;
      if (eventNumber === 1) {
        report +=
          "Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n";
      }
      const stats = analyze(series, nowSeconds);
      report +=
        `${eventNumber}. ${event}: ${stats.samples} latency spikes (average ${stats.avg}ms, ` +
        `mean deviation ${stats.mad}ms, period ${
          (stats.period / stats.samples).toFixed(2)
        } sec). Worst all time event ${series.max}ms.`;
      for (const item of adviceFor(event.toLowerCase(), context, this.thresholdMillis)) {
        advice.add(item);
      }
      report += "\n";
    }
    if (eventNumber === 0 && advice.size === 0) {
      return report +
        "Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n";
    }
    if (advice.size === 0) {
      return report +
        "\nWhile there are latency events logged, I'm not able to suggest any easy fix. Please use the Redis community to get some help, providing this report in your help request.\n";
    }
    report += "\nI have a few advices for you:\n\n";
    const threshold = this.thresholdMillis * 1000;
    for (const item of ADVICE_ORDER) {
      if (!advice.has(item)) continue;
      if (item === "relax_fsync" && context.appendfsync !== "always") continue;
      if (item === "hz" && context.hz >= 100) continue;
      report += ADVICE_TEXT[item].replace("%THRESHOLD%", String(threshold));
    }
    return report;
  }
}

interface EventStats {
  samples: number;
  avg: number;
  mad: number;
  period: number;
}

/** Redis's analyzeLatencyForEvent (integer average and mean absolute deviation). */
function analyze(series: LatencySeries, nowSeconds: number): EventStats {
  const samples = series.samples;
  if (samples.length === 0) return { samples: 0, avg: 0, mad: 0, period: 0 };
  let sum = 0;
  let oldest = Infinity;
  for (const sample of samples) {
    sum += sample.latency;
    if (sample.time < oldest) oldest = sample.time;
  }
  const avg = Math.floor(sum / samples.length);
  let deviations = 0;
  for (const sample of samples) deviations += Math.abs(avg - sample.latency);
  const period = nowSeconds - oldest;
  return {
    samples: samples.length,
    avg,
    mad: Math.floor(deviations / samples.length),
    period: period === 0 ? 1 : period,
  };
}

type Advice =
  | "slowlog_enabled"
  | "slowlog_tuning"
  | "slowlog_inspect"
  | "scheduler"
  | "local_disk"
  | "ssd"
  | "data_writeback"
  | "disk_contention"
  | "relax_fsync"
  | "hz"
  | "large_objects"
  | "mass_eviction";

function adviceFor(event: string, context: DoctorContext, thresholdMillis: number): Advice[] {
  switch (event) {
    case "command": {
      const advice: Advice[] = ["slowlog_inspect", "large_objects"];
      if (context.slowlogSlowerThanMicros < 0) advice.push("slowlog_enabled");
      else if (Math.floor(context.slowlogSlowerThanMicros / 1000) > thresholdMillis) {
        advice.push("slowlog_tuning");
      }
      return advice;
    }
    case "fast-command":
      return ["scheduler"];
    case "aof-write-pending-fsync":
      return ["local_disk", "disk_contention", "ssd", "data_writeback"];
    case "aof-write-alone":
      return ["local_disk", "data_writeback", "ssd"];
    case "aof-fsync-always":
      return ["relax_fsync"];
    case "aof-fstat":
    case "rdb-unlink-temp-file":
      return ["disk_contention", "local_disk"];
    case "expire-cycle":
      return ["hz", "large_objects"];
    case "eviction-del":
      return ["large_objects"];
    case "eviction-cycle":
      return ["mass_eviction"];
    default:
      return [];
  }
}

const ADVICE_ORDER: readonly Advice[] = [
  "slowlog_enabled",
  "slowlog_tuning",
  "slowlog_inspect",
  "scheduler",
  "local_disk",
  "ssd",
  "data_writeback",
  "disk_contention",
  "relax_fsync",
  "hz",
  "large_objects",
  "mass_eviction",
];

/** Redis 7.0's advice texts, verbatim (`%THRESHOLD%` is latency-monitor-threshold in µs). */
const ADVICE_TEXT: Readonly<Record<Advice, string>> = {
  slowlog_enabled:
    "- There are latency issues with potentially slow commands you are using. Try to enable the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than %THRESHOLD%'. If the Slow log is disabled Redis is not able to log slow commands execution for you.\n",
  slowlog_tuning:
    "- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than %THRESHOLD%'.\n",
  slowlog_inspect:
    "- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n",
  scheduler:
    "- The system is slow to execute Redis code paths not containing system calls. This usually means the system does not provide Redis CPU time to run for long periods. You should try to:\n" +
    "  1) Lower the system load.\n" +
    "  2) Use a computer / VM just for Redis if you are running other software in the same system.\n" +
    '  3) Check if you have a "noisy neighbour" problem.\n' +
    "  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your system.\n" +
    "  5) Check if the problem is allocator-related by recompiling Redis with MALLOC=libc, if you are using Jemalloc. However this may create fragmentation problems.\n",
  local_disk:
    "- It is strongly advised to use local disks for persistence, especially if you are using AOF. Remote disks provided by platform-as-a-service providers are known to be slow.\n",
  ssd:
    "- SSD disks are able to reduce fsync latency, and total time needed for snapshotting and AOF log rewriting (resulting in smaller memory usage). With extremely high write load SSD disks can be a good option. However Redis should perform reasonably with high load using normal disks. Use this advice as a last resort.\n",
  data_writeback:
    "- Mounting ext3/4 filesystems with data=writeback can provide a performance boost compared to data=ordered, however this mode of operation provides less guarantees, and sometimes it can happen that after a hard crash the AOF file will have a half-written command at the end and will require to be repaired before Redis restarts.\n",
  disk_contention:
    "- Try to lower the disk contention. This is often caused by other disk intensive processes running in the same computer (including other Redis instances).\n",
  relax_fsync:
    "- Your fsync policy is set to 'always'. It is very hard to get good performances with such a setup, if possible try to relax the fsync policy to 'onesec'.\n",
  hz:
    "- In order to make the Redis keys expiring process more incremental, try to set the 'hz' configuration parameter to 100 using 'CONFIG SET hz 100'.\n",
  large_objects:
    "- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n",
  mass_eviction:
    "- Sudden changes to the 'maxmemory' setting via 'CONFIG SET', or allocation of large objects via sets or sorted sets intersections, STORE option of SORT, Redis Cluster large keys migrations (RESTORE command), may create sudden memory pressure forcing the server to block trying to evict keys. \n",
};
