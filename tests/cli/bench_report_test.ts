import assert from "node:assert/strict";
import {
  type BenchResult,
  formatCsv,
  formatJson,
  formatText,
  LatencyRecorder,
} from "../../cli/bench_report.ts";

const RESULT: BenchResult = {
  test: "original",
  title: "original",
  protocol: "kache",
  host: "127.0.0.1",
  port: 1234,
  connections: 4,
  pipeline: 1,
  seed: 1,
  valueSize: 3,
  keyspace: null,
  requests: 1_220_000,
  errorReplies: 0,
  errorTexts: {},
  connectionErrors: 0,
  errors: 0,
  durationSeconds: 10.46823,
  throughput: 116_541.4,
  latencyMs: {
    min: 0.0146,
    avg: 0.02963,
    p50: 0.029,
    p95: 0.0496,
    p99: 0.0546,
    p999: 0.12,
    max: 0.5257,
  },
};

Deno.test("LatencyRecorder summarises in milliseconds with exact min, avg and max", () => {
  const recorder = new LatencyRecorder();
  for (let micros = 1; micros <= 1000; micros++) recorder.record(micros + 0.25);
  const summary = recorder.summary();
  assert.equal(recorder.count, 1000);
  assert.equal(summary.min, 0.00125);
  assert.equal(summary.max, 1.00025);
  assert.ok(Math.abs(summary.avg - 0.50075) < 1e-12);
  assert.equal(summary.p50, 0.5);
  assert.equal(summary.p95, 0.95);
  assert.equal(summary.p99, 0.99);
  assert.equal(summary.p999, 0.999);
});

Deno.test("LatencyRecorder counts a pipelined batch once per request", () => {
  const recorder = new LatencyRecorder();
  recorder.record(10, 99);
  recorder.record(2000, 1);
  const summary = recorder.summary();
  assert.equal(recorder.count, 100);
  assert.equal(summary.p50, 0.01);
  assert.equal(summary.p99, 0.01);
  assert.ok(Math.abs(summary.avg - (10 * 99 + 2000) / 100 / 1000) < 1e-12);
});

Deno.test("LatencyRecorder summary is all zeros when nothing was recorded", () => {
  assert.deepEqual(new LatencyRecorder().summary(), {
    min: 0,
    avg: 0,
    p50: 0,
    p95: 0,
    p99: 0,
    p999: 0,
    max: 0,
  });
});

Deno.test("formatText shows counts, throughput and every percentile", () => {
  assert.equal(
    formatText(RESULT),
    [
      "Kache benchmark: original workload, kache protocol, 127.0.0.1:1234",
      "  4 connections, pipeline 1, seed 1",
      "",
      "Total requests:  1,220,000",
      "Errors:          0",
      "Duration:        10.468 s",
      "Throughput:      116,541 req/s",
      "Latency (ms):",
      "  min        0.0146",
      "  avg        0.0296",
      "  p50        0.0290",
      "  p95        0.0496",
      "  p99        0.0546",
      "  p99.9      0.1200",
      "  max        0.5257",
      "",
    ].join("\n"),
  );
});

Deno.test("formatText breaks errors down when connections were lost", () => {
  const text = formatText({ ...RESULT, errorReplies: 1200, connectionErrors: 1, errors: 1201 });
  assert.match(text, /^Errors: {10}1,201 \(1,200 error replies, 1 connections lost\)$/m);
});

Deno.test("formatText lists the error texts with their counts", () => {
  const text = formatText({
    ...RESULT,
    errorReplies: 1250,
    errors: 1250,
    errorTexts: { "ERR unknown command 'x'": 1200, "WRONGTYPE Operation": 50 },
  });
  assert.match(
    text,
    /^Errors: {10}1,250\n {9}1,200 × ERR unknown command 'x'\n {12}50 × WRONGTYPE/m,
  );
});

Deno.test("formatJson round-trips the whole result", () => {
  const json = formatJson(RESULT);
  assert.ok(json.endsWith("}\n"));
  assert.deepEqual(JSON.parse(json), RESULT);
});

Deno.test("formatCsv writes redis-benchmark's columns, one row per run", () => {
  assert.equal(
    formatCsv([RESULT, { ...RESULT, title: 'say "hi"', throughput: 5 }]),
    [
      '"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms",' +
      '"p99_latency_ms","max_latency_ms"',
      '"original","116541.40","0.030","0.015","0.029","0.050","0.055","0.526"',
      '"say ""hi""","5.00","0.030","0.015","0.029","0.050","0.055","0.526"',
      "",
    ].join("\n"),
  );
});
