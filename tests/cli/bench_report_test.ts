import assert from "node:assert/strict";
import {
  type BenchResult,
  formatCsv,
  formatJson,
  formatProgress,
  formatTableFooter,
  formatTableHeader,
  formatTableRow,
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

Deno.test("the combined table has one row per test, a total and the error texts", () => {
  const set = { ...RESULT, test: "set", requests: 1000, durationSeconds: 1, throughput: 1000 };
  const get = {
    ...RESULT,
    test: "get",
    requests: 3000,
    durationSeconds: 1,
    throughput: 3000,
    errorReplies: 2,
    errors: 2,
    errorTexts: { "WRONGTYPE Operation against a key holding the wrong kind of value": 2 },
  };
  const text = formatTableHeader(set) + formatTableRow(set) + formatTableRow(get) +
    formatTableFooter([set, get]);
  assert.equal(
    text,
    [
      "Kache benchmark: kache protocol, 127.0.0.1:1234",
      "  4 connections, pipeline 1, seed 1",
      "",
      "test         requests   errors       req/s    avg ms    p50 ms    p99 ms    max ms",
      "set             1,000        0       1,000     0.030     0.029     0.055     0.526",
      "get             3,000        2       3,000     0.030     0.029     0.055     0.526",
      "total           4,000        2       2,000",
      "",
      "2 tests in 2.000 s",
      "get: 2 × WRONGTYPE Operation against a key holding the wrong kind of value",
      "",
    ].join("\n"),
  );
});

Deno.test("formatProgress shows the total, percentage and ETA, or the time left", () => {
  const base = { title: "SET", rate: 50_000.4, durationSeconds: undefined };
  assert.equal(
    formatProgress({ ...base, completed: 25_000, total: 100_000, elapsedSeconds: 0.5 }),
    "SET: 25,000 of 100,000 requests (25%), 50,000 req/s, ETA 2 s",
  );
  assert.equal(
    formatProgress({ ...base, completed: 1_000, total: 1_000_000, elapsedSeconds: 1 }),
    "SET: 1,000 of 1,000,000 requests (0%), 50,000 req/s, ETA 16 min 39 s",
  );
  assert.equal(
    formatProgress({ ...base, completed: 0, total: 10, elapsedSeconds: 0 }),
    "SET: 0 of 10 requests (0%), 50,000 req/s, ETA unknown",
  );
  assert.equal(
    formatProgress({
      ...base,
      completed: 7,
      total: Infinity,
      elapsedSeconds: 2.5,
      durationSeconds: 10,
    }),
    "SET: 7 requests, 50,000 req/s, 8 s left",
  );
});
