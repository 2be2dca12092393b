/**
 * The Kache-vs-Redis harness (`bench/compare.ts`): its small parsers, and a
 * whole `--quick` run against real redis-server and kache serve processes,
 * writing into a temporary directory. Checks what the report contains, never
 * the numbers in it: benchmarks are not tests.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { median, parseCompareArgs, parseCsv, renderSvg } from "../../bench/compare.ts";

const COMPARE = fileURLToPath(new URL("../../bench/compare.ts", import.meta.url));

/** The whole quick run must finish well inside this, or it is stopped and the test fails. */
const RUN_LIMIT_MS = 85_000;

Deno.test("parseCsv reads redis-benchmark's quoted fields, doubled quotes and commas", () => {
  assert.deepEqual(
    parseCsv('"test","rps"\r\n"ZRANGE myzset 0 9","1.5"\n"a ""b"", c","2"\n\n'),
    [["test", "rps"], ["ZRANGE myzset 0 9", "1.5"], ['a "b", c', "2"]],
  );
});

Deno.test("median takes the middle value, or the mean of the middle two", () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
});

Deno.test("parseCompareArgs --quick shrinks every size and keeps explicit values", () => {
  const quick = parseCompareArgs(["--quick", "--out", "/tmp/x"]);
  assert.notEqual(quick, "help");
  if (quick === "help") return;
  assert.deepEqual(
    [quick.rounds, quick.requests, quick.keys, quick.members, quick.out],
    [1, 2000, 100_000, 100_000, "/tmp/x"],
  );
  const full = parseCompareArgs(["--rounds", "5"]);
  if (full === "help") throw new Error("unexpected help");
  assert.deepEqual([full.rounds, full.requests, full.keys, full.members], [
    5,
    400_000,
    1_000_000,
    1_000_000,
  ]);
  assert.match(full.out, /bench\/results$/);
  // Without --out, a quick run never writes over the tracked results.
  const scratch = parseCompareArgs(["--quick"]);
  if (scratch === "help") throw new Error("unexpected help");
  assert.doesNotMatch(scratch.out, /bench\/results/);
  assert.throws(() => parseCompareArgs(["--rounds", "0"]), /--rounds must be a positive integer/);
});

Deno.test("bench:compare --quick writes a Markdown report and an SVG chart", async () => {
  const out = await Deno.makeTempDir({ prefix: "kache-compare-" });
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", COMPARE, "--quick", "--out", out],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  // SIGTERM lets the harness stop its servers before exiting.
  const timer = setTimeout(() => child.kill("SIGTERM"), RUN_LIMIT_MS);
  try {
    const { code, stdout, stderr } = await child.output();
    const log = new TextDecoder().decode(stderr);
    assert.equal(code, 0, log);
    const markdown = await Deno.readTextFile(`${out}/latest.md`);
    assert.equal(new TextDecoder().decode(stdout).trim(), markdown.trim());

    assert.match(markdown, /^# Kache vs Redis$/m);
    assert.match(markdown, /^- Date: \d{4}-\d\d-\d\dT/m);
    assert.match(markdown, /^- Machine: \d+ CPUs \(nproc\), .+$/m);
    assert.match(markdown, /^- Deno \d+\.\d+\.\d+, Kache \S+, Redis \d+\.\d+\.\d+/m);
    assert.match(markdown, /^- Command: `deno task bench:compare --quick --out .+`$/m);
    const rows = markdown.split("\n").filter((line) => line.startsWith("| "));
    const row = (load: string, test: string) => {
      const found = rows.find((line) => line.startsWith(`| ${load} | ${test} `));
      assert.ok(found, `no row for ${load} ${test}:\n${markdown}`);
      return found.split(" | ");
    };
    for (const test of ["SET", "GET", "INCR", "ZADD", "ZRANGE myzset 0 9", "SET (-P 16)"]) {
      // Redis's throughput is a number in every redis-benchmark row.
      assert.match(row("redis-benchmark", test)[2]!, /^[\d,]+$/, test);
    }
    for (
      const test of ["SET", "GET", "INCR", "ZADD", "ZRANGE myzset 0 9", "MIXED", "GET (-P 16)"]
    ) {
      const cells = row("kache bench", test);
      assert.match(cells[2]!, /^[\d,]+$/, test);
      assert.match(cells[3]!, /^[\d,]+$/, test);
      assert.match(cells[4]!, /^\d+\.\d\d×$/, test);
    }
    // The original workload runs on Kache alone (Redis has no binary protocol): req/s and p99.
    const original = row("original workload (Workers, binary)", "4 blocking connections");
    assert.equal(original[2], "–");
    assert.match(original[3]!, /^[\d,]+$/);
    assert.match(original[9]!, /^\d+\.\d{3}$/);
    // Pipelined tests send 10× the requests, and the header says so.
    assert.match(markdown, / 2,000 requests per test \(20,000 when pipelined with -P 16\)/);
    assert.match(markdown, /^## p99 without pipelining \(goal: Kache ≤ 1\.2× Redis\)$/m);
    assert.match(
      markdown,
      /^\| redis-benchmark \| GET \| [\d.]+ \| [\d.]+ \| [\d.]+× \| (yes|no) \|$/m,
    );
    assert.match(markdown, /^## Memory: 100,000 keys, 16-byte values$/m);
    assert.match(markdown, /^\| bytes per key \| [\d.]+ \| [\d.]+ \| [\d.]+× \|$/m);
    assert.match(markdown, /^## Big offset: `ZRANGE z 25000 \+inf BYSCORE LIMIT 50000 10`$/m);
    assert.match(markdown, /^\| ms per call \| [\d.]+ \| [\d.]+ \| [\d.]+× \|$/m);
    assert.match(markdown, /^## Problems seen$/m);

    const svg = await Deno.readTextFile(`${out}/latest.svg`);
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.match(svg, /<\/svg>\n$/);
    // A bar per row of the throughput table (the first table) with a throughput ratio.
    const throughputTable = markdown.split("\n## ")[1]!.split("\n").filter((line) =>
      line.startsWith("| ")
    );
    const compared = throughputTable.filter((line) =>
      /^\d+\.\d\d×$/.test(line.split(" | ")[4] ?? "")
    );
    assert.ok(compared.length >= 8);
    // A throughput bar per row with a throughput ratio, latency bars, and memory for both servers.
    assert.equal((svg.match(/class="bar throughput"/g) ?? []).length, compared.length);
    assert.ok((svg.match(/class="bar latency"/g) ?? []).length >= compared.length);
    assert.equal((svg.match(/class="bar memory"/g) ?? []).length, 2);
    assert.match(svg, /kache bench: MIXED/);
  } finally {
    clearTimeout(timer);
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("renderSvg charts throughput, p50 and p99 ratios per test and bytes per key", () => {
  const env = {
    date: "2026-12-04T00:00:00Z",
    cpus: 2,
    cpuModel: "Test CPU",
    deno: "2.9.6",
    redis: "7.0.15",
    kache: "0.1.0",
    command: "deno task bench:compare",
    loadAtStart: "0.10",
  };
  const sample = (rps: number, p50: number, p99: number) => ({ rps, p50, p99, errors: 0 });
  const svg = renderSvg(
    [
      {
        load: "redis-benchmark",
        test: "SET",
        redis: sample(800, 0.4, 0.8),
        kache: sample(600, 0.5, 1.2),
      },
      // p99 of 0 is below the tool's resolution: no ratio, no bar.
      {
        load: "redis-benchmark",
        test: "GET",
        redis: sample(900, 0.2, 0),
        kache: sample(990, 0.1, 0.4),
      },
      // Measured on Kache alone: not in the chart.
      { load: "original", test: "4 connections", redis: undefined, kache: sample(50, 1, 2) },
    ],
    env,
    { keys: 1_000_000, bytesPerKey: { redis: 72, kache: 54 } },
  );
  const bars = (kind: string) =>
    [...svg.matchAll(new RegExp(`class="bar ${kind}"[^>]*fill="([^"]+)"`, "g"))]
      .map((match) => match[1]);
  // SET: slower (orange), GET: faster (green).
  assert.deepEqual(bars("throughput"), ["#ef6c00", "#2e7d32"]);
  // p50 SET 1.25× worse, GET 0.5× better; p99 SET 1.5× worse, GET none.
  assert.deepEqual(bars("latency"), ["#ef6c00", "#2e7d32", "#ef6c00"]);
  for (const text of [">0.75×<", ">1.10×<", ">1.25×<", ">0.50×<", ">1.50×<", ">–<"]) {
    assert.ok(svg.includes(text), text);
  }
  assert.deepEqual(bars("memory"), ["#757575", "#2e7d32"]);
  assert.match(svg, />54\.0 bytes\/key \(0\.75× Redis\)</);
  assert.match(svg, /after 1,000,000 SETs of 16 bytes/);
  assert.doesNotMatch(svg, /original/);
});
