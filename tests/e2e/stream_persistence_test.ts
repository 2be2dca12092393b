/**
 * Streams with consumer groups through files, both ways against
 * redis-server 7.0: a dump Redis writes loads in Kache and answers XINFO
 * STREAM FULL, XRANGE and XPENDING exactly as Redis does; a dump Kache
 * writes passes redis-check-rdb and loads in redis-server with the same
 * answers; and the append-only file (XADD with generated IDs, XREADGROUP
 * logged as XCLAIMs, approximate trims logged exactly) replays to the same
 * streams, before and after BGREWRITEAOF.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { ClientReply } from "../../lib/protocol/resp_reply.ts";
import { show } from "../support/differential.ts";
import { RawRespClient } from "../support/resp_client.ts";
import { type RunningServer, startServer } from "../support/server_process.ts";
import { checkRdb, startRedisWithFile, withTempDir } from "../lib/persistence/rdb_support.ts";

/** Streams with tombstones, several nodes, groups, consumers and pending entries. */
const BUILD: readonly string[][] = [
  ...Array.from({ length: 230 }, (_, i) => [
    "XADD",
    "orders",
    `${1000 + i}-${i % 3}`,
    ...(i % 7 === 0 ? ["other", "x".repeat(i % 50)] : ["item", String(i), "qty", String(i % 5)]),
  ]),
  ["XDEL", "orders", "1005-2", "1100-1", "1101-2"],
  ["XGROUP", "CREATE", "orders", "billing", "0"],
  ["XGROUP", "CREATE", "orders", "shipping", "1100", "ENTRIESREAD", "90"],
  ["XGROUP", "CREATE", "orders", "late", "$"],
  ["XREADGROUP", "GROUP", "billing", "alice", "COUNT", "5", "STREAMS", "orders", ">"],
  ["XREADGROUP", "GROUP", "billing", "bob", "COUNT", "3", "STREAMS", "orders", ">"],
  ["XREADGROUP", "GROUP", "shipping", "carol", "COUNT", "2", "STREAMS", "orders", ">"],
  ["XACK", "orders", "billing", "1001-1"],
  [
    "XCLAIM",
    "orders",
    "billing",
    "dave",
    "0",
    "1002-2",
    "RETRYCOUNT",
    "4",
    "TIME",
    "1700000000000",
  ],
  ["XGROUP", "CREATECONSUMER", "orders", "billing", "idle-worker"],
  ["XADD", "empty", "5-5", "f", "v"],
  ["XDEL", "empty", "5-5"],
  ["XGROUP", "CREATE", "empty", "g", "$"],
  ["XADD", "huge-ids", "18446744073709551614-5", "f", "v"],
  ["XADD", "huge-ids", "18446744073709551615-*", "f", "w"],
];

/** What must survive: every reply that depends only on stored state. */
const QUERIES: readonly string[][] = [
  ["XINFO", "STREAM", "orders", "FULL", "COUNT", "0"],
  ["XINFO", "STREAM", "orders"],
  ["XINFO", "GROUPS", "orders"],
  ["XRANGE", "orders", "-", "+"],
  ["XPENDING", "orders", "billing"],
  ["XINFO", "STREAM", "empty", "FULL"],
  ["XINFO", "STREAM", "huge-ids", "FULL"],
  ["XRANGE", "huge-ids", "-", "+"],
  ["XLEN", "empty"],
  ["TYPE", "empty"],
];

async function answers(client: RawRespClient, queries: readonly string[][]): Promise<string[]> {
  const replies: string[] = [];
  for (const argv of queries) replies.push(show((await client.send(argv)).raw));
  return replies;
}

/** Fails naming the first query whose answers differ and where, rather than dumping all of them. */
function assertSameAnswers(
  actual: readonly string[],
  expected: readonly string[],
  what: string,
): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    const [a, b] = [actual[i]!, expected[i]!];
    if (a === b) continue;
    let at = 0;
    while (a[at] === b[at]) at++;
    assert.fail(
      `${what}: answers to query ${i} differ at ${at}:\n  got      …${
        a.slice(at - 80, at + 120)
      }\n` +
        `  expected …${b.slice(at - 80, at + 120)}`,
    );
  }
}

async function build(client: RawRespClient): Promise<void> {
  for (const argv of BUILD) {
    const { reply, raw } = await client.send(argv);
    assert.notEqual(reply.type, "error", `${argv.join(" ")}: ${raw}`);
  }
}

async function withKache(
  dir: string,
  args: string[],
  body: (client: RawRespClient, server: RunningServer) => Promise<void>,
  signal: Deno.Signal = "SIGTERM",
): Promise<void> {
  const server = await startServer(args, { dir });
  const client = await RawRespClient.connect(server.respPort);
  try {
    await body(client, server);
  } finally {
    client.close();
    await server.stop(signal);
  }
}

function field(reply: ClientReply, name: string): ClientReply | undefined {
  const items = reply.type === "array" ? reply.items : [];
  for (let i = 0; i + 1 < items.length; i += 2) {
    const key = items[i]!;
    if (key.type === "bulk" && key.value === name) return items[i + 1];
  }
  return undefined;
}

Deno.test("a dump redis-server writes with streams and groups loads in Kache with the same answers", async () => {
  await withTempDir(async (dir) => {
    const redis = await startRedisWithFile(dir);
    let expected: string[];
    try {
      await build(redis.client);
      expected = await answers(redis.client, QUERIES);
      await redis.command("SAVE");
    } finally {
      await redis.stop();
    }
    await withKache(dir, ["--dbfilename", "dump.rdb", "--save", ""], async (client) => {
      assertSameAnswers(
        await answers(client, QUERIES),
        expected,
        "Kache after loading Redis's dump",
      );
    });
  });
});

Deno.test("a dump Kache writes with streams and groups passes redis-check-rdb and loads in redis-server", async () => {
  await withTempDir(async (dir) => {
    let expected: string[] = [];
    await withKache(dir, ["--dbfilename", "dump.rdb", "--save", ""], async (client) => {
      await build(client);
      expected = await answers(client, QUERIES);
      assert.equal((await client.send(["SAVE"])).reply.type, "status");
    });
    const check = await checkRdb(join(dir, "dump.rdb"));
    assert.ok(check.success, check.output);
    const redis = await startRedisWithFile(dir);
    try {
      assertSameAnswers(
        await answers(redis.client, QUERIES),
        expected,
        "Redis after loading Kache's dump",
      );
    } finally {
      await redis.stop();
    }
  });
});

Deno.test("streams and groups survive the append-only file, before and after a rewrite", async () => {
  await withTempDir(async (dir) => {
    const args = ["--appendonly", "yes", "--appendfsync", "always", "--save", ""];
    let before: string[] = [];
    await withKache(dir, args, async (client) => {
      await build(client);
      // Generated IDs and approximate trims are logged as what they did.
      for (let i = 0; i < 150; i++) {
        await client.send(["XADD", "auto", "MAXLEN", "~", "40", "*", "n", String(i)]);
      }
      before = await answers(client, [...QUERIES, ["XRANGE", "auto", "-", "+"]]);
    }, "SIGKILL");
    // A replayed XCLAIM restores neither a group's entries-read nor a consumer's seen-time
    // (the replay's clock): Redis 7.0 loses them the same way. Everything else must match.
    const withoutEntriesRead = (replies: string[]) =>
      replies.map((reply) =>
        reply
          .replace(/entries-read\\r\\n(?::\d+|\$-1)\\r\\n\$3\\r\\nlag\\r\\n(?::\d+|\$-1)/g, "…")
          .replace(/seen-time\\r\\n:\d+/g, "seen-time …")
      );
    await withKache(dir, args, async (client) => {
      const after = await answers(client, [...QUERIES, ["XRANGE", "auto", "-", "+"]]);
      assertSameAnswers(
        withoutEntriesRead(after),
        withoutEntriesRead(before),
        "after the AOF replay",
      );
      const groups = (await client.send(["XINFO", "GROUPS", "orders"])).reply;
      assert.equal(groups.type, "array");
      const rewrites = async () => {
        const info = (await client.send(["INFO", "persistence"])).reply;
        return info.type === "bulk" ? Number(/aof_rewrites:(\d+)/.exec(info.value)?.[1]) : NaN;
      };
      const done = await rewrites();
      assert.equal((await client.send(["BGREWRITEAOF"])).reply.type, "status");
      for (let i = 0; i < 400 && await rewrites() === done; i++) {
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      assert.equal(await rewrites(), done + 1);
      before = await answers(client, QUERIES);
      // A clean stop: INFO counts the rewrite before its manifest is on disk.
    });
    await withKache(dir, args, async (client) => {
      // The rewritten base is an RDB snapshot: entries-read survives it exactly.
      assertSameAnswers(await answers(client, QUERIES), before, "after the rewrite");
      const full = (await client.send(["XINFO", "STREAM", "orders", "FULL"])).reply;
      const groups = field(full, "groups");
      assert.ok(groups !== undefined && groups.type === "array" && groups.items.length === 3);
    });
  });
});
