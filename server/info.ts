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
import { HASH_ENTRY_BYTES, stringBytes } from "../lib/memory.ts";
import { mainThreadCpu } from "./cpu.ts";

type Section = (server: KacheServer) => [string, string | number][];

const SECTIONS: Record<string, Section> = {
  server(server) {
    const uptime = Math.floor((Date.now() - server.state.startedAt) / 1000);
    return [
      ["redis_version", REDIS_COMPATIBLE_VERSION],
      ["kache_version", KACHE_VERSION],
      ["redis_mode", "standalone"],
      ["os", `${Deno.build.os} ${Deno.build.arch}`],
      ["arch_bits", 64],
      // The transport serving TCP (tcp-backend: epoll refuses to start where it cannot run).
      ["multiplexing_api", server.config.string("tcp-backend")],
      ["deno_version", Deno.version.deno],
      ["process_id", Deno.pid],
      ["run_id", server.state.runId],
      ["tcp_port", server.config.number("port")],
      ["kache_port", server.config.number("kache-port")],
      ["server_time_usec", server.state.clockMicros()],
      ["uptime_in_seconds", uptime],
      ["uptime_in_days", Math.floor(uptime / 86400)],
      ["hz", server.config.number("hz")],
      ["configured_hz", server.config.number("hz")],
      ["executable", Deno.execPath()],
      ["config_file", server.configFile ?? ""],
      // One thread reads, runs and writes (io-threads is 1 and immutable): a fact, not a counter.
      ["io_threads_active", 0],
    ];
  },
  clients(server) {
    return [
      // Replicas are counted under connected_slaves, not here, as Redis counts them.
      ["connected_clients", server.connections.size - server.replication.replicas.length],
      ["maxclients", server.config.number("maxclients")],
      // The largest input buffer (its capacity) and unsent output of any client, last 8 seconds.
      ["client_recent_max_input_buffer", server.recentClientPeaks.input.value],
      ["client_recent_max_output_buffer", server.recentClientPeaks.output.value],
      ["blocked_clients", server.commands.blocking.blockedCount],
      ["tracking_clients", server.tracking.clientCount],
      ["clients_in_timeout_table", server.commands.blocking.timeoutCount],
    ];
  },
  memory(server) {
    // used_memory is the estimate maxmemory bounds: the data (used_memory_dataset), the
    // eviction policy's bookkeeping and the clients' buffers (mem_clients_normal, their bytes
    // beyond a connection's base, as Redis counts them); used_memory_overhead is all but the data.
    // V8 stands where Redis has its allocator: allocator_allocated is the heap in use (with
    // garbage not yet collected) plus memory outside the heap (ArrayBuffers), allocator_active
    // what V8 reserved for both, allocator_resident the process's RSS.
    const memory = Deno.memoryUsage();
    const heapLimit = getHeapStatistics().heap_size_limit;
    const used = server.eviction.usedMemory;
    const state = server.state;
    const peak = state.peakMemory = Math.max(used, state.peakMemory);
    const dataset = server.databases.usedMemory;
    const arenaReserved = server.databases.arenaBytes;
    const allocated = memory.heapUsed + memory.external;
    const active = memory.heapTotal + memory.external;
    const rss = memory.rss;
    const maxmemory = server.config.number("maxmemory");
    const scripting = scriptingFor(server.state);
    const scripts = scriptsMemory(server);
    const system = systemMemory();
    return [
      ["used_memory", used],
      ["used_memory_human", human(used)],
      ["used_memory_rss", rss],
      ["used_memory_rss_human", human(rss)],
      ["used_memory_peak", peak],
      ["used_memory_peak_human", human(peak)],
      ["used_memory_peak_perc", percent(used, peak)],
      ["used_memory_overhead", used - dataset],
      ["used_memory_startup", server.usedMemoryStartup],
      ["used_memory_dataset", dataset],
      ["used_memory_dataset_perc", percent(dataset, used)],
      ["allocator_allocated", allocated],
      ["allocator_active", active],
      ["allocator_resident", rss],
      ...(system === undefined ? [] : [
        ["total_system_memory", system] as [string, number],
        ["total_system_memory_human", human(system)] as [string, string],
      ]),
      ["v8_heap_used", memory.heapUsed + memory.external],
      ["v8_heap_used_human", human(memory.heapUsed + memory.external)],
      // V8's own ceiling (--max-old-space-size): past it the process dies, whatever maxmemory says.
      ["v8_heap_size_limit", heapLimit],
      ["v8_heap_size_limit_human", human(heapLimit)],
      // The byte arenas of keys and string values (outside V8's heap, inside allocator_allocated):
      // used_memory counts their live records, this their chunks, free slots included.
      ["arena_reserved", arenaReserved],
      ["arena_reserved_human", human(arenaReserved)],
      ["used_memory_scripts_eval", scripts.eval],
      ["number_of_cached_scripts", scripting.scripts.size],
      ["number_of_functions", scripting.functionCount],
      ["number_of_libraries", scripting.libraries.size],
      ["used_memory_functions", scripts.functions],
      ["used_memory_scripts", scripts.eval + scripts.functions],
      ["used_memory_scripts_human", human(scripts.eval + scripts.functions)],
      ["maxmemory", maxmemory],
      ["maxmemory_human", human(maxmemory)],
      ["maxmemory_policy", server.config.string("maxmemory-policy")],
      ["allocator_frag_ratio", ratio(active, allocated)],
      ["allocator_frag_bytes", active - allocated],
      ["allocator_rss_ratio", ratio(rss, active)],
      ["allocator_rss_bytes", rss - active],
      ["mem_fragmentation_ratio", ratio(rss, used)],
      ["mem_fragmentation_bytes", rss - used],
      // What maxmemory leaves out: the AOF bytes not yet on disk and replica links' unsent stream.
      [
        "mem_not_counted_for_evict",
        server.persistence.aofBufferBytes + server.replicaBufferBytes,
      ],
      ["mem_clients_slaves", server.replicaBufferBytes],
      ["mem_clients_normal", server.clientBufferBytes - server.replicaBufferBytes],
      ["mem_aof_buffer", server.persistence.aofBufferBytes],
      ["mem_allocator", "v8"],
    ];
  },
  persistence(server) {
    return server.persistence.info();
  },
  stats(server) {
    const state = server.state;
    const instantaneous = server.instantaneous;
    return [
      ["total_connections_received", state.connectionsReceived],
      ["total_commands_processed", server.commands.totalCalls],
      ["instantaneous_ops_per_sec", Math.round(instantaneous.ops.perSecond)],
      ["total_net_input_bytes", state.netInputBytes],
      ["total_net_output_bytes", state.netOutputBytes],
      ["instantaneous_input_kbps", (instantaneous.input.perSecond / 1024).toFixed(2)],
      ["instantaneous_output_kbps", (instantaneous.output.perSecond / 1024).toFixed(2)],
      ["rejected_connections", state.rejectedConnections],
      ["sync_full", server.replication.syncFull],
      ["sync_partial_ok", server.replication.syncPartialOk],
      ["sync_partial_err", server.replication.syncPartialErr],
      ["expired_keys", server.databases.shared.expiredCount],
      ["expired_stale_perc", stalePercent(server)],
      ["expired_time_cap_reached_count", server.expiryCapReached],
      ["pubsub_channels", server.pubsub.channelCount],
      ["pubsub_patterns", server.pubsub.patternCount],
      // No fork: the main thread's time starting the last background snapshot (server/snapshot.ts).
      ["latest_fork_usec", server.persistence.latestStartMicros],
      ["migrate_cached_sockets", server.migrations.cachedSockets],
      ["evicted_keys", server.databases.shared.evictedCount],
      ["keyspace_hits", server.commands.keyspaceHits],
      ["keyspace_misses", server.commands.keyspaceMisses],
      ["tracking_total_keys", server.tracking.keyCount],
      ["tracking_total_items", server.tracking.itemCount],
      ["tracking_total_prefixes", server.tracking.prefixCount],
      ["total_error_replies", server.commands.errorReplies],
      ["unexpected_error_replies", server.commands.unexpectedErrorReplies],
      ["dump_payload_sanitizations", server.commands.dumpPayloadSanitizations],
      ["total_reads_processed", state.readsProcessed],
      ["total_writes_processed", state.writesProcessed],
    ];
  },
  replication(server) {
    return replicationInfo(server.replication.view(), Date.now());
  },
  cpu() {
    // The whole process (workers included); no fork, so there are no children to report.
    const { system, user } = process.cpuUsage();
    const main = mainThreadCpu();
    return [
      ["used_cpu_sys", cpuSeconds(system)],
      ["used_cpu_user", cpuSeconds(user)],
      ["used_cpu_sys_children", cpuSeconds(0)],
      ["used_cpu_user_children", cpuSeconds(0)],
      ...(main === undefined ? [] : [
        ["used_cpu_sys_main_thread", cpuSeconds(main.system)] as [string, string],
        ["used_cpu_user_main_thread", cpuSeconds(main.user)] as [string, string],
      ]),
    ];
  },
  errorstats(server) {
    const rows: [string, string][] = [];
    for (const [code, count] of server.commands.errorCodes) {
      rows.push([`errorstat_${code}`, `count=${count}`]);
    }
    return rows;
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
  cluster() {
    // Kache has no cluster mode (cluster-enabled is not a setting): what Redis prints by default.
    return [["cluster_enabled", 0]];
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
  "cluster",
  "keyspace",
];
const ALL_SECTIONS = [
  ...DEFAULT_SECTIONS.slice(0, 7),
  "commandstats",
  "errorstats",
  "latencystats",
  "cluster",
  "keyspace",
];

/** Section headers that are not the name capitalized, as Redis writes them. */
const SECTION_TITLES: Readonly<Record<string, string>> = {
  commandstats: "Commandstats",
  errorstats: "Errorstats",
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

/**
 * expired_stale_perc: of the keys with a TTL, the share already past it and
 * not yet removed. Redis estimates it from its expiry cycle's samples; the
 * TTL heap gives the exact count, in time proportional to it.
 */
function stalePercent(server: KacheServer): string {
  const now = Date.now();
  let due = 0;
  let withTtl = 0;
  for (const keyspace of server.databases.created()) {
    withTtl += keyspace.expiresCount;
    due += keyspace.dueCount(now);
  }
  return (withTtl === 0 ? 0 : due * 100 / withTtl).toFixed(2);
}

/** Redis's `%.2f%%` share of `part` in `whole`. */
function percent(part: number, whole: number): string {
  return `${(whole === 0 ? 0 : part * 100 / whole).toFixed(2)}%`;
}

/** Redis's `%.2f` ratio; Redis divides by zero the same way, giving inf. */
function ratio(numerator: number, denominator: number): string {
  return denominator === 0 ? "inf" : (numerator / denominator).toFixed(2);
}

/** Physical memory of the machine, when the runtime may ask (--allow-sys). */
function systemMemory(): number | undefined {
  try {
    return Deno.systemMemoryInfo().total;
  } catch {
    return undefined;
  }
}

/**
 * What the cached EVAL scripts and the function libraries hold: their source
 * text and SHA1 names as strings, and one map entry each. The compiled Lua
 * lives in fengari's own objects, which it does not measure.
 */
function scriptsMemory(server: KacheServer): { eval: number; functions: number } {
  const scripting = scriptingFor(server.state);
  let evalBytes = 0;
  for (const [sha, script] of scripting.scripts) {
    evalBytes += HASH_ENTRY_BYTES + stringBytes(sha.length) + stringBytes(script.body.length);
  }
  let functions = 0;
  for (const [name, library] of scripting.libraries) {
    functions += HASH_ENTRY_BYTES + stringBytes(name.length) + stringBytes(library.code.length);
  }
  return { eval: evalBytes, functions };
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
