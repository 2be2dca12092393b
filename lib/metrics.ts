/**
 * INFO's text as Prometheus metrics (the HTTP view's `/metrics`): the same
 * numbers INFO shows, one family per numeric field (`kache_<field>`), and
 * labelled families for the per-command, per-error and per-database lines.
 * Text fields (versions, role, policy) become labels of one
 * `kache_instance_info` sample. Pure: INFO text in, exposition text out.
 *
 * @module
 */

/** INFO parsed into sections of field → value, in order. */
export type InfoSections = Map<string, Map<string, string>>;

/** Splits INFO text into its sections (names lower-cased, as INFO's arguments). */
export function parseInfo(text: string): InfoSections {
  const sections: InfoSections = new Map();
  let current = new Map<string, string>();
  for (const line of text.split("\r\n")) {
    if (line.startsWith("# ")) {
      current = new Map();
      sections.set(line.slice(2).toLowerCase(), current);
      continue;
    }
    const colon = line.indexOf(":");
    if (colon > 0) current.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return sections;
}

/** Text fields worth a label on `kache_instance_info`. */
const INFO_LABELS = [
  "redis_version",
  "kache_version",
  "deno_version",
  "os",
  "run_id",
  "role",
  "maxmemory_policy",
  "mem_allocator",
];

/** Sections whose lines are `key=value,…` lists, turned into labelled families below. */
const LISTED_SECTIONS = new Set(["commandstats", "latencystats", "errorstats", "keyspace"]);

/** Names that only ever grow (Prometheus counters), besides `total_*`. */
const COUNTERS = new Set([
  "expired_keys",
  "evicted_keys",
  "keyspace_hits",
  "keyspace_misses",
  "rejected_connections",
  "expired_time_cap_reached_count",
  "unexpected_error_replies",
  "used_cpu_sys",
  "used_cpu_user",
  "used_cpu_sys_main_thread",
  "used_cpu_user_main_thread",
]);

/**
 * The exposition text for INFO `everything`.
 *
 * @example A numeric field becomes a family, a command's stats labelled ones
 * ```ts
 * import { infoToPrometheus } from "./metrics.ts";
 * const text = infoToPrometheus(
 *   "# Stats\r\nkeyspace_hits:3\r\n\r\n# Commandstats\r\ncmdstat_get:calls=5,usec=10,usec_per_call=2.00,rejected_calls=0,failed_calls=0\r\n",
 * );
 * if (!text.includes("kache_keyspace_hits 3\n")) throw new Error(text);
 * if (!text.includes('kache_commands_total{cmd="get"} 5\n')) throw new Error(text);
 * ```
 */
export function infoToPrometheus(infoText: string): string {
  const out = new Exposition();
  const sections = parseInfo(infoText);
  const labels: [string, string][] = [];
  for (const [section, fields] of sections) {
    if (LISTED_SECTIONS.has(section)) continue;
    for (const [field, raw] of fields) {
      if (INFO_LABELS.includes(field)) labels.push([field, raw]);
      const value = numeric(raw);
      if (value === undefined || field.endsWith("_human")) continue;
      const type = field.startsWith("total_") || COUNTERS.has(field) ? "counter" : "gauge";
      out.sample(`kache_${field}`, type, `INFO ${section} ${field}`, [], value);
    }
  }
  out.sample("kache_instance_info", "gauge", "Kache's versions and modes", labels, 1);
  for (const [field, raw] of sections.get("commandstats") ?? []) {
    const cmd = field.replace(/^cmdstat_/, "");
    const stats = keyValues(raw);
    const labelled: [string, string][] = [["cmd", cmd]];
    out.sample("kache_commands_total", "counter", "Calls per command", labelled, stats.calls);
    out.sample(
      "kache_commands_duration_seconds_total",
      "counter",
      "Time spent per command",
      labelled,
      stats.usec === undefined ? undefined : stats.usec / 1e6,
    );
    out.sample(
      "kache_commands_rejected_calls_total",
      "counter",
      "Calls refused before running",
      labelled,
      stats.rejected_calls,
    );
    out.sample(
      "kache_commands_failed_calls_total",
      "counter",
      "Calls that returned an error",
      labelled,
      stats.failed_calls,
    );
  }
  for (const [field, raw] of sections.get("latencystats") ?? []) {
    const cmd = field.replace(/^latency_percentiles_usec_/, "");
    for (const [name, value] of Object.entries(keyValues(raw))) {
      out.sample(
        "kache_latency_percentiles_usec",
        "gauge",
        "Latency percentiles per command, in microseconds",
        [["cmd", cmd], ["quantile", name.replace(/^p/, "")]],
        value,
      );
    }
  }
  for (const [field, raw] of sections.get("errorstats") ?? []) {
    out.sample(
      "kache_errors_total",
      "counter",
      "Error replies per error code",
      [["err", field.replace(/^errorstat_/, "")]],
      keyValues(raw).count,
    );
  }
  for (const [db, raw] of sections.get("keyspace") ?? []) {
    const stats = keyValues(raw);
    out.sample("kache_db_keys", "gauge", "Keys per database", [["db", db]], stats.keys);
    out.sample(
      "kache_db_keys_expiring",
      "gauge",
      "Keys with a TTL per database",
      [["db", db]],
      stats.expires,
    );
    out.sample(
      "kache_db_avg_ttl_seconds",
      "gauge",
      "Average TTL per database",
      [["db", db]],
      stats.avg_ttl === undefined ? undefined : stats.avg_ttl / 1000,
    );
  }
  return out.text();
}

/** A number INFO prints (`12`, `1.46`, `75.00%`); undefined for text. */
function numeric(raw: string): number | undefined {
  const text = raw.endsWith("%") ? raw.slice(0, -1) : raw;
  if (!/^-?(\d+(\.\d*)?|\.\d+)(e[-+]?\d+)?$/i.test(text) && text !== "inf") return undefined;
  return text === "inf" ? Infinity : Number(text);
}

/** `calls=5,usec=10` as numbers. */
function keyValues(raw: string): Record<string, number> {
  const values: Record<string, number> = {};
  for (const pair of raw.split(",")) {
    const equals = pair.indexOf("=");
    if (equals > 0) values[pair.slice(0, equals)] = Number(pair.slice(equals + 1));
  }
  return values;
}

/** Collects samples by family so each family's HELP and TYPE come once, before its samples. */
class Exposition {
  readonly #families = new Map<string, { help: string; type: string; lines: string[] }>();

  sample(
    name: string,
    type: "counter" | "gauge",
    help: string,
    labels: readonly (readonly [string, string])[],
    value: number | undefined,
  ): void {
    if (value === undefined || Number.isNaN(value)) return;
    let family = this.#families.get(name);
    if (family === undefined) this.#families.set(name, family = { help, type, lines: [] });
    const labelText = labels.length === 0
      ? ""
      : `{${labels.map(([key, text]) => `${key}="${escapeLabel(text)}"`).join(",")}}`;
    family.lines.push(`${name}${labelText} ${formatValue(value)}`);
  }

  text(): string {
    let text = "";
    for (const [name, family] of this.#families) {
      text += `# HELP ${name} ${family.help}\n# TYPE ${name} ${family.type}\n`;
      text += family.lines.join("\n") + "\n";
    }
    return text;
  }
}

function escapeLabel(text: string): string {
  return text.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n");
}

function formatValue(value: number): string {
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}
