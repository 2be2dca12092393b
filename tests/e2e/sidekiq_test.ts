/**
 * Sidekiq (Debian's ruby-sidekiq 6.4, on redis-rb 4.8), unchanged, against a
 * real Kache server: jobs pushed by one Ruby process, run by a `sidekiq`
 * server process (its fetcher blocks in BRPOP, its poller moves due jobs from
 * the `schedule` and `retry` sorted sets with a Lua script, its heartbeat
 * keeps process hashes), retried from the retry set, sent to the dead set when
 * they fail for good, and counted by Sidekiq's own API (`Sidekiq::Stats`).
 *
 * Ignored where Ruby's sidekiq is not installed (apt-get install ruby-sidekiq).
 * `KACHE_E2E_TARGET=redis` runs it against redis-server
 * (tests/support/e2e_target.ts).
 *
 * @module
 */
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { startTarget, TARGET_NAME } from "../support/e2e_target.ts";

/** Whether the `sidekiq` command runs (it prints its version and exits). */
function hasSidekiq(): boolean {
  try {
    return new Deno.Command("sidekiq", { args: ["-V"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

const WORKERS = `
require "sidekiq"

# Poll the schedule and retry sets about every second, from the start.
Sidekiq.options[:poll_interval_average] = 1

class DoubleJob
  include Sidekiq::Worker
  def perform(x)
    Sidekiq.redis { |redis| redis.hset("results", x.to_s, (x * 2).to_s) }
  end
end

class FlakyJob
  include Sidekiq::Worker
  sidekiq_options retry: 3
  # An hour, so only the test's "Retry now" runs it again: Sidekiq's own first delay (15-24 s)
  # can fall due while a loaded machine is still running the first jobs, and its poller then
  # retries the job behind the test's back.
  sidekiq_retry_in { |_count, _exception| 3600 }
  def perform
    attempts = Sidekiq.redis { |redis| redis.incr("flaky:attempts") }
    raise "flaky attempt #{attempts}" if attempts <= 2
    Sidekiq.redis { |redis| redis.set("flaky:done", attempts) }
  end
end

class BrokenJob
  include Sidekiq::Worker
  sidekiq_options retry: 0
  def perform
    Sidekiq.redis { |redis| redis.incr("broken:attempts") }
    raise ArgumentError, "always broken"
  end
end
`;

const ENQUEUE = `
require "json"
require_relative "workers"
puts JSON.generate({
  "double" => (0...50).map { |x| DoubleJob.perform_async(x) },
  "flaky" => FlakyJob.perform_async,
  "broken" => BrokenJob.perform_async,
  "scheduled" => DoubleJob.perform_in(2, 100),
  "enqueued_at" => Time.now.to_f,
})
`;

/**
 * What the Web UI's "Retry now" does: every job in the retry set goes back to its queue, once.
 * (Not RetrySet#retry_all: it loops while the set is non-empty, so a job that fails again
 * quickly enough is retried a second time by the same call.)
 */
const RETRY_ALL = `
require "sidekiq/api"
Sidekiq::RetrySet.new.to_a.each(&:retry)
`;

const REPORT = `
require "json"
require "sidekiq/api"
stats = Sidekiq::Stats.new
puts JSON.generate({
  "processed" => stats.processed,
  "failed" => stats.failed,
  "enqueued" => stats.enqueued,
  "retries" => stats.retry_size,
  "scheduled" => stats.scheduled_size,
  "dead" => Sidekiq::DeadSet.new.map { |job|
    { "class" => job.klass, "error" => job["error_class"], "message" => job["error_message"] }
  },
  "queues" => Sidekiq::Queue.all.map(&:name),
  # Sidekiq 6.4 leaves its heartbeat thread running through shutdown (launcher.rb: "we don't
  # stop the heartbeat thread"): a beat between clear_heartbeat and exit re-adds the process,
  # marked quiet. So what a clean stop leaves is no process that is not stopping.
  "running" => Sidekiq::ProcessSet.new.count { |process| !process.stopping? },
})
`;

/** Runs `ruby file` in `dir` with REDIS_URL set, killed after a minute; returns stdout. */
async function runRuby(dir: string, file: string, redisUrl: string): Promise<string> {
  const { success, stdout, stderr } = await new Deno.Command("ruby", {
    args: [file],
    cwd: dir,
    env: { REDIS_URL: redisUrl },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  }).output();
  const text = new TextDecoder();
  assert.ok(success, `ruby ${file} failed:\n${text.decode(stderr)}`);
  return text.decode(stdout);
}

/** Resolves once `condition()` holds, polling every 50 ms; rejects after `ms`. */
async function until(ms: number, what: string, condition: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what}: not true within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

Deno.test({
  name: `Sidekiq (${TARGET_NAME}): a sidekiq process runs pushed, scheduled, retried and dead jobs`,
  ignore: !hasSidekiq(),
  async fn() {
    const server = await startTarget();
    const dir = await Deno.makeTempDir({ prefix: "kache-sidekiq-" });
    const redisUrl = `redis://127.0.0.1:${server.port}`;
    const client = new Redis({ host: "127.0.0.1", port: server.port, lazyConnect: true });
    let sidekiq: Deno.ChildProcess | undefined;
    try {
      await client.connect();
      await Deno.writeTextFile(`${dir}/workers.rb`, WORKERS);
      await Deno.writeTextFile(`${dir}/enqueue.rb`, ENQUEUE);
      await Deno.writeTextFile(`${dir}/retry_all.rb`, RETRY_ALL);
      await Deno.writeTextFile(`${dir}/report.rb`, REPORT);
      const ids = JSON.parse(await runRuby(dir, "enqueue.rb", redisUrl));
      assert.equal(ids.double.length, 50);
      assert.equal(await client.llen("queue:default"), 52);
      assert.equal(await client.zcard("schedule"), 1);

      sidekiq = new Deno.Command("sidekiq", {
        args: ["-r", "./workers.rb", "-c", "5", "-t", "2"],
        cwd: dir,
        env: { REDIS_URL: redisUrl },
        stdin: "null",
        stdout: "null",
        stderr: "null",
      }).spawn();
      await until(
        30_000,
        "plain jobs done, flaky waiting to retry, broken dead",
        async () =>
          (await client.hlen("results")) >= 50 && (await client.zcard("retry")) === 1 &&
          (await client.zcard("dead")) === 1,
      );
      // Two rounds of "retry now": the flaky job fails once more, then succeeds.
      await runRuby(dir, "retry_all.rb", redisUrl);
      await until(
        15_000,
        "second failure back in the retry set",
        async () =>
          (await client.get("flaky:attempts")) === "2" && (await client.zcard("retry")) === 1,
      );
      await runRuby(dir, "retry_all.rb", redisUrl);
      await until(
        15_000,
        "flaky job succeeded",
        async () => (await client.get("flaky:done")) === "3",
      );
      // The poller moves the scheduled job once due (2 s after it was pushed).
      await until(
        30_000,
        "scheduled job ran",
        async () => (await client.hget("results", "100")) === "200",
      );

      sidekiq.kill("SIGTERM");
      assert.equal((await sidekiq.status).code, 0, "sidekiq shut down cleanly");
      sidekiq = undefined;

      const results = await client.hgetall("results");
      assert.deepEqual(
        results,
        Object.fromEntries([
          ...Array.from({ length: 50 }, (_, x) => x),
          100,
        ].map((x) => [
          String(x),
          String(x * 2),
        ])),
      );
      assert.equal(await client.get("broken:attempts"), "1", "retry: 0 means one attempt");
      const report = JSON.parse(await runRuby(dir, "report.rb", redisUrl));
      assert.deepEqual(report, {
        processed: 55, // every run counts: 50 + the scheduled one + 3 flaky + 1 broken
        failed: 3, // 2 flaky + 1 broken
        enqueued: 0,
        retries: 0,
        scheduled: 0,
        dead: [{ class: "BrokenJob", error: "ArgumentError", message: "always broken" }],
        queues: ["default"], // the set of known queues keeps its name once empty
        running: 0,
      });
    } finally {
      if (sidekiq !== undefined) {
        sidekiq.kill("SIGKILL");
        await sidekiq.status;
      }
      await client.quit().catch(() => {});
      await server.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
