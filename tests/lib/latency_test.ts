import assert from "node:assert/strict";
import { HISTORY_LENGTH, LatencyMonitor } from "../../lib/latency.ts";
import { LatencyHistogram } from "../../lib/latency_histogram.ts";
import { renderSparkline } from "../../lib/sparkline.ts";

const DOCTOR_CONTEXT = { slowlogSlowerThanMicros: 10_000, appendfsync: "everysec", hz: 10 };

Deno.test("LatencyMonitor records nothing while the threshold is 0", () => {
  const monitor = new LatencyMonitor();
  monitor.addSampleIfNeeded("command", 500, 1000);
  assert.equal(monitor.events.size, 0);
});

Deno.test("LatencyMonitor keeps the worst sample per second and the all-time max", () => {
  const monitor = new LatencyMonitor();
  monitor.thresholdMillis = 5;
  monitor.addSampleIfNeeded("command", 4, 100);
  monitor.addSampleIfNeeded("command", 7, 100);
  monitor.addSampleIfNeeded("command", 12, 100);
  monitor.addSampleIfNeeded("command", 6, 100);
  monitor.addSampleIfNeeded("command", 9, 101);
  const series = monitor.events.get("command")!;
  assert.deepEqual(series.samples, [{ time: 100, latency: 12 }, { time: 101, latency: 9 }]);
  assert.equal(series.max, 12);
});

Deno.test("LatencyMonitor keeps the latest 160 seconds of samples", () => {
  const monitor = new LatencyMonitor();
  monitor.thresholdMillis = 1;
  for (let second = 0; second < HISTORY_LENGTH + 5; second++) {
    monitor.addSampleIfNeeded("expire-cycle", 2, second);
  }
  const samples = monitor.events.get("expire-cycle")!.samples;
  assert.equal(samples.length, HISTORY_LENGTH);
  assert.equal(samples[0]!.time, 5);
});

Deno.test("LatencyMonitor reset drops one event in any letter case, or all", () => {
  const monitor = new LatencyMonitor();
  monitor.thresholdMillis = 1;
  monitor.addSampleIfNeeded("command", 2, 1);
  monitor.addSampleIfNeeded("expire-cycle", 2, 1);
  assert.equal(monitor.reset("COMMAND"), 1);
  assert.equal(monitor.reset("nothing"), 0);
  assert.equal(monitor.reset(), 1);
  assert.equal(monitor.events.size, 0);
});

Deno.test("LatencyMonitor doctor says Redis's texts", () => {
  const monitor = new LatencyMonitor();
  assert.match(monitor.doctor(DOCTOR_CONTEXT, 0), /^I'm sorry, Dave, I can't do that\./);
  monitor.thresholdMillis = 1;
  assert.match(monitor.doctor(DOCTOR_CONTEXT, 0), /^Dave, no latency spike was observed/);
  monitor.addSampleIfNeeded("command", 10, 100);
  monitor.addSampleIfNeeded("command", 20, 102);
  const report = monitor.doctor(DOCTOR_CONTEXT, 104);
  assert.ok(
    report.startsWith(
      "Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n" +
        "1. command: 2 latency spikes (average 15ms, mean deviation 5ms, period 2.00 sec). Worst all time event 20ms.\n" +
        "\nI have a few advices for you:\n\n" +
        "- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than 1000'.\n",
    ),
    report,
  );
});

Deno.test("LatencyHistogram reports Redis's power-of-two levels, cumulatively", () => {
  const histogram = new LatencyHistogram();
  // What redis-server 7.0 answered for three SETs of 8, 9 and 20 µs: 8 → 1, 16 → 2, 33 → 3.
  for (const micros of [7, 9, 20]) histogram.record(micros * 1000);
  assert.equal(histogram.total, 3);
  assert.deepEqual(histogram.cumulative(), [[8, 1], [16, 2], [33, 3]]);
});

Deno.test("LatencyHistogram clamps to 1 ns … 1 s as Redis does", () => {
  const histogram = new LatencyHistogram();
  histogram.record(0);
  histogram.record(5e9);
  assert.deepEqual(histogram.cumulative(), [[1, 1], [reportedTop(), 2]]);
  assert.ok(histogram.valueAt(100) >= 1e9 && histogram.valueAt(100) <= 1e9 * (1 + 1 / 32));
});

/** Redis's label for the last level: 1024 × 2^20 ns plus its HDR range, in µs. */
function reportedTop(): number {
  const level = 1024 * 2 ** 20;
  return Math.floor((level + 2 ** (30 - 7) - 1) / 1000);
}

Deno.test("LatencyHistogram percentiles are within 1/32 above the true value", () => {
  const histogram = new LatencyHistogram();
  for (let micros = 1; micros <= 1000; micros++) histogram.record(micros * 1000);
  for (const [percentile, exact] of [[50, 500_000], [99, 990_000], [99.9, 999_000]]) {
    const value = histogram.valueAt(percentile!);
    assert.ok(value >= exact! && value <= exact! * (1 + 1 / 32), `${percentile}: ${value}`);
  }
  assert.equal(new LatencyHistogram().valueAt(50), 0);
});

Deno.test("renderSparkline draws one sample as redis-server's LATENCY GRAPH does", () => {
  // redis-server 7.0, one 10 ms "command" sample 0 s ago: four graph rows, a margin, the label.
  assert.equal(
    renderSparkline([{ value: 10, label: "0s" }], { columns: 80, rows: 4, fill: true }),
    " \n \n \n_\n \n0\ns\n",
  );
});

Deno.test("renderSparkline scales rising samples over its rows", () => {
  const graph = renderSparkline(
    [1, 2, 3, 4].map((value) => ({ value, label: "" })),
    { columns: 80, rows: 2, fill: true },
  );
  // Redis's sparkline.c: steps = 3 chars × 2 rows, each sample's step = (value - min) × 6 / 3.
  assert.equal(graph, "  o#\n_#||\n");
});
