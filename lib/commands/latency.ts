/**
 * LATENCY DOCTOR/GRAPH/HISTOGRAM/HISTORY/LATEST/RESET/HELP over the table's
 * {@link LatencyMonitor} (lib/latency.ts) and per-command histograms
 * (lib/latency_histogram.ts), with Redis 7.0's replies and texts.
 *
 * @module
 */
import { CommandError } from "../errors.ts";
import type { LatencyHistogram } from "../latency_histogram.ts";
import { array, bulk, integer, map, type Reply, verbatim } from "../reply.ts";
import { renderSparkline, type SparklineSample } from "../sparkline.ts";
import type { CommandTable } from "./table.ts";
import { helpReply } from "./help.ts";
import type { CommandContext, CommandSpec } from "./types.ts";

const LATENCY_HELP = [
  "DOCTOR",
  "    Return a human readable latency analysis report.",
  "GRAPH <event>",
  "    Return an ASCII latency graph for the <event> class.",
  "HISTORY <event>",
  "    Return time-latency samples for the <event> class.",
  "LATEST",
  "    Return the latest latency samples for all events.",
  "RESET [<event> ...]",
  "    Reset latency data of one or more <event> classes.",
  "    (default: reset all data for all event classes)",
  "HISTOGRAM [COMMAND ...]",
  "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
  "    If no commands are specified then all histograms are replied.",
];

/** Redis's LATENCY_GRAPH_COLS. */
const GRAPH_COLUMNS = 80;

function nowSeconds(context: CommandContext): number {
  return Math.floor(context.keyspace.now / 1000);
}

/** How long ago, as LATENCY GRAPH labels its columns: 5s, 3m, 2h, 1d. */
function elapsedLabel(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86400)}d`;
}

function histogramReply(histogram: LatencyHistogram): Reply {
  return map([
    [bulk("calls"), integer(histogram.total)],
    [
      bulk("histogram_usec"),
      map(histogram.cumulative().map(([micros, count]) => [integer(micros), integer(count)])),
    ],
  ]);
}

/** [name, histogram] for `name` (any case) and its subcommands that have one. */
function histogramsOf(commands: CommandTable, name: string): [string, LatencyHistogram][] {
  const spec = commands.lookup(name);
  if (spec === undefined) return [];
  const found: [string, LatencyHistogram][] = [];
  for (const runnable of [spec, ...(spec.subcommands ?? [])]) {
    const histogram = commands.stats.get(runnable.name)?.histogram;
    if (histogram !== undefined) found.push([runnable.name, histogram]);
  }
  return found;
}

const LATENCY_SUBCOMMANDS: readonly CommandSpec[] = [
  {
    name: "latency|doctor",
    arity: 2,
    flags: ["admin", "noscript", "loading", "stale"],
    group: "server",
    summary: "Return a human readable latency analysis report.",
    since: "2.8.13",
    complexity: "O(1)",
    handler(context) {
      const commands = context.commands;
      const [, appendfsync = "everysec"] = context.server.configGet(["appendfsync"])[0] ?? [];
      const [, hz = "10"] = context.server.configGet(["hz"])[0] ?? [];
      return verbatim(
        commands.latency.doctor({
          slowlogSlowerThanMicros: commands.slowLog.slowerThanMicros,
          appendfsync,
          hz: Number(hz),
        }, nowSeconds(context)),
      );
    },
  },
  {
    name: "latency|graph",
    arity: 3,
    flags: ["admin", "noscript", "loading", "stale"],
    group: "server",
    summary: "Return a latency graph for the event.",
    since: "2.8.13",
    complexity: "O(1)",
    arguments: [{ name: "event", type: "string" }],
    handler(context, argv) {
      const series = context.commands.latency.events.get(argv[2]!);
      if (series === undefined) {
        throw new CommandError(`ERR No samples available for event '${argv[2]}'`);
      }
      const now = nowSeconds(context);
      let min = 0;
      let max = 0;
      const samples: SparklineSample[] = series.samples.map((sample, index) => {
        if (index === 0) min = max = sample.latency;
        else {
          max = Math.max(max, sample.latency);
          min = Math.min(min, sample.latency);
        }
        return { value: sample.latency, label: elapsedLabel(now - sample.time) };
      });
      const graph =
        `${argv[2]} - high ${max} ms, low ${min} ms (all time high ${series.max} ms)\n` +
        "-".repeat(GRAPH_COLUMNS) + "\n" +
        renderSparkline(samples, { columns: GRAPH_COLUMNS, rows: 4, fill: true });
      return verbatim(graph);
    },
  },
  {
    name: "latency|histogram",
    arity: -2,
    flags: ["admin", "noscript", "loading", "stale"],
    group: "server",
    summary: "Return the latency histogram of some commands, or of all of them",
    since: "7.0.0",
    complexity: "O(N) where N is the number of commands with latency information being retrieved.",
    arguments: [{ name: "command", type: "string", optional: true, multiple: true }],
    handler(context, argv) {
      const commands = context.commands;
      const entries: [Reply, Reply][] = [];
      if (argv.length === 2) {
        for (const [name, stats] of commands.stats) {
          if (stats.histogram !== undefined) {
            entries.push([bulk(name), histogramReply(stats.histogram)]);
          }
        }
      } else {
        for (const name of argv.slice(2)) {
          for (const [fullName, histogram] of histogramsOf(commands, name)) {
            entries.push([bulk(fullName), histogramReply(histogram)]);
          }
        }
      }
      return map(entries);
    },
  },
  {
    name: "latency|history",
    arity: 3,
    flags: ["admin", "noscript", "loading", "stale"],
    group: "server",
    summary: "Return timestamp-latency samples for the event.",
    since: "2.8.13",
    complexity: "O(1)",
    arguments: [{ name: "event", type: "string" }],
    handler(context, argv) {
      const series = context.commands.latency.events.get(argv[2]!);
      return array(
        (series?.samples ?? []).map((sample) =>
          array([integer(sample.time), integer(sample.latency)])
        ),
      );
    },
  },
  {
    name: "latency|latest",
    arity: 2,
    flags: ["admin", "noscript", "loading", "stale"],
    group: "server",
    summary: "Return the latest latency samples for all events.",
    since: "2.8.13",
    complexity: "O(1)",
    handler(context) {
      const rows: Reply[] = [];
      for (const [event, series] of context.commands.latency.events) {
        const last = series.samples[series.samples.length - 1];
        rows.push(array([
          bulk(event),
          integer(last?.time ?? 0),
          integer(last?.latency ?? 0),
          integer(series.max),
        ]));
      }
      return array(rows);
    },
  },
  {
    name: "latency|reset",
    arity: -2,
    flags: ["admin", "noscript", "loading", "stale"],
    group: "server",
    summary: "Reset latency data for one or more events.",
    since: "2.8.13",
    complexity: "O(1)",
    arguments: [{ name: "event", type: "string", optional: true, multiple: true }],
    handler(context, argv) {
      const latency = context.commands.latency;
      if (argv.length === 2) return integer(latency.reset());
      let resets = 0;
      for (const event of argv.slice(2)) resets += latency.reset(event);
      return integer(resets);
    },
  },
  {
    name: "latency|help",
    arity: 2,
    flags: ["loading", "stale"],
    group: "server",
    summary: "Show helpful text about the different subcommands.",
    since: "2.8.13",
    complexity: "O(1)",
    handler() {
      return helpReply("latency", LATENCY_HELP);
    },
  },
];

export const LATENCY_COMMANDS: readonly CommandSpec[] = [
  {
    name: "latency",
    arity: -2,
    flags: [],
    group: "server",
    summary: "A container for latency diagnostics commands",
    since: "2.8.13",
    complexity: "Depends on subcommand.",
    subcommands: LATENCY_SUBCOMMANDS,
  },
];
