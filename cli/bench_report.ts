/**
 * Latency recording and the three ways `kache bench` reports a run: text for
 * people, JSON for scripts, CSV in `redis-benchmark --csv`'s columns so the
 * same spreadsheets and plots read both.
 *
 * Latencies go into an HDR histogram in whole microseconds (3 significant
 * digits: exact below 1 ms, within 0.1% above), which gives percentiles in
 * constant memory however long the run. Min, max and the mean are also kept
 * exactly, in fractional microseconds, because they cost nothing.
 *
 * @module
 */
import * as hdr from "hdr-histogram-js";

/** A latency distribution in milliseconds. */
export interface LatencySummary {
  readonly min: number;
  readonly avg: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
}

/** Records request latencies and summarises them. */
export class LatencyRecorder {
  // Pure JS, not WASM: no async initialisation, and recording a value costs ~40 ns.
  #histogram = hdr.build({ useWebAssembly: false, numberOfSignificantValueDigits: 3 });
  #count = 0;
  #sumMicros = 0;
  #minMicros = Infinity;
  #maxMicros = 0;

  /** How many latencies were recorded. */
  get count(): number {
    return this.#count;
  }

  /** Records `count` requests that each took `micros` microseconds (a pipelined batch). */
  record(micros: number, count = 1): void {
    this.#count += count;
    this.#sumMicros += micros * count;
    if (micros < this.#minMicros) this.#minMicros = micros;
    if (micros > this.#maxMicros) this.#maxMicros = micros;
    // The histogram's resolution is 1 µs; anything faster lands in the first bucket.
    this.#histogram.recordValueWithCount(Math.max(1, Math.round(micros)), count);
  }

  /** The distribution in milliseconds; all zeros when nothing was recorded. */
  summary(): LatencySummary {
    if (this.#count === 0) return { min: 0, avg: 0, p50: 0, p95: 0, p99: 0, p999: 0, max: 0 };
    const percentile = (p: number) => this.#histogram.getValueAtPercentile(p) / 1000;
    return {
      min: this.#minMicros / 1000,
      avg: this.#sumMicros / this.#count / 1000,
      p50: percentile(50),
      p95: percentile(95),
      p99: percentile(99),
      p999: percentile(99.9),
      max: this.#maxMicros / 1000,
    };
  }
}

/** Everything one benchmark run measured, and the settings that shaped it. */
export interface BenchResult {
  /** Workload name, as `-t` takes it ("original", "set"). */
  readonly test: string;
  /** redis-benchmark's name for the test ("SET", "ZRANGE myzset 0 9"); the CSV's test column. */
  readonly title: string;
  /** Wire protocol name ("kache"). */
  readonly protocol: string;
  readonly host: string;
  readonly port: number;
  readonly connections: number;
  readonly pipeline: number;
  readonly seed: number;
  /** Bytes in each SET value (`-d`). */
  readonly valueSize: number;
  /** Random keys are drawn from [0, keyspace) (`-r`); null when keys are fixed. */
  readonly keyspace: number | null;
  /** Requests answered. */
  readonly requests: number;
  /** Replies that reported an error (binary protocol: status 3). */
  readonly errorReplies: number;
  /** How many error replies had each text, most frequent first (the first 10 texts seen). */
  readonly errorTexts: Readonly<Record<string, number>>;
  /** Connections lost to a network error, a close or broken framing. */
  readonly connectionErrors: number;
  /** `errorReplies + connectionErrors`. */
  readonly errors: number;
  readonly durationSeconds: number;
  /** Requests answered per second. */
  readonly throughput: number;
  readonly latencyMs: LatencySummary;
}

const integerFormat = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

/** Formats a latency in ms with 4 decimals: 0.1 µs, finer than the histogram resolves. */
function formatMs(ms: number): string {
  return ms.toFixed(4);
}

/** The human-readable report. */
export function formatText(result: BenchResult): string {
  const latency = result.latencyMs;
  const rows: [string, number][] = [
    ["min", latency.min],
    ["avg", latency.avg],
    ["p50", latency.p50],
    ["p95", latency.p95],
    ["p99", latency.p99],
    ["p99.9", latency.p999],
    ["max", latency.max],
  ];
  const errors = result.connectionErrors > 0
    ? `${integerFormat.format(result.errors)} (${
      integerFormat.format(result.errorReplies)
    } error replies, ${integerFormat.format(result.connectionErrors)} connections lost)`
    : integerFormat.format(result.errors);
  return [
    `Kache benchmark: ${result.test} workload, ${result.protocol} protocol, ` +
    `${result.host}:${result.port}`,
    `  ${result.connections} connections, pipeline ${result.pipeline}, seed ${result.seed}` +
    (result.keyspace === null ? "" : `, random keys in [0, ${result.keyspace})`),
    "",
    `Total requests:  ${integerFormat.format(result.requests)}`,
    `Errors:          ${errors}`,
    ...Object.entries(result.errorTexts ?? {}).map(([text, count]) =>
      `  ${integerFormat.format(count).padStart(12)} × ${text}`
    ),
    `Duration:        ${result.durationSeconds.toFixed(3)} s`,
    `Throughput:      ${integerFormat.format(result.throughput)} req/s`,
    "Latency (ms):",
    ...rows.map(([name, value]) => `  ${name.padEnd(6)} ${formatMs(value).padStart(10)}`),
    "",
  ].join("\n");
}

/**
 * The machine-readable report, newline-terminated: one JSON object for one
 * result, an array of them for several tests.
 */
export function formatJson(result: BenchResult | readonly BenchResult[]): string {
  return JSON.stringify(result, null, 2) + "\n";
}

/** `redis-benchmark --csv`'s header, so existing tooling reads our output. */
const CSV_HEADER = [
  "test",
  "rps",
  "avg_latency_ms",
  "min_latency_ms",
  "p50_latency_ms",
  "p95_latency_ms",
  "p99_latency_ms",
  "max_latency_ms",
];

/**
 * One header line and one row per run, every field quoted as `redis-benchmark --csv` does;
 * the test column holds redis-benchmark's name for the test.
 */
export function formatCsv(results: readonly BenchResult[]): string {
  const quote = (field: string) => `"${field.replaceAll('"', '""')}"`;
  const lines = [CSV_HEADER.map(quote).join(",")];
  for (const result of results) {
    const latency = result.latencyMs;
    const fields = [
      result.title,
      result.throughput.toFixed(2),
      ...[latency.avg, latency.min, latency.p50, latency.p95, latency.p99, latency.max]
        .map((ms) => ms.toFixed(3)),
    ];
    lines.push(fields.map(quote).join(","));
  }
  return lines.join("\n") + "\n";
}

/** Column widths of {@link formatTableRow}, shared with the header. */
const TABLE_COLUMNS = [
  ["test", 8, "left"],
  ["requests", 12, "right"],
  ["errors", 8, "right"],
  ["req/s", 11, "right"],
  ["avg ms", 9, "right"],
  ["p50 ms", 9, "right"],
  ["p99 ms", 9, "right"],
  ["max ms", 9, "right"],
] as const;

function tableLine(fields: readonly string[]): string {
  return fields.map((field, i) => {
    const [, width, align] = TABLE_COLUMNS[i]!;
    return align === "left" ? field.padEnd(width) : field.padStart(width);
  }).join(" ").trimEnd() + "\n";
}

/**
 * The settings and column headings of the combined table printed when
 * several tests run (`-t set,get`); rows follow as each test ends.
 */
export function formatTableHeader(first: BenchResult): string {
  return `Kache benchmark: ${first.protocol} protocol, ${first.host}:${first.port}\n` +
    `  ${first.connections} connections, pipeline ${first.pipeline}, seed ${first.seed}` +
    (first.keyspace === null ? "" : `, random keys in [0, ${first.keyspace})`) + "\n\n" +
    tableLine(TABLE_COLUMNS.map(([name]) => name));
}

/** One test's row of the combined table. */
export function formatTableRow(result: BenchResult): string {
  const latency = result.latencyMs;
  return tableLine([
    result.test,
    integerFormat.format(result.requests),
    integerFormat.format(result.errors),
    integerFormat.format(result.throughput),
    ...[latency.avg, latency.p50, latency.p99, latency.max].map((ms) => ms.toFixed(3)),
  ]);
}

/**
 * The table's last lines: the total over all tests (requests over the summed
 * durations), then each test's error replies by text with their counts.
 */
export function formatTableFooter(results: readonly BenchResult[]): string {
  let requests = 0;
  let errors = 0;
  let seconds = 0;
  for (const result of results) {
    requests += result.requests;
    errors += result.errors;
    seconds += result.durationSeconds;
  }
  let out = tableLine([
    "total",
    integerFormat.format(requests),
    integerFormat.format(errors),
    integerFormat.format(seconds > 0 ? requests / seconds : 0),
  ]);
  out += `\n${results.length} tests in ${seconds.toFixed(3)} s\n`;
  for (const result of results) {
    for (const [text, count] of Object.entries(result.errorTexts ?? {})) {
      out += `${result.test}: ${integerFormat.format(count)} × ${text}\n`;
    }
  }
  return out;
}

/** What the live progress line shows. */
export interface ProgressState {
  readonly title: string;
  readonly completed: number;
  /** Requests the test will send; Infinity when it runs for a duration. */
  readonly total: number;
  /** Requests per second over the last interval. */
  readonly rate: number;
  /** Seconds since the test started. */
  readonly elapsedSeconds: number;
  /** Seconds the test runs for with `--duration`; undefined otherwise. */
  readonly durationSeconds: number | undefined;
}

/**
 * The progress line: done out of the total with the percentage and an ETA
 * (from the average rate so far), or the time left of a `--duration` run.
 */
export function formatProgress(state: ProgressState): string {
  const done = integerFormat.format(state.completed);
  const rate = `${integerFormat.format(state.rate)} req/s`;
  if (state.durationSeconds !== undefined) {
    const left = Math.max(0, state.durationSeconds - state.elapsedSeconds);
    return `${state.title}: ${done} requests, ${rate}, ${formatSeconds(left)} left`;
  }
  const percent = state.total > 0 ? Math.floor((state.completed / state.total) * 100) : 100;
  const average = state.elapsedSeconds > 0 ? state.completed / state.elapsedSeconds : 0;
  const eta = average > 0
    ? `ETA ${formatSeconds((state.total - state.completed) / average)}`
    : "ETA unknown";
  return `${state.title}: ${done} of ${integerFormat.format(state.total)} requests ` +
    `(${percent}%), ${rate}, ${eta}`;
}

/** `42 s`, `3 min 05 s`, `2 h 01 min`. */
function formatSeconds(seconds: number): string {
  const whole = Math.ceil(seconds);
  if (whole < 60) return `${whole} s`;
  if (whole < 3600) return `${Math.floor(whole / 60)} min ${String(whole % 60).padStart(2, "0")} s`;
  return `${Math.floor(whole / 3600)} h ${
    String(Math.floor((whole % 3600) / 60)).padStart(2, "0")
  } min`;
}
