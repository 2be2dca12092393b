/**
 * End-to-end fuzzing of a real `kache serve` process: many connections send
 * mutated RESP and binary streams (grammar-made commands, then byte-level
 * mutations, written in random chunks, read or abandoned at random) while
 * two steady clients, one per protocol, keep doing SET/GET and check every
 * reply. Afterwards the server must still answer, must have logged no
 * exception escaping a connection loop, and its client count must fall back
 * to the one connection asking.
 *
 * Bounded: the attack phase lasts {@link ATTACK_MS}, every network wait has a
 * timeout, and the server is always stopped.
 */
import assert from "node:assert/strict";
import { encodeKacheRequest, KacheStatus } from "../../lib/protocol/kache.ts";
import { encodeRespRequest } from "../../lib/protocol/resp_reply.ts";
import { RawKacheClient } from "../support/kache_client.ts";
import { RawRespClient } from "../support/resp_client.ts";
import { type RunningServer, withServer } from "../support/server_process.ts";
import { commandEntries, type CommandEntry, generateArgv } from "./command_targets.ts";
import { mutate, Random, randomCuts } from "./mutate.ts";
import { concatBytes } from "../../lib/bytes.ts";

const ATTACK_MS = 12_000;
const ATTACKERS = 8;
const SEED = 424242;
/** Any single network wait longer than this means the server stopped serving. */
const WAIT_MS = 10_000;

/**
 * Commands that would change the server for everyone (stop it, drop the steady
 * clients' data or connections, write files, change settings): never sent.
 */
const UNSAFE = new Set([
  "shutdown",
  "flushall",
  "flushdb",
  "swapdb",
  "save",
  "bgsave",
  "bgrewriteaof",
  "config|set",
  "config|rewrite",
  "config|resetstat",
  "client|kill",
  "client|pause",
  "debug",
  "monitor",
  "replicaof",
  "slaveof",
]);

function isSafe(entry: CommandEntry): boolean {
  return !entry.spec.flags.includes("admin") && !UNSAFE.has(entry.words.join("|")) &&
    !UNSAFE.has(entry.words[0]!);
}

function sleep(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}

/** Resolves with `promise`, or with `fallback` after `milliseconds`; never leaves a rejection unhandled. */
function within<T>(promise: Promise<T>, milliseconds: number, fallback: T): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const guarded = promise.catch(() => fallback);
  return Promise.race([
    guarded,
    new Promise<T>((resolve) => timer = setTimeout(() => resolve(fallback), milliseconds)),
  ]).finally(() => clearTimeout(timer));
}

function ascii(text: string): Uint8Array {
  return Uint8Array.from(text, (char) => char.charCodeAt(0));
}

/** Requests that are hostile as a whole rather than byte by byte. */
const HOSTILE_RESP = [
  "*1\r\n$536870000\r\nabc", // a bulk claiming 512 MB that never arrives
  "*1048577\r\n", // more arguments than allowed
  "*2\r\n$3\r\nGET\r\n$-5\r\n",
  "x".repeat(70_000), // an inline line past 64 KiB
  '"unbalanced\r\n',
  "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\nPING\r\n*1\r\n$4\r\nPI",
];

function hostileKache(random: Random): Uint8Array {
  const frame = new Uint8Array(12);
  const view = new DataView(frame.buffer);
  view.setUint32(0, random.pick([0x1fffffff, 0xffffffff, 5, 0, 8]), true);
  view.setUint32(4, random.pick([0xffffffff, 1, 1000000]), true);
  view.setUint32(8, random.pick([0xffffffff, 3, 0]), true);
  return frame;
}

/** One connection's worth of bytes: grammar commands, encoded, usually mutated. */
function attackStream(random: Random, entries: readonly CommandEntry[], binary: boolean) {
  if (random.chance(0.05)) {
    return binary ? hostileKache(random) : ascii(random.pick(HOSTILE_RESP));
  }
  const requests: Uint8Array[] = [];
  for (let i = random.range(1, 12); i > 0; i--) {
    const argv = generateArgv(random.pick(entries), random);
    if (binary) {
      requests.push(encodeKacheRequest(argv));
    } else if (random.chance(0.2) && argv.every((arg) => /^[!-~]+$/.test(arg))) {
      requests.push(ascii(argv.join(" ") + "\r\n"));
    } else {
      requests.push(encodeRespRequest(argv));
    }
  }
  const stream = concatBytes(requests);
  if (random.chance(0.2)) return stream;
  return mutate(stream, random, { format: binary ? "kache" : "resp", maxLength: 32 * 1024 });
}

/** Sends mutated streams on fresh connections until the deadline; returns the connection count. */
async function attacker(server: RunningServer, random: Random, deadline: number): Promise<number> {
  const entries = commandEntries().filter(isSafe);
  const readBuffer = new Uint8Array(64 * 1024);
  let connections = 0;
  while (Date.now() < deadline) {
    const binary = random.chance(0.4);
    const conn = await Deno.connect({
      hostname: "127.0.0.1",
      port: binary ? server.kachePort : server.respPort,
    });
    connections++;
    try {
      const stream = attackStream(random, entries, binary);
      let previous = 0;
      for (const cut of randomCuts(stream.length, random)) {
        const chunk = stream.subarray(previous, cut);
        previous = cut;
        // A server that stops reading (it is blocked writing replies we never read) must not
        // block the attacker: give up on the connection instead.
        const written = await within(writeAll(conn, chunk), 2_000, false);
        if (!written) break;
        if (random.chance(0.1)) await sleep(random.range(1, 20));
      }
      switch (random.int(3)) {
        case 0:
          break; // hang up at once, replies unread
        case 1:
          await within(conn.closeWrite().then(() => drain(conn, readBuffer)), 1_000, undefined);
          break;
        default:
          await within(conn.read(readBuffer), random.range(1, 200), null);
      }
    } finally {
      try {
        conn.close();
      } catch {
        // Closed by the server already.
      }
    }
  }
  return connections;
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<boolean> {
  let offset = 0;
  while (offset < bytes.length) offset += await conn.write(bytes.subarray(offset));
  return true;
}

async function drain(conn: Deno.Conn, buffer: Uint8Array): Promise<void> {
  while ((await conn.read(buffer)) !== null) {
    // Discard: only the server's survival matters here.
  }
}

/** SET then GET on the RESP port until the deadline, checking every reply. */
async function steadyResp(port: number, deadline: number, problems: string[]): Promise<number> {
  const client = await RawRespClient.connect(port);
  let operations = 0;
  try {
    for (let i = 0; Date.now() < deadline && problems.length < 5; i++) {
      const key = `steady:resp:${i % 64}`;
      const value = `value-${i}-\x00\xff`;
      const replies = await within(
        client.pipeline([["SET", key, value], ["GET", key]]),
        WAIT_MS,
        undefined,
      );
      if (replies === undefined) {
        problems.push(`RESP steady client got no reply within ${WAIT_MS} ms at operation ${i}`);
        break;
      }
      const [set, get] = replies;
      if (set?.raw !== "+OK\r\n") problems.push(`RESP SET answered ${JSON.stringify(set?.raw)}`);
      if (get?.raw !== `$${value.length}\r\n${value}\r\n`) {
        problems.push(`RESP GET ${key} answered ${JSON.stringify(get?.raw)}`);
      }
      operations += 2;
    }
  } finally {
    client.close();
  }
  return operations;
}

/** The original `set` and `get` on the binary port until the deadline, checking every reply. */
async function steadyKache(port: number, deadline: number, problems: string[]): Promise<number> {
  const client = await RawKacheClient.connect(port);
  let operations = 0;
  try {
    for (let i = 0; Date.now() < deadline && problems.length < 5; i++) {
      const key = `steady:kache:${i % 64}`;
      const value = `value-${i}`;
      const set = await within(client.request(["set", key, value]), WAIT_MS, undefined);
      const get = await within(client.request(["get", key]), WAIT_MS, undefined);
      if (set === undefined || get === undefined) {
        problems.push(`binary steady client got no reply within ${WAIT_MS} ms at operation ${i}`);
        break;
      }
      if (set.status !== KacheStatus.ok) problems.push(`binary set answered status ${set.status}`);
      if (get.status !== KacheStatus.ok || get.item?.tag !== "string" || get.item.value !== value) {
        problems.push(`binary get ${key} answered ${JSON.stringify(get, (_, v) => String(v))}`);
      }
      operations += 2;
    }
  } finally {
    client.close();
  }
  return operations;
}

async function connectedClients(port: number): Promise<number> {
  const client = await RawRespClient.connect(port);
  try {
    const reply = await within(client.send(["INFO", "clients"]), WAIT_MS, undefined);
    const text = reply?.reply.type === "bulk" ? reply.reply.value : "";
    const match = /connected_clients:(\d+)/.exec(text);
    assert.ok(match, `INFO clients has no connected_clients: ${JSON.stringify(text)}`);
    return Number(match[1]);
  } finally {
    client.close();
  }
}

Deno.test("a server fed mutated streams on many connections keeps serving others and leaks no connection", async () => {
  await withServer(async (server) => {
    const deadline = Date.now() + ATTACK_MS;
    const problems: string[] = [];
    const [respOperations, kacheOperations, ...connections] = await Promise.all([
      steadyResp(server.respPort, deadline, problems),
      steadyKache(server.kachePort, deadline, problems),
      ...Array.from(
        { length: ATTACKERS },
        (_, i) => attacker(server, new Random(SEED, i), deadline),
      ),
    ]);
    assert.deepEqual(problems, []);
    assert.ok(respOperations > 0 && kacheOperations > 0, "the steady clients were served");
    assert.ok(connections.reduce((sum, count) => sum + count, 0) > ATTACKERS);

    // Still alive: the process runs and answers on both ports.
    const exited = await within(server.process.status.then(() => true), 10, false);
    assert.equal(exited, false, `the server exited:\n${server.output().slice(-2000)}`);
    const ping = await RawRespClient.connect(server.respPort);
    assert.equal((await ping.send(["PING"])).raw, "+PONG\r\n");
    ping.close();
    const binary = await RawKacheClient.connect(server.kachePort);
    const get = await binary.request(["get", "steady:kache:0"]);
    assert.equal(get.status, KacheStatus.ok);
    binary.close();

    // Every connection is gone once its client is: the server notices closes within moments.
    let clients = await connectedClients(server.respPort);
    for (let attempt = 0; attempt < 50 && clients > 2; attempt++) {
      await sleep(100);
      clients = await connectedClients(server.respPort);
    }
    assert.ok(clients <= 2, `${clients} connections left open`);

    // No exception escaped a connection loop (they are logged as "closed after error").
    const escaped = server.output().split("\n").filter((line) =>
      /closed after error|Uncaught|internal error/.test(line)
    );
    assert.deepEqual(escaped.slice(0, 10), []);
  }, ["--loglevel", "verbose"]);
});
