/**
 * The long fuzz run: at least a million inputs, half decoder cases (the four
 * codecs in turn) and half command-argument cases, spread over worker
 * threads, bounded in time.
 *
 *   deno task fuzz [--inputs 1000000] [--seconds 600] [--seed 1] [--workers 2]
 *
 * Each worker bumps a counter in shared memory after every input, and before
 * every command it writes that command's argv there too, so a worker stuck
 * in one input (a hang) is noticed by the main thread, named, and terminated
 * without stopping the run. Decoder cases are pure functions of
 * `(seed, index)` (replay with `caseRandom(seed, index)`); command failures
 * carry the commands run since the keyspace was last reset.
 *
 * Prints inputs run, crashes found (broken contracts, throws, hangs) and the
 * elapsed time; exits 1 when anything was found.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { type CodecFailure, CODECS, fuzzCodecCase } from "../tests/fuzz/codec_targets.ts";
import {
  type CommandFailure,
  CommandFuzzer,
  KNOWN_UNBOUNDED,
} from "../tests/fuzz/command_targets.ts";
import { caseRandom, Random } from "../tests/fuzz/mutate.ts";

/** A worker stuck this long on one input is hung. */
const HANG_MS = 30_000;
/** A command slower than this is reported (not counted as a crash). */
const SLOW_MS = 500;
/** Bytes of shared memory per worker for the argv it is running. */
const CURRENT_BYTES = 4096;
const WORKER_NAME = "kache-fuzz-worker";

interface WorkerTask {
  readonly worker: number;
  readonly workers: number;
  readonly seed: number;
  readonly inputs: number;
  readonly deadline: number;
  /** Int32 per worker: inputs done (slot `worker`). */
  readonly progress: SharedArrayBuffer;
  /** CURRENT_BYTES per worker: length-prefixed JSON of the running command. */
  readonly current: SharedArrayBuffer;
}

/** What one worker found. */
interface Finding {
  readonly kind: "codec" | "command" | "hang" | "worker error";
  readonly problem: string;
  readonly detail: string;
}

interface WorkerReport {
  readonly type: "done";
  readonly inputs: number;
  readonly codecInputs: number;
  readonly commandInputs: number;
  readonly findings: Finding[];
  readonly skipped: number;
  readonly slow: { argv: readonly string[]; milliseconds: number }[];
}

/**
 * Workers alternate decoder cases (even k) and commands (odd k); decoder case
 * numbers interleave across workers, so each number runs once in the run.
 */
function codecIndexOf(k: number, worker: number, workers: number): number {
  return (k >> 1) * workers + worker;
}

function isWorker(): boolean {
  return (globalThis as { name?: string }).name === WORKER_NAME;
}

// ---------------------------------------------------------------------------
// Worker side

function codecFinding(failure: CodecFailure, seed: number, index: number): Finding {
  return {
    kind: "codec",
    problem: `${failure.codec}: ${failure.problem}`,
    detail: `caseRandom(${seed}, ${index}) options ${failure.options} input ${failure.input}`,
  };
}

function commandFinding(failure: CommandFailure): Finding {
  return {
    kind: "command",
    problem: failure.problem,
    detail: `argv ${JSON.stringify(failure.argv)} after ${
      JSON.stringify(failure.history.slice(-10))
    }`,
  };
}

/** The same problem with other numbers in it is the same bug: keep the first few of each. */
function bugKey(finding: Finding): string {
  return finding.kind + finding.problem.replace(/\d+/g, "N").slice(0, 120);
}

function runWorker(task: WorkerTask): WorkerReport {
  const progress = new Int32Array(task.progress);
  const current = new Uint8Array(task.current, task.worker * CURRENT_BYTES, CURRENT_BYTES);
  const encoder = new TextEncoder();
  const view = new DataView(current.buffer, current.byteOffset, CURRENT_BYTES);
  const publish = (argv: readonly string[]) => {
    const label = encoder.encode(JSON.stringify(argv));
    const length = Math.min(label.length, CURRENT_BYTES - 4);
    view.setUint32(0, length, true);
    current.set(label.subarray(0, length), 4);
  };
  const fuzzer = new CommandFuzzer(new Random(task.seed, 1_000_003 * (task.worker + 1)), {
    slowMs: SLOW_MS,
    beforeRun: publish,
  });
  const findings: Finding[] = [];
  const seen = new Map<string, number>();
  const record = (finding: Finding) => {
    const key = bugKey(finding);
    const count = seen.get(key) ?? 0;
    seen.set(key, count + 1);
    if (count < 3 && findings.length < 200) findings.push(finding);
  };
  let codecInputs = 0;
  let commandInputs = 0;
  for (let k = 0; k < task.inputs; k++) {
    if ((k & 255) === 0 && Date.now() > task.deadline) break;
    if ((k & 1) === 0) {
      const codecIndex = codecIndexOf(k, task.worker, task.workers);
      const failure = fuzzCodecCase(
        CODECS[codecIndex % CODECS.length]!,
        caseRandom(task.seed, codecIndex),
      );
      if (failure !== undefined) record(codecFinding(failure, task.seed, codecIndex));
      codecInputs++;
    } else {
      const failure = fuzzer.step();
      if (failure !== undefined) record(commandFinding(failure));
      commandInputs++;
    }
    Atomics.store(progress, task.worker, k + 1);
  }
  return {
    type: "done",
    inputs: codecInputs + commandInputs,
    codecInputs,
    commandInputs,
    findings,
    skipped: fuzzer.counts.skipped,
    slow: fuzzer.slow.slice(0, 20),
  };
}

if (isWorker()) {
  const scope = globalThis as unknown as {
    onmessage: ((event: MessageEvent<WorkerTask>) => void) | null;
    postMessage(message: unknown): void;
    close(): void;
  };
  globalThis.addEventListener("unhandledrejection", (event) => {
    scope.postMessage({ type: "rejection", reason: String(event.reason) });
  });
  scope.onmessage = (event) => {
    scope.postMessage(runWorker(event.data));
    scope.close();
  };
}

// ---------------------------------------------------------------------------
// Main side

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      inputs: { type: "string", default: "1000000" },
      seconds: { type: "string", default: "600" },
      seed: { type: "string", default: String(Date.now() % 1_000_000) },
      workers: { type: "string", default: "2" },
    },
  });
  const inputs = Number(values.inputs);
  const seconds = Number(values.seconds);
  const seed = Number(values.seed);
  const workers = Math.max(1, Number(values.workers));
  const started = Date.now();
  const deadline = started + seconds * 1000;
  const progress = new SharedArrayBuffer(4 * workers);
  const current = new SharedArrayBuffer(CURRENT_BYTES * workers);
  const counts = new Int32Array(progress);
  console.log(
    `fuzz: ${inputs} inputs, at most ${seconds} s, seed ${seed}, ${workers} workers ` +
      `(half decoder cases over ${CODECS.join(", ")}; half command arguments)`,
  );

  const findings: Finding[] = [];
  const reports: WorkerReport[] = [];
  const rejections: string[] = [];
  const running = new Map<number, Worker>();
  /** Resolves a worker's promise; the watchdog uses it for a worker it had to stop. */
  const hangHooks = new Map<number, () => void>();
  const finished = Array.from({ length: workers }, (_, worker) =>
    new Promise<void>((resolve) => {
      const handle = new Worker(import.meta.url, { type: "module", name: WORKER_NAME });
      running.set(worker, handle);
      const share = Math.floor(inputs / workers) + (worker < inputs % workers ? 1 : 0);
      handle.onmessage = (
        event: MessageEvent<WorkerReport | { type: "rejection"; reason: string }>,
      ) => {
        if (event.data.type === "rejection") {
          rejections.push(event.data.reason);
          return;
        }
        reports.push(event.data);
        running.delete(worker);
        handle.terminate();
        resolve();
      };
      handle.onerror = (event) => {
        event.preventDefault();
        findings.push({ kind: "worker error", problem: event.message, detail: `worker ${worker}` });
        running.delete(worker);
        handle.terminate();
        resolve();
      };
      const task: WorkerTask = {
        worker,
        workers,
        seed,
        inputs: share,
        deadline,
        progress,
        current,
      };
      handle.postMessage(task);
      hangHooks.set(worker, resolve);
    }));

  const lastCount = new Array<number>(workers).fill(-1);
  const lastChange = new Array<number>(workers).fill(Date.now());
  let lastPrint = Date.now();
  const watchdog = setInterval(() => {
    const now = Date.now();
    for (const [worker, handle] of running) {
      const count = Atomics.load(counts, worker);
      if (count !== lastCount[worker]) {
        lastCount[worker] = count;
        lastChange[worker] = now;
        continue;
      }
      if (now - lastChange[worker]! < HANG_MS) continue;
      // Stuck on input number `count` of this worker: name it, then stop the worker.
      const bytes = new Uint8Array(current, worker * CURRENT_BYTES, CURRENT_BYTES);
      const length = new DataView(current).getUint32(worker * CURRENT_BYTES, true);
      const detail = (count & 1) === 0
        ? `decoder case caseRandom(${seed}, ${codecIndexOf(count, worker, workers)})`
        : `command ${new TextDecoder().decode(bytes.slice(4, 4 + length))} (worker ${worker})`;
      findings.push({ kind: "hang", problem: `no progress for ${HANG_MS / 1000} s`, detail });
      handle.terminate();
      running.delete(worker);
      reports.push({
        type: "done",
        inputs: count,
        codecInputs: Math.ceil(count / 2),
        commandInputs: Math.floor(count / 2),
        findings: [],
        skipped: 0,
        slow: [],
      });
      hangHooks.get(worker)?.();
    }
    if (now - lastPrint >= 10_000) {
      lastPrint = now;
      const done = counts.reduce((sum, count) => sum + count, 0);
      const rate = done / ((now - started) / 1000);
      console.log(`  ${done} inputs, ${Math.round(rate)}/s, ${(now - started) / 1000} s`);
    }
  }, 1000);
  await Promise.all(finished);
  clearInterval(watchdog);

  for (const report of reports) findings.push(...report.findings);
  for (const reason of rejections) {
    findings.push({ kind: "worker error", problem: "unhandled rejection", detail: reason });
  }
  const elapsed = (Date.now() - started) / 1000;
  const total = reports.reduce((sum, report) => sum + report.inputs, 0);
  const codecTotal = reports.reduce((sum, report) => sum + report.codecInputs, 0);
  const commandTotal = reports.reduce((sum, report) => sum + report.commandInputs, 0);
  const skipped = reports.reduce((sum, report) => sum + report.skipped, 0);
  const slow = reports.flatMap((report) => report.slow)
    .sort((a, b) => b.milliseconds - a.milliseconds).slice(0, 10);

  console.log(`\ninputs run: ${total} (${codecTotal} decoder cases, ${commandTotal} commands)`);
  console.log(`crashes found: ${findings.length}`);
  console.log(`elapsed: ${elapsed.toFixed(1)} s`);
  if (total < inputs) {
    console.log(`stopped before ${inputs} inputs: the ${seconds} s limit, or a hung worker`);
  }
  for (const finding of findings.slice(0, 30)) {
    console.log(`\n[${finding.kind}] ${finding.problem}\n  ${finding.detail.slice(0, 2000)}`);
  }
  console.log(`\ncommands not sent because they match a known unbounded shape: ${skipped}`);
  for (const shape of KNOWN_UNBOUNDED) {
    console.log(`  ${JSON.stringify(shape.example)}: ${shape.description}`);
  }
  if (slow.length > 0) {
    console.log(`commands slower than ${SLOW_MS} ms (a loaded machine makes some):`);
    for (const { argv, milliseconds } of slow) {
      console.log(`  ${Math.round(milliseconds)} ms ${JSON.stringify(argv).slice(0, 300)}`);
    }
  }
  return findings.length === 0 ? 0 : 1;
}

if (import.meta.main && !isWorker()) Deno.exit(await main());
