/**
 * HyperLogLog against redis-server 7.0: the same PFADD/PFCOUNT/PFMERGE
 * sequences go to both and every reply must be identical byte for byte,
 * GET of the PF keys included, which proves the encoding (sparse opcodes,
 * promotion to dense at `hll-sparse-max-bytes`, the cached cardinality in
 * the header). Then values cross between the servers (GET/SET and
 * DUMP/RESTORE, both ways), and a million distinct elements are counted
 * within 0.81 % and to exactly Redis's count.
 *
 * No normalization is applied: HLL replies are integers, OK, errors and
 * the values' bytes.
 */
import assert from "node:assert/strict";
import { type Argv, Pair, Picker } from "../support/differential.ts";
import { type RunningRedis, startRedis } from "../support/redis_process.ts";
import { RawRespClient } from "../support/resp_client.ts";
import { type RunningServer, startServer } from "../support/server_process.ts";

const KEYS = ["h1", "h2", "h3", "{h}dest"];

/** An element: short binary, a number, or from a small pool (so repeats happen). */
function element(pick: Picker): string {
  const kind = pick.int(4);
  if (kind === 0) return `pool-${pick.int(50)}`;
  if (kind === 1) return String(pick.int(1_000_000_000));
  let text = "";
  const length = pick.int(kind === 2 ? 9 : 40);
  for (let i = 0; i < length; i++) text += String.fromCharCode(pick.int(256));
  return text;
}

/** A value that looks like an HLL but is broken in one of the ways Redis checks. */
function damaged(pick: Picker, value: string): string {
  switch (pick.int(4)) {
    case 0:
      return value.slice(0, Math.max(0, value.length - 1 - pick.int(4)));
    case 1: {
      const at = 16 + pick.int(Math.max(1, value.length - 16));
      return value.slice(0, at) + String.fromCharCode(pick.int(256)) + value.slice(at + 1);
    }
    case 2:
      return value.slice(0, 4) + "\x02" + value.slice(5);
    default:
      return value + "\0";
  }
}

/** Seeded random PF commands, with GETs of the values and the odd non-HLL value. */
function randomCommands(seed: number, count: number): Argv[] {
  const pick = new Picker(seed);
  const commands: Argv[] = [];
  for (let n = 0; n < count; n++) {
    const key = pick.one(KEYS);
    const roll = pick.int(100);
    if (roll < 55) {
      const elements = Array.from(
        { length: pick.int(pick.chance(0.1) ? 300 : 8) },
        () => element(pick),
      );
      commands.push(["PFADD", key, ...elements]);
    } else if (roll < 70) {
      commands.push(["PFCOUNT", ...pick.some(KEYS, 3)]);
    } else if (roll < 78) {
      commands.push(["PFMERGE", key, ...pick.some(KEYS, 3)]);
    } else if (roll < 90) {
      commands.push(["GET", key]);
    } else if (roll < 93) {
      commands.push([
        "CONFIG",
        "SET",
        "hll-sparse-max-bytes",
        pick.one(["0", "60", "300", "3000"]),
      ]);
    } else if (roll < 95) {
      commands.push(["DEL", key]);
    } else if (roll < 97) {
      commands.push(["SET", key, pick.one(["plain", "HYLL", "HYLL\x01\0\0\0\0\0\0\0\0\0\0"])]);
    } else {
      commands.push(["RPUSH", key, "x"]);
    }
  }
  return commands;
}

async function withBoth(
  body: (redis: RunningRedis, kache: RunningServer) => Promise<void>,
): Promise<void> {
  const redis = await startRedis();
  const kache = await startServer().catch(async (error) => {
    await redis.stop();
    throw error;
  });
  try {
    await body(redis, kache);
  } finally {
    await Promise.all([redis.stop(), kache.stop()]);
  }
}

/** The same pipeline on both; every reply must be identical. */
async function pipelineAlike(pair: Pair, commands: readonly Argv[], what: string): Promise<void> {
  const [fromRedis, fromKache] = [
    await pair.redis.pipeline(commands),
    await pair.kache.pipeline(commands),
  ];
  for (let i = 0; i < commands.length; i++) {
    if (fromRedis[i]!.raw !== fromKache[i]!.raw) {
      assert.fail(
        `${what}: disagree on ${JSON.stringify(commands[i]).slice(0, 200)}\n` +
          `  redis: ${JSON.stringify(fromRedis[i]!.raw).slice(0, 300)}\n` +
          `  kache: ${JSON.stringify(fromKache[i]!.raw).slice(0, 300)}`,
      );
    }
  }
}

Deno.test({
  name: "Redis and Kache reply alike to PFADD, PFCOUNT, PFMERGE and GET of the values",
  async fn(t) {
    await withBoth(async (redis, kache) => {
      const pair = await Pair.open(redis.port, kache.respPort);
      try {
        await t.step("errors and edge cases", async () => {
          await pair.runAll([
            ["FLUSHALL"],
            ["PFADD"],
            ["PFCOUNT"],
            ["PFMERGE"],
            ["PFADD", "h"],
            ["GET", "h"],
            ["PFADD", "h"],
            ["PFCOUNT", "h"],
            ["PFADD", "h", "", "a", "b", "a"],
            ["GET", "h"],
            ["PFCOUNT", "h"],
            ["GET", "h"],
            ["PFCOUNT", "missing"],
            ["PFCOUNT", "h", "missing"],
            ["PFMERGE", "empty"],
            ["GET", "empty"],
            ["PFMERGE", "m", "h", "missing", "empty"],
            ["GET", "m"],
            ["SET", "s", "not an hll"],
            ["SET", "i", "12345"],
            ["RPUSH", "l", "x"],
            ["PFADD", "s", "a"],
            ["PFADD", "i", "a"],
            ["PFADD", "l", "a"],
            ["PFCOUNT", "s"],
            ["PFCOUNT", "l"],
            ["PFCOUNT", "h", "s"],
            ["PFCOUNT", "h", "l"],
            ["PFMERGE", "s", "h"],
            ["PFMERGE", "h", "l"],
            ["PFMERGE", "new", "h", "s"],
            ["EXISTS", "new"],
            ["SET", "bad", "HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80\x40\x63"],
            ["PFCOUNT", "bad"],
            ["PFCOUNT", "bad", "h"],
            ["PFMERGE", "m", "bad"],
            ["PFADD", "bad", "a", "b", "c", "d", "e", "f"],
            ["GET", "bad"],
            ["SET", "dense", "HYLL\0" + "\0".repeat(11)],
            ["PFADD", "dense", "a"],
            ["PFADD", "h", "x"],
            ["EXPIRE", "h", "1000"],
            ["PFCOUNT", "h"],
            ["TTL", "h"],
            ["PFMERGE", "h", "m"],
            ["TTL", "h"],
            ["TYPE", "h"],
          ]);
          pair.assertAgreed();
        });
        for (const seed of [1, 2, 3]) {
          await t.step(`2,000 seeded random commands, seed ${seed}`, async () => {
            await pair.runAll([["FLUSHALL"], ["CONFIG", "SET", "hll-sparse-max-bytes", "3000"]]);
            const commands = randomCommands(seed, 2000);
            // Now and then a damaged copy of a real HLL value, for the INVALIDOBJ paths.
            const pick = new Picker(seed + 100);
            for (const argv of commands) {
              const reply = await pair.run(...argv);
              if (argv[0] === "GET" && reply.reply.type === "bulk" && pick.chance(0.1)) {
                await pair.run("SET", "broken", damaged(pick, reply.reply.value));
                await pair.run("PFCOUNT", "broken");
                await pair.run("PFADD", "broken", element(pick), element(pick));
                await pair.run("PFMERGE", "broken", pick.one(KEYS));
                await pair.run("GET", "broken");
              }
            }
            pair.assertAgreed();
          });
        }
        for (const max of ["3000", "200", "12000"]) {
          await t.step(
            `sparse to dense, one element at a time, hll-sparse-max-bytes ${max}`,
            async () => {
              await pair.runAll([["FLUSHALL"], ["CONFIG", "SET", "hll-sparse-max-bytes", max]]);
              const pick = new Picker(Number(max));
              const commands: Argv[] = [];
              for (let i = 0; i < 6000; i++) {
                commands.push(["PFADD", "grow", element(pick)]);
                if (i % 50 === 0) commands.push(["GET", "grow"], ["PFCOUNT", "grow"]);
              }
              commands.push(["STRLEN", "grow"], ["GET", "grow"]);
              await pipelineAlike(pair, commands, `max ${max}`);
            },
          );
        }
        await t.step(
          "merging sparse and dense HLLs into sparse, dense and missing keys",
          async () => {
            await pair.runAll([["FLUSHALL"], ["CONFIG", "SET", "hll-sparse-max-bytes", "3000"]]);
            const pick = new Picker(9);
            const commands: Argv[] = [];
            for (const [key, size] of [["small", 20], ["mid", 400], ["big", 20_000]] as const) {
              for (let i = 0; i < size; i += 100) {
                commands.push([
                  "PFADD",
                  key,
                  ...Array.from({ length: Math.min(100, size - i) }, () => element(pick)),
                ]);
              }
            }
            commands.push(
              ["PFMERGE", "s1", "small"],
              ["PFMERGE", "s2", "small", "mid"],
              ["PFMERGE", "s3", "small", "big"],
              ["PFMERGE", "small", "mid"],
              ["PFMERGE", "mid", "big"],
              ["PFCOUNT", "small", "mid", "big", "s1", "s2", "s3"],
            );
            for (const key of ["s1", "s2", "s3", "small", "mid", "big"]) {
              commands.push(["GET", key], ["PFCOUNT", key], ["GET", key]);
            }
            await pipelineAlike(pair, commands, "merge");
          },
        );
      } finally {
        pair.close();
      }
    });
  },
});

Deno.test({
  name: "PF values cross between Redis and Kache by GET/SET and DUMP/RESTORE and count the same",
  async fn() {
    await withBoth(async (redis, kache) => {
      const [r, k] = [
        await RawRespClient.connect(redis.port),
        await RawRespClient.connect(kache.respPort),
      ];
      try {
        const pick = new Picker(42);
        for (const size of [3, 300, 5000]) {
          const elements = Array.from({ length: size }, () => element(pick));
          const more = Array.from({ length: 50 }, () => element(pick));
          for (const [from, to] of [[r, k], [k, r]] as const) {
            for (const how of ["SET", "RESTORE"]) {
              await from.send(["DEL", "src"]);
              await from.send(["PFADD", "src", ...elements]);
              const value = await from.send([how === "SET" ? "GET" : "DUMP", "src"]);
              assert.equal(value.reply.type, "bulk");
              if (value.reply.type !== "bulk") return;
              await to.send(["DEL", "copy"]);
              const stored = how === "SET"
                ? await to.send(["SET", "copy", value.reply.value])
                : await to.send(["RESTORE", "copy", "0", value.reply.value]);
              assert.equal(stored.raw, "+OK\r\n", `${size} ${how}`);
              assert.equal(
                (await to.send(["PFCOUNT", "copy"])).raw,
                (await from.send(["PFCOUNT", "src"])).raw,
                `${size} ${how}`,
              );
              // Added to on both sides, the values stay byte-identical.
              await from.send(["PFADD", "src", ...more]);
              await to.send(["PFADD", "copy", ...more]);
              assert.equal(
                (await to.send(["GET", "copy"])).raw,
                (await from.send(["GET", "src"])).raw,
              );
              assert.equal(
                (await to.send(["PFCOUNT", "copy"])).raw,
                (await from.send(["PFCOUNT", "src"])).raw,
              );
            }
          }
        }
      } finally {
        r.close();
        k.close();
      }
    });
  },
});

Deno.test({
  name: "PFCOUNT of 1,000,000 distinct elements is within 0.81 % and equal to Redis's count",
  async fn() {
    await withBoth(async (redis, kache) => {
      const [r, k] = [
        await RawRespClient.connect(redis.port),
        await RawRespClient.connect(kache.respPort),
      ];
      try {
        const total = 1_000_000;
        const perCommand = 1000;
        const commandsPerPipeline = 50;
        for (let start = 0; start < total; start += perCommand * commandsPerPipeline) {
          const batch: Argv[] = [];
          for (let c = 0; c < commandsPerPipeline; c++) {
            const from = start + c * perCommand;
            const argv = ["PFADD", "million"];
            for (let i = from; i < from + perCommand; i++) argv.push(`user:${i}`);
            batch.push(argv);
          }
          const [a, b] = await Promise.all([r.pipeline(batch), k.pipeline(batch)]);
          assert.deepEqual(b.map((reply) => reply.raw), a.map((reply) => reply.raw));
        }
        const fromRedis = await r.send(["PFCOUNT", "million"]);
        const fromKache = await k.send(["PFCOUNT", "million"]);
        assert.equal(fromKache.raw, fromRedis.raw);
        assert.equal(fromKache.reply.type, "integer");
        const count = fromKache.reply.type === "integer" ? Number(fromKache.reply.value) : 0;
        const error = Math.abs(count - total) / total;
        assert.ok(error <= 0.0081, `count ${count}, error ${(error * 100).toFixed(3)} %`);
        assert.equal(
          (await k.send(["GET", "million"])).raw,
          (await r.send(["GET", "million"])).raw,
        );
      } finally {
        r.close();
        k.close();
      }
    });
  },
});

Deno.test({
  name: "PF values, cached cardinality included, survive a restart from the AOF and from the RDB",
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "kache-hll-" });
    try {
      const values: string[] = [];
      let server = await startServer(["--appendonly", "yes"], { dir });
      try {
        const client = await RawRespClient.connect(server.respPort);
        const pick = new Picker(7);
        await client.send(["PFADD", "sparse", ...Array.from({ length: 40 }, () => element(pick))]);
        await client.send(["PFADD", "dense", ...Array.from({ length: 5000 }, () => element(pick))]);
        // The cache refresh of PFCOUNT must reach the AOF too.
        await client.send(["PFCOUNT", "sparse"]);
        await client.send(["PFCOUNT", "dense"]);
        await client.send(["PFMERGE", "merged", "sparse", "dense"]);
        for (const key of ["sparse", "dense", "merged"]) {
          values.push((await client.send(["GET", key])).raw);
        }
        // PFCOUNT left a valid cache in both (the top bit of the header's last byte clear).
        for (const raw of values.slice(0, 2)) {
          const value = raw.slice(raw.indexOf("\r\n") + 2, -2);
          assert.equal(value.charCodeAt(15) & 0x80, 0);
        }
        client.close();
      } finally {
        await server.stop();
      }
      for (const flags of [["--appendonly", "yes"], ["--appendonly", "no"]]) {
        server = await startServer(flags, { dir });
        try {
          const client = await RawRespClient.connect(server.respPort);
          const restored = [];
          for (const key of ["sparse", "dense", "merged"]) {
            restored.push((await client.send(["GET", key])).raw);
          }
          assert.deepEqual(restored, values, flags.join(" "));
          // Leaves a dump.rdb for the next start without the AOF.
          await client.send(["SAVE"]);
          client.close();
        } finally {
          await server.stop();
        }
      }
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
