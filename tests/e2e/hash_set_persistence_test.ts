/**
 * Hashes and sets through a real server: the binary protocol (replies as TLV
 * items), SAVE and restart, the AOF across kill -9 (SPOP logged as the SREM
 * of what it took, HINCRBYFLOAT as HSET), and an AOF rewrite whose RDB base
 * holds them.
 */
import assert from "node:assert/strict";
import type { ClientReply } from "../../lib/protocol/resp_reply.ts";
import { RawKacheClient } from "../support/kache_client.ts";
import { RawRespClient } from "../support/resp_client.ts";
import { type RunningServer, startServer } from "../support/server_process.ts";

async function command(client: RawRespClient, ...argv: string[]): Promise<ClientReply> {
  const { reply } = await client.send(argv);
  if (reply.type === "error") throw new Error(`${argv[0]} failed: ${reply.message}`);
  return reply;
}

function strings(reply: ClientReply): string[] {
  if (reply.type !== "array" && reply.type !== "set") {
    throw new Error(`expected an array, got ${JSON.stringify(reply)}`);
  }
  return reply.items.map((item) => item.type === "bulk" ? item.value : JSON.stringify(item));
}

/** Every hash and set key, as sorted plain data: what a restart must reproduce. */
async function stateOf(client: RawRespClient): Promise<Record<string, string[]>> {
  const state: Record<string, string[]> = {};
  for (const key of strings(await command(client, "KEYS", "*")).sort()) {
    const type = await command(client, "TYPE", key);
    const kind = type.type === "status" ? type.value : "";
    if (kind === "hash") {
      const flat = strings(await command(client, "HGETALL", key));
      const pairs: string[] = [];
      for (let i = 0; i < flat.length; i += 2) pairs.push(`${flat[i]}=${flat[i + 1]}`);
      state[key] = pairs.sort();
    } else if (kind === "set") {
      state[key] = strings(await command(client, "SMEMBERS", key)).sort();
    }
  }
  return state;
}

async function withTempDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "kache-hash-set-" });
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function withKache(
  dir: string,
  args: string[],
  body: (client: RawRespClient, server: RunningServer) => Promise<void>,
  stop: Deno.Signal = "SIGTERM",
): Promise<void> {
  const server = await startServer(args, { dir });
  const client = await RawRespClient.connect(server.respPort);
  try {
    await body(client, server);
  } finally {
    client.close();
    await server.stop(stop);
  }
}

/** Writes hashes and sets, random pops included; returns the state they left. */
async function writeData(client: RawRespClient): Promise<Record<string, string[]>> {
  const fields: string[] = [];
  for (let i = 0; i < 500; i++) fields.push(`f${i}`, `v${i}`);
  await command(client, "HSET", "big", ...fields);
  await command(client, "HSET", "h", "a", "1", "\x00\xff", "bin");
  await command(client, "HINCRBYFLOAT", "h", "float", "0.1");
  await command(client, "HINCRBYFLOAT", "h", "float", "0.2");
  await command(client, "HINCRBY", "h", "a", "41");
  const members: string[] = [];
  for (let i = 0; i < 300; i++) members.push(String(i));
  await command(client, "SADD", "pool", ...members);
  await command(client, "SPOP", "pool");
  await command(client, "SPOP", "pool", "50");
  await command(client, "SADD", "small", "x", "y", "z");
  await command(client, "SPOP", "small", "5");
  await command(client, "SADD", "a", "1", "2", "3");
  await command(client, "SADD", "b", "2", "3", "4");
  await command(client, "SINTERSTORE", "inter", "a", "b");
  await command(client, "SMOVE", "a", "moved", "1");
  await command(client, "PEXPIRE", "b", "100000000");
  return await stateOf(client);
}

Deno.test("hashes and sets: the binary protocol replies with TLV items", async () => {
  const server = await startServer();
  const binary = await RawKacheClient.connect(server.kachePort);
  try {
    assert.deepEqual(await binary.request(["HSET", "h", "f", "v", "g", "w"]), {
      status: 0,
      item: { tag: "integer", value: 2n },
    });
    assert.deepEqual(await binary.request(["HGETALL", "h"]), {
      status: 0,
      item: {
        tag: "array",
        items: ["f", "v", "g", "w"].map((value) => ({ tag: "string", value })),
      },
    });
    assert.deepEqual(await binary.request(["SADD", "s", "m"]), {
      status: 0,
      item: { tag: "integer", value: 1n },
    });
    assert.deepEqual(await binary.request(["SMEMBERS", "s"]), {
      status: 0,
      item: { tag: "array", items: [{ tag: "string", value: "m" }] },
    });
    const wrong = await binary.request(["SADD", "h", "m"]);
    assert.equal(wrong.item?.tag, "error");
  } finally {
    binary.close();
    await server.stop();
  }
});

Deno.test("hashes and sets: SAVE then restart keeps them", async () => {
  await withTempDir(async (dir) => {
    let expected: Record<string, string[]> = {};
    await withKache(dir, [], async (client) => {
      expected = await writeData(client);
      await command(client, "SAVE");
    });
    await withKache(dir, [], async (client) => {
      assert.deepEqual(await stateOf(client), expected);
      const ttl = await command(client, "PTTL", "b");
      assert.ok(ttl.type === "integer" && ttl.value > 90_000_000n);
    });
  });
});

Deno.test("hashes and sets: the AOF replays random pops as what they took", async () => {
  await withTempDir(async (dir) => {
    const aof = ["--appendonly", "yes", "--appendfsync", "always"];
    let expected: Record<string, string[]> = {};
    await withKache(dir, aof, async (client) => {
      expected = await writeData(client);
    }, "SIGKILL");
    const incr = await Deno.readTextFile(`${dir}/appendonlydir/appendonly.aof.1.incr.aof`);
    assert.doesNotMatch(incr, /SPOP|HINCRBYFLOAT/i);
    assert.match(incr, /\$4\r\nSREM\r\n\$4\r\npool\r\n/);
    assert.match(incr, /\$4\r\nHSET\r\n\$1\r\nh\r\n\$5\r\nfloat\r\n\$3\r\n0\.3\r\n/);
    await withKache(dir, aof, async (client) => {
      assert.deepEqual(await stateOf(client), expected);
      // Then a rewrite: the new base is an RDB holding the hashes and sets.
      await command(client, "BGREWRITEAOF");
      for (let i = 0; i < 200; i++) {
        const info = await command(client, "INFO", "persistence");
        if (info.type === "bulk" && info.value.includes("aof_rewrite_in_progress:0")) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await command(client, "SADD", "after", "rewrite");
      expected = await stateOf(client);
    }, "SIGKILL");
    await withKache(dir, aof, async (client) => {
      assert.deepEqual(await stateOf(client), expected);
    });
  });
});
