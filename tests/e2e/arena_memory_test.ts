/**
 * Keys and string values live in a byte arena whose freed slots are reused:
 * after a real server deletes half its keys and writes them again, the
 * arena holds what the first fill took.
 *
 * The process's RSS is not the measure here: the request path's own memory
 * (V8's heap pages, malloc's pools) grows with the number of requests
 * served, whatever they store. Measured with this workload (400k keys,
 * `--save ""`): RSS grew 35 MB by the fill and 30 MB more over three rounds
 * of churn, while `arena_reserved` and `used_memory` did not move.
 */
import assert from "node:assert/strict";
import { servedV8Flags, settledRss } from "../support/overload.ts";
import { RawRespClient } from "../support/resp_client.ts";
import { startServer } from "../support/server_process.ts";

const KEYS = 400_000;
const BATCH = 2_000;
const MB = 1024 * 1024;

function key(index: number): string {
  return `key:${String(index).padStart(12, "0")}`;
}

function value(index: number): string {
  return `value:${String(index).padStart(10, "0")}`;
}

/** Sends `command(i)` for every `i` in [from, KEYS) stepping by `step`, in pipelined batches. */
async function each(
  client: RawRespClient,
  from: number,
  step: number,
  command: (index: number) => string[],
): Promise<void> {
  let batch: string[][] = [];
  for (let i = from; i < KEYS; i += step) {
    batch.push(command(i));
    if (batch.length === BATCH) {
      for (const reply of await client.pipeline(batch)) assert.ok(!reply.raw.startsWith("-"));
      batch = [];
    }
  }
  if (batch.length > 0) await client.pipeline(batch);
}

/** One INFO memory reply, read field by field. */
async function memoryInfo(client: RawRespClient): Promise<(field: string) => number> {
  const info = (await client.send(["INFO", "memory"])).raw;
  return (field) => Number(new RegExp(`\r\n${field}:(\\d+)\r\n`).exec(info)![1]);
}

async function memoryField(client: RawRespClient, field: string): Promise<number> {
  return (await memoryInfo(client))(field);
}

Deno.test("deleting half the keys and writing them again leaves the arena as the first fill left it", async () => {
  // No snapshot: a BGSAVE's worker would take memory of its own during the churn.
  const server = await startServer(["--save", ""], { v8Flags: servedV8Flags() });
  const pid = server.process.pid;
  const client = await RawRespClient.connect(server.respPort);
  try {
    const empty = await settledRss(pid, 1_000);
    assert.equal(await memoryField(client, "arena_reserved"), 0);
    await each(client, 0, 1, (i) => ["SET", key(i), value(i)]);
    const firstFill = await settledRss(pid, 1_000) - empty;
    const firstArena = await memoryField(client, "arena_reserved");
    // Without the client's own buffers (both fields from one INFO): their size when INFO runs
    // depends on how the pipelines' bytes happened to arrive, not on what the keyspace holds.
    const usedWithoutClients = async () => {
      const field = await memoryInfo(client);
      return field("used_memory") - field("mem_clients_normal");
    };
    const firstUsed = await usedWithoutClients();
    // 400k records of 48 bytes (16-byte header, key, value) fill 19 one-MB chunks.
    assert.equal(firstArena, 19 * MB);
    assert.ok(firstFill >= firstArena, `RSS grew ${firstFill} for ${firstArena} of arena`);
    for (let round = 0; round < 3; round++) {
      await each(client, round % 2, 2, (i) => ["DEL", key(i)]);
      await each(client, round % 2, 2, (i) => ["SET", key(i), value(i)]);
    }
    assert.equal(await memoryField(client, "arena_reserved"), firstArena);
    assert.equal(await usedWithoutClients(), firstUsed);
    assert.equal((await client.send(["DBSIZE"])).raw, `:${KEYS}\r\n`);
  } finally {
    client.close();
    await server.stop();
  }
});

Deno.test("string keys and values are not bounded by V8's old space", async () => {
  // 1M keys took ~130 MB of heap when they were JS strings: this heap would have aborted the process.
  const server = await startServer(["--save", ""], {
    v8Flags: [...servedV8Flags(), "--max-old-space-size=64"],
  });
  const client = await RawRespClient.connect(server.respPort);
  try {
    const keys = 1_000_000;
    let batch: string[][] = [];
    for (let i = 0; i < keys; i++) {
      batch.push(["SET", key(i), value(i)]);
      if (batch.length === BATCH || i === keys - 1) {
        for (const reply of await client.pipeline(batch)) assert.equal(reply.raw, "+OK\r\n");
        batch = [];
      }
    }
    assert.equal((await client.send(["DBSIZE"])).raw, `:${keys}\r\n`);
    assert.equal((await client.send(["GET", key(123_456)])).raw, `$16\r\n${value(123_456)}\r\n`);
    assert.ok(await memoryField(client, "arena_reserved") >= keys * 48);
  } finally {
    client.close();
    await server.stop();
  }
});
