import assert from "node:assert/strict";
import {
  formatClientOutputLimits,
  type OutputLimit,
  outputLimitReached,
  parseClientOutputLimits,
} from "../../lib/client_output_limits.ts";
import { Config } from "../../lib/config.ts";

const REDIS_DEFAULT = "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60";

function limitsOf(text: string) {
  const parsed = parseClientOutputLimits(text);
  if ("error" in parsed) throw new Error(parsed.error);
  return parsed.limits;
}

Deno.test("client-output-buffer-limit defaults print as redis-server 7.0 prints them", () => {
  const config = new Config();
  assert.equal(config.string("client-output-buffer-limit"), REDIS_DEFAULT);
  assert.deepEqual(config.get((name) => name === "client-output-buffer-limit"), [
    ["client-output-buffer-limit", REDIS_DEFAULT],
  ]);
});

Deno.test("parseClientOutputLimits reads units and accepts replica or slave in any case", () => {
  const limits = limitsOf("PubSub 1mb 512KB 10 replica 1g 1k 0 SLAVE 7 8 9");
  assert.deepEqual(limits.pubsub, { hard: 1048576, soft: 524288, softSeconds: 10 });
  assert.deepEqual(limits.replica, { hard: 7, soft: 8, softSeconds: 9 });
  assert.deepEqual(limits.normal, { hard: 0, soft: 0, softSeconds: 0 });
});

Deno.test("CONFIG SET of some classes keeps the others, as in Redis", () => {
  const config = new Config();
  assert.equal(
    config.set("client-output-buffer-limit", "pubsub 1mb 2mb 3", { startup: false }),
    undefined,
  );
  assert.equal(
    config.string("client-output-buffer-limit"),
    "normal 0 0 0 slave 268435456 67108864 60 pubsub 1048576 2097152 3",
  );
  assert.equal(
    config.set("client-output-buffer-limit", "replica 1 2 3 normal 4 5 6", { startup: false }),
    undefined,
  );
  assert.equal(
    config.string("client-output-buffer-limit"),
    "normal 4 5 6 slave 1 2 3 pubsub 1048576 2097152 3",
  );
  assert.equal(config.set("client-output-buffer-limit", "", { startup: false }), undefined);
  assert.equal(
    config.string("client-output-buffer-limit"),
    "normal 4 5 6 slave 1 2 3 pubsub 1048576 2097152 3",
  );
});

Deno.test("client-output-buffer-limit refuses bad values with Redis's texts, changing nothing", () => {
  const config = new Config();
  const failure = (text: string) =>
    config.set("client-output-buffer-limit", text, { startup: false });
  const prefix = "CONFIG SET failed (possibly related to argument 'client-output-buffer-limit') - ";
  assert.equal(
    failure("pubsub 1mb 2mb"),
    prefix + "Wrong number of arguments in buffer limit configuration.",
  );
  assert.equal(
    failure("master 1 2 3"),
    prefix + "Invalid client class specified in buffer limit configuration.",
  );
  assert.equal(
    failure("pubsub 1 2 3 foo 1 2 3"),
    prefix + "Invalid client class specified in buffer limit configuration.",
  );
  for (
    const bad of ["pubsub 1xb 2mb 3", "pubsub -1 2 3", "pubsub 1 2 -3", "normal 1 2 3 pubsub x 1 1"]
  ) {
    assert.equal(
      failure(bad),
      prefix + "Error in hard, soft or soft_seconds setting in buffer limit configuration.",
      bad,
    );
  }
  assert.equal(config.string("client-output-buffer-limit"), REDIS_DEFAULT);
});

Deno.test("formatClientOutputLimits round-trips what parseClientOutputLimits reads", () => {
  assert.equal(formatClientOutputLimits(limitsOf(REDIS_DEFAULT)), REDIS_DEFAULT);
  assert.equal(
    formatClientOutputLimits(limitsOf("normal 0 0 0 replica 256mb 64mb 60 pubsub 32mb 8mb 60")),
    REDIS_DEFAULT,
  );
});

Deno.test("outputLimitReached trips at the hard limit at once", () => {
  const limit: OutputLimit = { hard: 100, soft: 0, softSeconds: 0 };
  const state = { softSince: undefined };
  assert.equal(outputLimitReached(limit, 99, () => 0, state), false);
  assert.equal(outputLimitReached(limit, 100, () => 0, state), true);
});

Deno.test("outputLimitReached trips over the soft limit only after its seconds have passed", () => {
  const limit: OutputLimit = { hard: 0, soft: 50, softSeconds: 2 };
  const state: { softSince: number | undefined } = { softSince: undefined };
  assert.equal(outputLimitReached(limit, 60, () => 1000, state), false);
  assert.equal(state.softSince, 1000);
  assert.equal(outputLimitReached(limit, 60, () => 3000, state), false, "exactly 2 s is not over");
  assert.equal(outputLimitReached(limit, 60, () => 3001, state), true);
  // Dropping under the soft limit starts the clock over.
  assert.equal(outputLimitReached(limit, 10, () => 4000, state), false);
  assert.equal(state.softSince, undefined);
  assert.equal(outputLimitReached(limit, 60, () => 5000, state), false);
});

Deno.test("outputLimitReached never reads the clock under the soft limit", () => {
  const limit: OutputLimit = { hard: 1000, soft: 500, softSeconds: 1 };
  const state = { softSince: undefined };
  const clock = () => {
    throw new Error("clock read");
  };
  assert.equal(outputLimitReached(limit, 499, clock, state), false);
  assert.equal(outputLimitReached({ hard: 0, soft: 0, softSeconds: 0 }, 1e9, clock, state), false);
});

Deno.test("notify-keyspace-events is a CONFIG SET parameter printed back in Redis's form", () => {
  const config = new Config();
  assert.deepEqual(config.get((name) => name === "notify-keyspace-events"), [
    ["notify-keyspace-events", ""],
  ]);
  assert.equal(config.set("notify-keyspace-events", "KEA", { startup: false }), undefined);
  assert.deepEqual(config.get((name) => name === "notify-keyspace-events"), [
    ["notify-keyspace-events", "AKE"],
  ]);
  assert.equal(
    config.set("notify-keyspace-events", "Q", { startup: false }),
    "CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - " +
      "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.",
  );
  assert.deepEqual(config.get((name) => name === "notify-keyspace-events"), [
    ["notify-keyspace-events", "AKE"],
  ]);
});
