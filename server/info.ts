/**
 * INFO's text, section by section, with the field names Redis uses so tools
 * that read them (redis-cli, redis-benchmark, client libraries, exporters)
 * find what they expect.
 *
 * @module
 */
import process from "node:process";
import { getHeapStatistics } from "node:v8";
import type { KacheServer } from "./server.ts";
import { scriptingFor } from "../lib/commands/scripting.ts";
import { KACHE_VERSION, REDIS_COMPATIBLE_VERSION } from "../lib/version.ts";
import { formatPercentile } from "../lib/config.ts";
import { replicationInfo } from "../lib/replication/report.ts";

type Section = (server: KacheServer) => [string, string | number][];

/** The highest used_memory each server's INFO has shown (sampled when INFO runs). */
const peakMemory = new WeakMap<KacheServer, number>();

const SECTIONS: Record<string, Section> = {
  server(server) {
    const uptime = Math.floor((Date.now() - server.state.startedAt) / 1000);
    return [
      ["redis_version", REDIS_COMPATIBLE_VERSION],
      ["kache_version", KACHE_VERSION],
      ["redis_mode", "standalone"],
      ["os", `${Deno.build.os} ${Deno.build.arch}`],
      ["arch_bits", 64],
      ["multiplexing_api", "deno"],
      ["deno_version", Deno.version.deno],
      ["process_id", Deno.pid],
      ["run_id", server.runId],
      ["tcp_port", server.config.number("port")],
      ["kache_port", server.config.number("kache-port")],
      ["server_time_usec", server.state.clockMicros()],
      ["uptime_in_seconds", uptime],
      ["uptime_in_days", Math.floor(uptime / 86400)],
      ["hz", server.config.number("hz")],
      ["executable", Deno.execPath()],
    ];
  },
  clients(server) {
    return [
      // Replicas are counted under connected_slaves, not here, as Redis counts them.
      ["connected_clients", server.connections.size - server.replication.replicas.length],
      ["maxclients", server.config.number("maxclients")],
      ["blocked_clients", server.commands.blocking.blockedCount],
      ["tracking_clients", server.tracking.clientCount],
    ];
  },
  memory(server) {
    // used_memory is the estimate maxmemory bounds: the data (used_memory_dataset), the
    // eviction policy's bookkeeping and the clients' buffers (mem_clients_normal, their bytes
    // beyond a connection's base, as Redis counts them). The process's own figures (RSS, V8's heap with its
    // garbage and code) are reported beside it.
    const process = Deno.memoryUsage();
    const heapLimit = getHeapStatistics().heap_size_limit;
    const used = server.eviction.usedMemory;
    const peak = Math.max(used, peakMemory.get(server) ?? 0);
    peakMemory.set(server, peak);
    const maxmemory = server.config.number("maxmemory");
    const scripting = scriptingFor(server.state);
    return [
      ["used_memory", used],
      ["used_memory_human", human(used)],
      ["used_memory_rss", process.rss],
      ["used_memory_rss_human", human(process.rss)],
      ["used_memory_peak", peak],
      ["used_memory_peak_human", human(peak)],
      ["used_memory_dataset", server.databases.usedMemory],
      ["v8_heap_used", process.heapUsed + process.external],
      ["v8_heap_used_human", human(process.heapUsed + process.external)],
      // V8's own ceiling (--max-old-space-size): past it the process dies, whatever maxmemory says.
      ["v8_heap_size_limit", heapLimit],
      ["v8_heap_size_limit_human", human(heapLimit)],
      ["mem_clients_normal", server.clientBufferBytes],
      ["maxmemory", maxmemory],
      ["maxmemory_human", human(maxmemory)],
      ["maxmemory_policy", server.config.string("maxmemory-policy")],
      ["mem_allocator", "v8"],
      ["number_of_cached_scripts", scripting.scripts.size],
      ["number_of_functions", scripting.functionCount],
      ["number_of_libraries", scripting.libraries.size],
    ];
  },
  persistence(server) {
    return server.persistence.info();
  },
  stats(server) {
    let commands = 0;
    for (const stats of server.commands.stats.values()) commands += stats.calls;
    return [
      ["total_connections_received", server.state.connectionsReceived],
      ["rejected_connections", server.state.rejectedConnections],
      ["sync_full", server.replication.syncFull],
      ["sync_partial_ok", server.replication.syncPartialOk],
      ["sync_partial_err", server.replication.syncPartialErr],
      ["total_commands_processed", commands],
      ["expired_keys", server.databases.shared.expiredCount],
      ["pubsub_channels", server.pubsub.channelCount],
      ["pubsub_patterns", server.pubsub.patternCount],
      ["evicted_keys", server.databases.shared.evictedCount],
      ["keyspace_hits", server.commands.keyspaceHits],
      ["keyspace_misses", server.commands.keyspaceMisses],
      ["tracking_total_keys", server.tracking.keyCount],
      ["tracking_total_items", server.tracking.itemCount],
      ["tracking_total_prefixes", server.tracking.prefixCount],
    ];
  },
  replication(server) {
    return replicationInfo(server.replication.view(), Date.now());
  },
  cpu() {
    // The whole process (workers included); no fork, so there are no children to report.
    const { system, user } = process.cpuUsage();
    return [
      ["used_cpu_sys", cpuSeconds(system)],
      ["used_cpu_user", cpuSeconds(user)],
      ["used_cpu_sys_children", cpuSeconds(0)],
      ["used_cpu_user_children", cpuSeconds(0)],
    ];
  },
  commandstats(server) {
    const rows: [string, string][] = [];
    for (const [name, stats] of server.commands.stats) {
      rows.push([
        `cmdstat_${name}`,
        `calls=${stats.calls},usec=${stats.usec},usec_per_call=${
          (stats.calls === 0 ? 0 : stats.usec / stats.calls).toFixed(2)
        },rejected_calls=${stats.rejected},failed_calls=${stats.failed}`,
      ]);
    }
    return rows;
  },
  latencystats(server) {
    // Percentiles from each command's histogram (lib/latency_histogram.ts: within 1/32 of the
    // true value, where Redis's HDR histograms are within 1 %), in µs with Redis's 3 decimals.
    const percentiles = server.config.string("latency-tracking-info-percentiles")
      .split(" ").filter((word) => word !== "").map(Number);
    const rows: [string, string][] = [];
    for (const [name, stats] of server.commands.stats) {
      const histogram = stats.histogram;
      if (histogram === undefined) continue;
      rows.push([
        `latency_percentiles_usec_${name}`,
        percentiles.map((percentile) =>
          `p${formatPercentile(percentile)}=${(histogram.valueAt(percentile) / 1000).toFixed(3)}`
        ).join(","),
      ]);
    }
    return rows;
  },
  keyspace(server) {
    // One line per database holding keys, as Redis; avg_ttl in ms (0 when no key has a TTL).
    const rows: [string, string][] = [];
    for (const keyspace of server.databases.created()) {
      if (keyspace.size === 0) continue;
      rows.push([
        `db${keyspace.index}`,
        `keys=${keyspace.size},expires=${keyspace.expiresCount},` +
        `avg_ttl=${keyspace.averageTtl(Math.random)}`,
      ]);
    }
    return rows;
  },
};

/** Redis's `%ld.%06ld` seconds, from microseconds. */
function cpuSeconds(micros: number): string {
  return (micros / 1e6).toFixed(6);
}

const DEFAULT_SECTIONS = [
  "server",
  "clients",
  "memory",
  "persistence",
  "stats",
  "replication",
  "cpu",
  "keyspace",
];
const ALL_SECTIONS = [
  ...DEFAULT_SECTIONS.slice(0, 7),
  "commandstats",
  "latencystats",
  "keyspace",
];

/** Section headers that are not the name capitalized, as Redis writes them. */
const SECTION_TITLES: Readonly<Record<string, string>> = {
  commandstats: "Commandstats",
  latencystats: "Latencystats",
  cpu: "CPU",
};

/** INFO [section ...]: `default`, `all` and `everything` as Redis reads them. */
export function buildInfo(server: KacheServer, requested: readonly string[]): string {
  const wanted = new Set<string>();
  const names = requested.length === 0 ? ["default"] : requested.map((name) => name.toLowerCase());
  for (const name of names) {
    if (name === "default") DEFAULT_SECTIONS.forEach((section) => wanted.add(section));
    else if (name === "all" || name === "everything") ALL_SECTIONS.forEach((s) => wanted.add(s));
    else if (name in SECTIONS) wanted.add(name);
  }
  const parts: string[] = [];
  for (const name of ALL_SECTIONS) {
    if (!wanted.has(name)) continue;
    const title = SECTION_TITLES[name] ?? name[0]!.toUpperCase() + name.slice(1);
    const lines = SECTIONS[name]!(server).map(([field, value]) => `${field}:${value}`);
    parts.push([`# ${title}`, ...lines].join("\r\n"));
  }
  return parts.join("\r\n\r\n") + (parts.length > 0 ? "\r\n" : "");
}

function human(bytes: number): string {
  const units = ["B", "K", "M", "G", "T"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes}B` : `${value.toFixed(2)}${units[unit]}`;
}
