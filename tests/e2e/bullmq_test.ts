/**
 * BullMQ from npm, unchanged, against a real Kache server: queues, workers and
 * events, delayed jobs, retries with backoff, priorities, job schedulers, flows,
 * rate limiting, stalled-job recovery after a worker process is killed, pause
 * and resume, job retention, clean and obliterate.
 *
 * BullMQ does its work in its own Lua scripts (over 60 of them, loaded with
 * SCRIPT LOAD and run with EVALSHA), publishes its events to a stream per queue
 * (XADD, read by QueueEvents with XREAD BLOCK) and waits for jobs with
 * BZPOPMIN on a marker key, so these tests exercise scripting, streams and
 * blocking together, the way a real application does.
 *
 * Each test starts its own server; `KACHE_E2E_TARGET=redis` runs the same tests
 * against redis-server instead, to check the tests themselves
 * (tests/support/e2e_target.ts).
 *
 * @module
 */
import assert from "node:assert/strict";
import { createNodeRedisClient, FlowProducer, Job, Queue, QueueEvents, Worker } from "bullmq";
import type { Processor, WorkerOptions } from "bullmq";
import * as bullmqScripts from "bullmq/dist/cjs/scripts/index.js";
import { Redis } from "ioredis";
import { createClient } from "redis";
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
import { ALL_COMMANDS } from "../../lib/commands/mod.ts";
import { startTarget, TARGET_NAME } from "../support/e2e_target.ts";
import { startRedis } from "../support/redis_process.ts";
import { startServer } from "../support/server_process.ts";

/** Rejects after `ms` so no wait in these tests is unbounded. */
function within<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not done within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** Resolves once `condition()` holds, polling every 20 ms; rejects after `ms`. */
async function until(ms: number, what: string, condition: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what}: not true within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const against = TARGET_NAME;
const hasStreams = ALL_COMMANDS.some((spec) => spec.name === "xadd");
/** Every BullMQ script publishes events with XADD: nothing but loading scripts works without. */
const ignore = against === "Kache" && !hasStreams;

/** BullMQ's Lua scripts, as it loads them (name, body, number of keys). */
const BULLMQ_SCRIPTS = Object.values(bullmqScripts).filter((script): script is {
  name: string;
  content: string;
  keys: number;
} => typeof script === "object" && script !== null && "content" in script);

/**
 * Everything BullMQ opened in one test, closed at the end whatever happened:
 * workers first (they finish or abandon their jobs), then events, queues and
 * flow producers, then the server.
 */
class Session {
  readonly connection: { readonly host: string; readonly port: number };
  readonly errors: Error[] = [];
  #workers: Worker[] = [];
  #others: { close(): Promise<void> }[] = [];

  constructor(port: number) {
    this.connection = { host: "127.0.0.1", port };
  }

  queue(name: string): Queue {
    const queue = new Queue(name, { connection: this.connection });
    queue.on("error", (error) => this.errors.push(error));
    this.#others.push(queue);
    return queue;
  }

  worker(name: string, processor: Processor, options: Partial<WorkerOptions> = {}): Worker {
    const worker = new Worker(name, processor, {
      connection: this.connection,
      // The wait between BZPOPMIN calls when the queue is empty; short, so close() is quick.
      drainDelay: 1,
      ...options,
    });
    worker.on("error", (error) => this.errors.push(error));
    this.#workers.push(worker);
    return worker;
  }

  /**
   * Events from `lastEventId`: by default the start of the stream, so none is missed
   * before the first XREAD; "$" (BullMQ's own default) for what comes after it.
   */
  async events(name: string, lastEventId = "0-0"): Promise<QueueEvents> {
    const events = new QueueEvents(name, {
      connection: this.connection,
      lastEventId,
      blockingTimeout: 1_000,
    });
    events.on("error", (error) => this.errors.push(error));
    this.#others.push(events);
    await within(10_000, "QueueEvents ready", events.waitUntilReady());
    return events;
  }

  flowProducer(): FlowProducer {
    const flow = new FlowProducer({ connection: this.connection });
    flow.on("error", (error) => this.errors.push(error));
    this.#others.push(flow);
    return flow;
  }

  /** A plain client, for looking at the keys BullMQ left. */
  client(): Redis {
    const client = new Redis({ ...this.connection, lazyConnect: true });
    this.#others.push({ close: () => client.quit().then(() => {}) });
    return client;
  }

  /** Closes every worker opened so far (they finish their jobs first). */
  async workersClosed(): Promise<void> {
    const workers = this.#workers.splice(0);
    await within(15_000, "workers closed", Promise.all(workers.map((worker) => worker.close())));
  }

  async close(): Promise<void> {
    await this.workersClosed().catch(() => {});
    await within(
      15_000,
      "queues closed",
      Promise.allSettled(this.#others.map((other) => other.close())),
    );
  }
}

/** Runs `body` against a fresh server with a fresh {@link Session}, and stops both. */
async function withBullmq(body: (session: Session) => Promise<void>): Promise<void> {
  const target = await startTarget();
  const session = new Session(target.port);
  try {
    await body(session);
    assert.deepEqual(session.errors.map(String), [], "no client reported an error");
  } finally {
    await session.close().finally(() => target.stop());
  }
}

Deno.test(`BullMQ (${against}): SCRIPT LOAD accepts each of its ${BULLMQ_SCRIPTS.length} Lua scripts`, async () => {
  assert.ok(BULLMQ_SCRIPTS.length >= 60, `found ${BULLMQ_SCRIPTS.length} scripts`);
  const target = await startTarget();
  const client = new Redis({ host: "127.0.0.1", port: target.port, lazyConnect: true });
  try {
    await client.connect();
    for (const script of BULLMQ_SCRIPTS) {
      const sha = createHash("sha1").update(script.content).digest("hex");
      assert.equal(await client.script("LOAD", script.content), sha, script.name);
    }
    const shas = BULLMQ_SCRIPTS.map((script) =>
      createHash("sha1").update(script.content).digest("hex")
    );
    assert.deepEqual(await client.script("EXISTS", ...shas), shas.map(() => 1));
  } finally {
    await client.quit().catch(() => {});
    await target.stop();
  }
});

Deno.test({
  name:
    `BullMQ (${against}): a worker completes 300 jobs, some prioritized, delayed or retried, and QueueEvents hears each one`,
  ignore,
}, async () => {
  await withBullmq(async (session) => {
    const queue = session.queue("orders");
    const events = await session.events("orders");
    const heard = new Map<string, unknown>();
    const allHeard = new Promise<void>((resolve) => {
      events.on("completed", ({ jobId, returnvalue }) => {
        heard.set(jobId, returnvalue);
        if (heard.size === 300) resolve();
      });
    });
    const retriedAt = new Map<string, number>();
    const jobs = await queue.addBulk(
      Array.from({ length: 300 }, (_, x) => ({
        name: x % 10 === 3 ? "flaky" : "double",
        data: { x },
        opts: {
          ...(x % 10 === 1 ? { priority: 1 + (x % 7) } : {}),
          ...(x % 10 === 2 ? { delay: 200 + x } : {}),
          ...(x % 10 === 3 ? { attempts: 2, backoff: { type: "fixed", delay: 100 } } : {}),
        },
      })),
    );
    const ranEarly: string[] = [];
    session.worker("orders", (job) => {
      if (job.opts.delay !== undefined && Date.now() < job.timestamp + job.opts.delay) {
        ranEarly.push(job.id!);
      }
      if (job.name === "flaky" && job.attemptsMade === 0) {
        retriedAt.set(job.id!, Date.now());
        throw new Error("first attempt fails");
      }
      return Promise.resolve(job.data.x * 2);
    }, { concurrency: 8 });

    await within(30_000, "300 completed events", allHeard);
    for (const job of jobs) assert.equal(heard.get(job.id!), job.data.x * 2, `job ${job.id}`);
    assert.deepEqual(ranEarly, [], "no delayed job ran before its delay");
    assert.equal(retriedAt.size, 30, "each flaky job failed once");
    const stored = await Job.fromId(queue, jobs[7]!.id!);
    assert.equal(stored?.returnvalue, 14);
    assert.equal(await stored?.getState(), "completed");
    assert.equal((await Job.fromId(queue, jobs[3]!.id!))?.attemptsMade, 2);
    assert.deepEqual(
      await queue.getJobCounts("wait", "active", "completed", "failed", "delayed", "prioritized"),
      { wait: 0, active: 0, completed: 300, failed: 0, delayed: 0, prioritized: 0 },
    );
    assert.equal((await queue.getCompleted(0, -1)).length, 300);
  });
});

Deno.test({
  name:
    `BullMQ (${against}): progress reaches QueueEvents, waitUntilFinished gets the result, live events start at "$"`,
  ignore,
}, async () => {
  await withBullmq(async (session) => {
    const queue = session.queue("reports");
    const events = await session.events("reports");
    const progress: unknown[] = [];
    events.on("progress", ({ data }) => progress.push(data));
    session.worker("reports", async (job) => {
      for (const step of [25, 50, 100]) await job.updateProgress(step);
      await job.log(`built report ${job.data.id}`);
      if (job.data.id === "bad") throw new Error("no data for report bad");
      return { pages: 3, id: job.data.id };
    });
    const good = await queue.add("report", { id: "q3" });
    assert.deepEqual(
      await within(10_000, "good report", good.waitUntilFinished(events)),
      { pages: 3, id: "q3" },
    );
    // QueueEvents by default reads from "$" (XREAD BLOCK … $): only what comes after it blocks.
    const live = await session.events("reports", "$");
    const liveHeard: string[] = [];
    live.on("completed", ({ jobId }) => liveHeard.push(`completed ${jobId}`));
    live.on("failed", ({ jobId }) => liveHeard.push(`failed ${jobId}`));
    const client = session.client();
    await client.connect();
    await until(10_000, "both QueueEvents blocked in XREAD", async () => {
      const blocked = String(await client.client("LIST")).split("\n").filter((line) =>
        / flags=b /.test(line) && / cmd=xread /.test(line)
      );
      return blocked.length === 2;
    });
    const bad = await queue.add("report", { id: "bad" });
    await assert.rejects(
      within(10_000, "bad report", bad.waitUntilFinished(events)),
      /no data for report bad/,
    );
    await until(
      5_000,
      "live events heard the failure",
      () => Promise.resolve(liveHeard.length > 0),
    );
    assert.deepEqual(liveHeard, [`failed ${bad.id}`]);
    assert.deepEqual(progress, [25, 50, 100, 25, 50, 100]);
    assert.deepEqual(await queue.getJobLogs(good.id!), { logs: ["built report q3"], count: 1 });
    assert.equal((await Job.fromId(queue, good.id!))?.progress, 100);
  });
});

Deno.test({
  name:
    `BullMQ (${against}): retries wait for their backoff, and a job fails for good after its attempts`,
  ignore,
}, async () => {
  await withBullmq(async (session) => {
    const queue = session.queue("retries");
    const events = await session.events("retries");
    const attemptsAt = new Map<string, number[]>();
    const failedForGood = new Promise<string>((resolve) => {
      events.on("failed", ({ jobId, failedReason, prev }) => {
        if (prev === "active" && jobId === "broken") resolve(failedReason);
      });
    });
    const flakyDone = new Promise<unknown>((resolve) => {
      events.on("completed", ({ jobId, returnvalue }) => {
        if (jobId === "flaky") resolve(returnvalue);
      });
    });
    session.worker("retries", (job) => {
      const times = attemptsAt.get(job.id!) ?? [];
      times.push(Date.now());
      attemptsAt.set(job.id!, times);
      if (job.name === "broken") throw new Error("always broken");
      if (job.attemptsMade < 2) throw new Error(`flaky attempt ${job.attemptsMade + 1}`);
      return Promise.resolve(`ok after ${job.attemptsMade + 1}`);
    });
    await queue.add("flaky", {}, {
      jobId: "flaky",
      attempts: 3,
      backoff: { type: "fixed", delay: 300 },
    });
    await queue.add("broken", {}, {
      jobId: "broken",
      attempts: 2,
      backoff: { type: "exponential", delay: 200 },
    });

    assert.equal(await within(15_000, "flaky job completed", flakyDone), "ok after 3");
    assert.equal(await within(15_000, "broken job failed", failedForGood), "always broken");
    const flakyTimes = attemptsAt.get("flaky")!;
    assert.equal(flakyTimes.length, 3);
    for (let i = 1; i < 3; i++) {
      // The retry is a delayed job scheduled by the server; 20 ms covers the two clocks.
      assert.ok(flakyTimes[i]! - flakyTimes[i - 1]! >= 280, `retry ${i} waited its backoff`);
    }
    const brokenTimes = attemptsAt.get("broken")!;
    assert.equal(brokenTimes.length, 2);
    assert.ok(brokenTimes[1]! - brokenTimes[0]! >= 180, "exponential backoff: 200 ms first");

    const flaky = await Job.fromId(queue, "flaky");
    assert.equal(flaky?.attemptsMade, 3);
    const broken = await Job.fromId(queue, "broken");
    assert.equal(await broken?.getState(), "failed");
    assert.equal(broken?.failedReason, "always broken");
    assert.equal(broken?.attemptsMade, 2);
    assert.equal(broken?.stacktrace?.length, 2, "both failures were recorded");
    assert.deepEqual(await queue.getJobCounts("completed", "failed", "delayed", "wait"), {
      completed: 1,
      failed: 1,
      delayed: 0,
      wait: 0,
    });
    assert.deepEqual((await queue.getFailed()).map((job) => job.id), ["broken"]);
  });
});

Deno.test({
  name:
    `BullMQ (${against}): a delayed job waits in the delayed set and runs no earlier than asked`,
  ignore,
}, async () => {
  await withBullmq(async (session) => {
    const queue = session.queue("later");
    const events = await session.events("later");
    let ranAt = 0;
    const done = new Promise<void>((resolve) => events.on("completed", () => resolve()));
    const delayedEvent = new Promise<number>((resolve) =>
      events.on("delayed", ({ delay }) => resolve(delay))
    );
    const addedAt = Date.now();
    const job = await queue.add("later", { x: 1 }, { delay: 800 });
    assert.equal(await job.getState(), "delayed");
    assert.deepEqual(await queue.getJobCounts("delayed", "wait"), { delayed: 1, wait: 0 });
    // The event carries the timestamp the job becomes due at.
    assert.ok((await within(5_000, "delayed event", delayedEvent)) >= addedAt + 800);
    session.worker("later", () => {
      ranAt = Date.now();
      return Promise.resolve("done");
    });
    await within(10_000, "delayed job completed", done);
    assert.ok(ranAt >= addedAt + 800, "ran no earlier than its delay");
    assert.equal(await job.getState(), "completed");
  });
});

Deno.test(
  { name: `BullMQ (${against}): jobs run by priority, then in order of arrival`, ignore },
  async () => {
    await withBullmq(async (session) => {
      const queue = session.queue("ranked");
      const order: string[] = [];
      const plan: [string, number | undefined][] = [
        ["low-1", 10],
        ["plain-1", undefined],
        ["high-1", 1],
        ["mid-1", 5],
        ["high-2", 1],
        ["low-2", 10],
        ["plain-2", undefined],
        ["mid-2", 5],
      ];
      for (const [name, priority] of plan) {
        await queue.add(name, {}, priority === undefined ? {} : { priority });
      }
      assert.deepEqual(await queue.getJobCounts("wait", "prioritized"), {
        wait: 2,
        prioritized: 6,
      });
      const done = new Promise<void>((resolve) => {
        session.worker("ranked", (job) => {
          order.push(job.name);
          if (order.length === plan.length) resolve();
          return Promise.resolve();
        }, { concurrency: 1 });
      });
      await within(10_000, "all ranked jobs", done);
      // Jobs without a priority come first (priority 0), then 1, 5, 10; ties in arrival order.
      assert.deepEqual(order, [
        "plain-1",
        "plain-2",
        "high-1",
        "high-2",
        "mid-1",
        "mid-2",
        "low-1",
        "low-2",
      ]);
    });
  },
);

Deno.test(
  { name: `BullMQ (${against}): a paused queue keeps its jobs until resumed`, ignore },
  async () => {
    await withBullmq(async (session) => {
      const queue = session.queue("held");
      const events = await session.events("held");
      const paused = new Promise<void>((resolve) => events.on("paused", () => resolve()));
      const resumed = new Promise<void>((resolve) => events.on("resumed", () => resolve()));
      await queue.pause();
      assert.equal(await queue.isPaused(), true);
      await queue.addBulk(Array.from({ length: 5 }, (_, x) => ({ name: "held", data: { x } })));
      let ran = 0;
      const done = new Promise<void>((resolve) => {
        session.worker("held", () => {
          if (++ran === 5) resolve();
          return Promise.resolve();
        });
      });
      // A worker on a paused queue takes nothing: give it time to try.
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal(ran, 0);
      // BullMQ counts a paused queue's jobs as waiting (its paused list is gone since v5).
      assert.deepEqual(await queue.getJobCounts("wait", "active", "completed"), {
        wait: 5,
        active: 0,
        completed: 0,
      });
      await queue.resume();
      assert.equal(await queue.isPaused(), false);
      await within(10_000, "resumed jobs ran", done);
      await within(5_000, "paused and resumed events", Promise.all([paused, resumed]));
      await until(5_000, "5 completed", async () => (await queue.getCompletedCount()) === 5);
    });
  },
);

Deno.test(
  { name: `BullMQ (${against}): a job scheduler repeats its job until removed`, ignore },
  async () => {
    await withBullmq(async (session) => {
      const queue = session.queue("ticks");
      const ticks: { name: string; data: unknown; schedulerId: string | undefined }[] = [];
      const threeTicks = new Promise<void>((resolve) => {
        session.worker("ticks", (job) => {
          ticks.push({ name: job.name, data: job.data, schedulerId: job.repeatJobKey });
          if (ticks.length === 3) resolve();
          return Promise.resolve();
        });
      });
      await queue.upsertJobScheduler("every-200ms", { every: 200 }, {
        name: "tick",
        data: { from: "scheduler" },
      });
      const schedulers = await queue.getJobSchedulers();
      assert.equal(schedulers.length, 1);
      assert.equal(schedulers[0]!.key, "every-200ms");
      assert.equal(schedulers[0]!.every, 200);
      await within(10_000, "three ticks", threeTicks);
      for (const tick of ticks) {
        assert.deepEqual(tick, {
          name: "tick",
          data: { from: "scheduler" },
          schedulerId: "every-200ms",
        });
      }
      assert.equal(await queue.removeJobScheduler("every-200ms"), true);
      assert.equal(await queue.getJobSchedulersCount(), 0);
      // The next iteration, already delayed when the scheduler went, is removed with it.
      assert.equal(await queue.getDelayedCount(), 0);
    });
  },
);

Deno.test({
  name: `BullMQ (${against}): a flow runs its children first, then the parent with their results`,
  ignore,
}, async () => {
  await withBullmq(async (session) => {
    const flow = session.flowProducer();
    let parentSaw: Record<string, unknown> | undefined;
    const parentDone = new Promise<void>((resolve) => {
      session.worker("assemble", async (job) => {
        parentSaw = await job.getChildrenValues();
        resolve();
        return "assembled";
      });
    });
    const childOrder: string[] = [];
    session.worker("parts", (job) => {
      childOrder.push(job.name);
      return Promise.resolve(`${job.name} ready`);
    });
    const tree = await flow.add({
      name: "car",
      queueName: "assemble",
      data: {},
      children: [
        { name: "wheels", queueName: "parts", data: {} },
        { name: "engine", queueName: "parts", data: {} },
        { name: "seats", queueName: "parts", data: {} },
      ],
    });
    assert.equal(await tree.job.getState(), "waiting-children");
    await within(10_000, "parent ran", parentDone);
    assert.deepEqual(childOrder.toSorted(), ["engine", "seats", "wheels"]);
    const byKey = Object.fromEntries(
      tree.children!.map((child) => [`bull:parts:${child.job.id}`, `${child.job.name} ready`]),
    );
    assert.deepEqual(parentSaw, byKey);
    const parent = session.queue("assemble");
    await until(
      5_000,
      "parent completed",
      async () => (await Job.fromId(parent, tree.job.id!))?.returnvalue === "assembled",
    );
    const dependencies = await tree.job.getDependenciesCount();
    assert.deepEqual(dependencies, { failed: 0, ignored: 0, processed: 3, unprocessed: 0 });
  });
});

Deno.test({
  name: `BullMQ (${against}): a rate-limited worker starts at most 2 jobs per second`,
  ignore,
}, async () => {
  await withBullmq(async (session) => {
    const queue = session.queue("limited");
    await queue.addBulk(Array.from({ length: 6 }, (_, x) => ({ name: "call", data: { x } })));
    const startedAt: number[] = [];
    const done = new Promise<void>((resolve) => {
      session.worker("limited", () => {
        startedAt.push(Date.now());
        if (startedAt.length === 6) resolve();
        return Promise.resolve();
      }, { concurrency: 6, limiter: { max: 2, duration: 1_000 } });
    });
    await within(15_000, "six limited jobs", done);
    for (let i = 2; i < 6; i++) {
      // Job i started in a later window than job i - 2. The window opens on the server when
      // job i - 2 (or its pair) is taken, and this process may call the processor for it late
      // when the machine is busy: 250 ms allow for that.
      assert.ok(startedAt[i]! - startedAt[i - 2]! >= 750, `job ${i} waited for its window`);
    }
    await until(5_000, "six completed", async () => (await queue.getCompletedCount()) === 6);
  });
});

/** A worker process that takes one job and never finishes it, for the stalled-job test. */
const HANGING_WORKER = `
import { Worker } from "bullmq";
const worker = new Worker("fragile", async (job) => {
  console.log("took " + job.id);
  await new Promise(() => {});
}, {
  connection: { host: "127.0.0.1", port: Number(Deno.args[0]) },
  lockDuration: 1000,
  // Its own stalled check sets a key that holds off every check for this long.
  stalledInterval: 300,
});
worker.on("error", (error) => console.error(error));
`;

Deno.test({
  name: `BullMQ (${against}): a job whose worker process was killed is recovered as stalled`,
  ignore,
}, async () => {
  await withBullmq(async (session) => {
    const queue = session.queue("fragile");
    const events = await session.events("fragile");
    const stalled = new Promise<string>((resolve) => {
      events.on("stalled", ({ jobId }) => resolve(jobId));
    });
    const job = await queue.add("fragile", { x: 21 }, { jobId: "fragile-1" });

    // The worker runs from a temporary directory with this repository's deno.json,
    // which maps "bullmq" to the same pinned package.
    const dir = await Deno.makeTempDir({ prefix: "kache-bullmq-" });
    await Deno.writeTextFile(`${dir}/hanging_worker.ts`, HANGING_WORKER);
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-all",
        "--config",
        fileURLToPath(new URL("../../deno.json", import.meta.url)),
        `${dir}/hanging_worker.ts`,
        String(session.connection.port),
      ],
      stdout: "piped",
      stderr: "inherit",
      stdin: "null",
    }).spawn();
    try {
      const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
      let said = "";
      await within(
        30_000,
        "the doomed worker took the job",
        (async () => {
          while (!said.includes("took fragile-1")) {
            const { value, done } = await reader.read();
            if (done) throw new Error(`worker exited: ${said}`);
            said += value;
          }
        })(),
      );
      assert.equal(await job.getState(), "active");
      reader.releaseLock();
    } finally {
      child.kill("SIGKILL");
      await child.stdout.cancel().catch(() => {});
      await child.status;
      await Deno.remove(dir, { recursive: true });
    }

    const rescued = new Promise<number>((resolve) => {
      session.worker("fragile", (job) => {
        resolve(job.data.x);
        return Promise.resolve(job.data.x * 2);
      }, { stalledInterval: 300, lockDuration: 1000 });
    });
    assert.equal(await within(15_000, "stalled job recovered", rescued), 21);
    assert.equal(await within(5_000, "stalled event", stalled), "fragile-1");
    await until(
      5_000,
      "recovered job completed",
      async () => (await Job.fromId(queue, "fragile-1"))?.returnvalue === 42,
    );
    const recovered = await Job.fromId(queue, "fragile-1");
    assert.equal(recovered?.stalledCounter, 1);
  });
});

Deno.test({
  name: `BullMQ (${against}): removeOnComplete and removeOnFail keep only what was asked`,
  ignore,
}, async () => {
  await withBullmq(async (session) => {
    const queue = session.queue("tidy");
    const client = session.client();
    await client.connect();
    let settled = 0;
    const done = new Promise<void>((resolve) => {
      const worker = session.worker("tidy", (job) => {
        if (job.data.fail) throw new Error("no");
        return Promise.resolve(job.data.x);
      }, { concurrency: 4 });
      const count = () => {
        if (++settled === 23) resolve();
      };
      worker.on("completed", count);
      worker.on("failed", count);
    });
    await queue.addBulk([
      ...Array.from({ length: 10 }, (_, x) => ({
        name: "kept-5",
        data: { x },
        opts: { removeOnComplete: { count: 5 } },
      })),
      ...Array.from({ length: 10 }, (_, x) => ({
        name: "gone",
        data: { x },
        opts: { jobId: `gone-${x}`, removeOnComplete: true },
      })),
      ...Array.from({ length: 3 }, (_, x) => ({
        name: "failing",
        data: { x, fail: true },
        opts: { jobId: `failing-${x}`, removeOnFail: true },
      })),
    ]);
    await within(15_000, "23 jobs settled", done);
    await until(5_000, "retention applied", async () => (await queue.getCompletedCount()) === 5);
    assert.equal(await queue.getFailedCount(), 0);
    for (let x = 0; x < 10; x++) assert.equal(await client.exists(`bull:tidy:gone-${x}`), 0);
    for (let x = 0; x < 3; x++) assert.equal(await client.exists(`bull:tidy:failing-${x}`), 0);
    const kept = await queue.getCompleted();
    assert.equal(kept.length, 5);
    for (const job of kept) assert.equal(job.name, "kept-5");
  });
});

Deno.test({
  name: `BullMQ (${against}): clean removes finished jobs, obliterate removes the queue`,
  ignore,
}, async () => {
  await withBullmq(async (session) => {
    const queue = session.queue("doomed");
    const client = session.client();
    await client.connect();
    const done = new Promise<void>((resolve) => {
      let finished = 0;
      const worker = session.worker("doomed", (job) => {
        if (job.data.x % 4 === 0) throw new Error("multiple of four");
        return Promise.resolve(job.data.x);
      }, { concurrency: 4 });
      const count = () => {
        if (++finished === 12) resolve();
      };
      worker.on("completed", count);
      worker.on("failed", count);
    });
    await queue.addBulk(Array.from({ length: 12 }, (_, x) => ({ name: "n", data: { x } })));
    await queue.add("later", {}, { delay: 60_000 });
    await within(15_000, "12 jobs settled", done);
    await until(5_000, "counts settled", async () => {
      const counts = await queue.getJobCounts("completed", "failed");
      return counts.completed === 9 && counts.failed === 3;
    });
    const cleaned = await queue.clean(0, 100, "completed");
    assert.equal(cleaned.length, 9);
    assert.deepEqual(await queue.getJobCounts("completed", "failed", "delayed"), {
      completed: 0,
      failed: 3,
      delayed: 1,
    });
    for (const id of cleaned) assert.equal(await client.exists(`bull:doomed:${id}`), 0);
    await queue.drain(true);
    assert.equal(await queue.getDelayedCount(), 0);
    await session.workersClosed();
    await queue.obliterate({ force: true });
    assert.deepEqual(await client.keys("bull:doomed:*"), []);
  });
});

Deno.test({
  name: `BullMQ (${against}): the node-redis adapter runs a queue, a worker and events`,
  ignore,
}, async () => {
  const target = await startTarget();
  const clients: ReturnType<typeof createClient>[] = [];
  const errors: unknown[] = [];
  /** A connected node-redis client (RESP2: BullMQ's adapter reads RESP2 replies). */
  const connect = async () => {
    const client = createClient({ socket: { host: "127.0.0.1", port: target.port } });
    client.on("error", (error) => errors.push(error));
    clients.push(client);
    await client.connect();
    return createNodeRedisClient(client);
  };
  let queue: Queue | undefined;
  let events: QueueEvents | undefined;
  let worker: Worker | undefined;
  try {
    queue = new Queue("adapted", { connection: await connect() });
    events = new QueueEvents("adapted", {
      connection: await connect(),
      lastEventId: "0-0",
      blockingTimeout: 1_000,
    });
    let completed = 0;
    const allCompleted = new Promise<void>((resolve) => {
      events!.on("completed", () => {
        if (++completed === 50) resolve();
      });
    });
    worker = new Worker("adapted", (job) => {
      if (job.data.x === 3 && job.attemptsMade === 0) throw new Error("first attempt fails");
      return Promise.resolve(job.data.x * 2);
    }, { connection: await connect(), drainDelay: 1 });
    worker.on("error", (error) => errors.push(error));
    await queue.addBulk(Array.from({ length: 50 }, (_, x) => ({
      name: "n",
      data: { x },
      opts: x === 3 ? { attempts: 2 } : x === 5 ? { delay: 300 } : x === 7 ? { priority: 2 } : {},
    })));
    await within(15_000, "50 completed events", allCompleted);
    assert.deepEqual(await queue.getJobCounts("completed", "failed", "delayed", "wait"), {
      completed: 50,
      failed: 0,
      delayed: 0,
      wait: 0,
    });
    const jobs = await queue.getCompleted(0, -1);
    assert.deepEqual(
      jobs.map((job) => job.returnvalue).toSorted((a, b) => a - b),
      Array.from({ length: 50 }, (_, x) => x * 2),
    );
    assert.deepEqual(errors, []);
  } finally {
    await within(
      15_000,
      "adapter clients closed",
      Promise.allSettled([worker?.close(), events?.close(), queue?.close()]),
    );
    await Promise.allSettled(clients.map((client) => client.isOpen ? client.quit() : undefined));
    await target.stop();
  }
});

/** Every key with its type, value (in a canonical order) and whether it has a TTL. */
async function keyspaceOf(client: Redis): Promise<Record<string, unknown>> {
  const state: Record<string, unknown> = {};
  for (const key of (await client.keys("*")).sort()) {
    const type = await client.type(key);
    const value = type === "string"
      ? await client.get(key)
      : type === "hash"
      ? Object.entries(await client.hgetall(key)).sort()
      : type === "list"
      ? await client.lrange(key, 0, -1)
      : type === "set"
      ? (await client.smembers(key)).sort()
      : type === "zset"
      ? await client.zrange(key, 0, -1, "WITHSCORES")
      : type === "stream"
      ? await client.xrange(key, "-", "+")
      : `unexpected type ${type}`;
    state[key] = { type, value, expires: (await client.pttl(key)) > 0 };
  }
  return state;
}

Deno.test({
  name:
    "BullMQ (Kache): a queue's state survives a restart from the AOF and moves to redis-server with DUMP/RESTORE",
  ignore: ignore || against !== "Kache",
}, async () => {
  const dir = await Deno.makeTempDir({ prefix: "kache-bullmq-aof-" });
  const redis = await startRedis();
  let server = await startServer(["--appendonly", "yes"], { dir });
  const clients: Redis[] = [];
  const connect = async (port: number) => {
    const client = new Redis({ host: "127.0.0.1", port, lazyConnect: true });
    clients.push(client);
    await client.connect();
    return client;
  };
  try {
    const session = new Session(server.respPort);
    try {
      const queue = session.queue("kept");
      await queue.addBulk(Array.from({ length: 40 }, (_, x) => ({
        name: "n",
        data: { x },
        opts: x % 4 === 0 ? { delay: 600_000 } : x % 4 === 1 ? { priority: 1 + x } : {},
      })));
      let settled = 0;
      const allSettled = new Promise<void>((resolve) => {
        const worker = session.worker("kept", (job) => {
          if (job.data.x % 4 === 2) throw new Error("even pair");
          return Promise.resolve(job.data.x);
        });
        const count = () => {
          if (++settled === 30) resolve();
        };
        worker.on("completed", count);
        worker.on("failed", count);
      });
      await within(15_000, "30 jobs settled", allSettled);
      await session.workersClosed();
      await session.flowProducer().add({
        name: "parent",
        queueName: "kept",
        data: {},
        children: [{ name: "child", queueName: "kept-parts", data: { part: 1 } }],
      });
      await queue.upsertJobScheduler("hourly", { every: 3_600_000 }, { name: "tick" });
    } finally {
      await session.close();
    }

    const kache = await connect(server.respPort);
    const before = await keyspaceOf(kache);
    const types = new Set(Object.values(before).map((entry) => (entry as { type: string }).type));
    assert.deepEqual([...types].sort(), ["hash", "list", "set", "stream", "string", "zset"]);

    // Kache's serialization is Redis's: every key moves over with DUMP and RESTORE.
    const reference = await connect(redis.port);
    for (const key of Object.keys(before)) {
      const ttl = await kache.pttl(key);
      await reference.restore(key, ttl > 0 ? ttl : 0, (await kache.dumpBuffer(key))!);
    }
    assert.deepEqual(await keyspaceOf(reference), before);

    await kache.quit();
    await server.stop();
    server = await startServer(["--appendonly", "yes"], { dir });
    assert.deepEqual(await keyspaceOf(await connect(server.respPort)), before);

    // BullMQ carries on where it stopped: the flow finishes after the restart.
    const resumed = new Session(server.respPort);
    try {
      const parentDone = new Promise<void>((resolve) => {
        resumed.worker("kept", (job) => {
          if (job.name === "parent") resolve();
          return Promise.resolve(job.data.x ?? "parent");
        });
      });
      resumed.worker("kept-parts", (job) => Promise.resolve(job.data.part));
      await within(15_000, "the flow finished after the restart", parentDone);
    } finally {
      await resumed.close();
    }
  } finally {
    await Promise.allSettled(clients.map((client) => client.quit()));
    await server.stop();
    await redis.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
