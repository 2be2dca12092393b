/**
 * Blocking commands end to end, with several real connections: each
 * scenario runs against redis-server 7.0 and against Kache, and the raw
 * replies every connection received must be identical. A scenario waits for
 * a client to be blocked by polling INFO's `blocked_clients`, so the order
 * of arrival is certain without sleeping.
 */
import { deepStrictEqual, match, ok, strictEqual } from "node:assert/strict";
import { startRedis } from "../support/redis_process.ts";
import { RawRespClient } from "../support/resp_client.ts";
import { startServer } from "../support/server_process.ts";
import { encodeRespRequest } from "../../lib/protocol/resp_reply.ts";
import { encodeKacheRequest, KacheResponseDecoder } from "../../lib/protocol/kache.ts";
import { RawKacheClient } from "../support/kache_client.ts";

/** One scenario: drives connections on `port`, returns what each received, in order. */
type Scenario = (port: number) => Promise<string[]>;

/** Waits until the server reports `count` blocked clients (bounded: 10 s). */
async function blockedClients(control: RawRespClient, count: number): Promise<void> {
  for (let attempt = 0; attempt < 1000; attempt++) {
    const info = (await control.send(["INFO", "clients"])).raw;
    const found = Number(/blocked_clients:(\d+)/.exec(info)?.[1]);
    if (found === count) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`blocked_clients never reached ${count}`);
}

/** Sends a command without reading its reply (the client blocks). */
async function sendOnly(client: RawRespClient, argv: readonly string[]): Promise<void> {
  await client.writeRaw(encodeRespRequest(argv));
}

async function connect(port: number, count: number): Promise<RawRespClient[]> {
  const clients: RawRespClient[] = [];
  for (let i = 0; i < count; i++) clients.push(await RawRespClient.connect(port));
  return clients;
}

function closeAll(clients: RawRespClient[]): void {
  for (const client of clients) client.close();
}

/** Runs `scenario` on redis-server and on Kache and checks they agree; returns Kache's transcript. */
async function agreeWithRedis(scenario: Scenario): Promise<string[]> {
  const redis = await startRedis();
  let expected: string[];
  try {
    expected = await scenario(redis.port);
  } finally {
    await redis.stop();
  }
  const kache = await startServer();
  try {
    const actual = await scenario(kache.respPort);
    deepStrictEqual(actual, expected);
    return actual;
  } finally {
    await kache.stop();
  }
}

Deno.test("BLPOP clients are served in the order they blocked, one element each", async () => {
  const transcript = await agreeWithRedis(async (port) => {
    const [a, b, c, control] = await connect(port, 4);
    try {
      await sendOnly(a!, ["BLPOP", "q", "0"]);
      await blockedClients(control!, 1);
      await sendOnly(b!, ["BRPOP", "other", "q", "0"]);
      await blockedClients(control!, 2);
      await sendOnly(c!, ["BLPOP", "q", "0"]);
      await blockedClients(control!, 3);
      const pushed = (await control!.send(["RPUSH", "q", "1", "2", "3", "4"])).raw;
      return [
        pushed,
        (await a!.readReply()).raw,
        (await b!.readReply()).raw,
        (await c!.readReply()).raw,
        (await control!.send(["LRANGE", "q", "0", "-1"])).raw,
        (await control!.send(["INFO", "clients"])).raw.match(/blocked_clients:\d+/)![0],
      ];
    } finally {
      closeAll([a!, b!, c!, control!]);
    }
  });
  strictEqual(transcript[1], "*2\r\n$1\r\nq\r\n$1\r\n1\r\n");
});

Deno.test("a blocked client times out with a null array; timeout 0 waits until data comes", async () => {
  await agreeWithRedis(async (port) => {
    const [a, b, control] = await connect(port, 3);
    try {
      const timedOut = (await a!.send(["BLPOP", "nothing", "0.05"])).raw;
      const moveTimedOut = (await a!.send(["BLMOVE", "nothing", "x", "LEFT", "LEFT", "0.01"])).raw;
      await sendOnly(b!, ["BLPOP", "later", "0"]);
      await blockedClients(control!, 1);
      await new Promise((resolve) => setTimeout(resolve, 100));
      await control!.send(["LPUSH", "later", "v"]);
      return [timedOut, moveTimedOut, (await b!.readReply()).raw];
    } finally {
      closeAll([a!, b!, control!]);
    }
  });
});

Deno.test("blocking commands reject bad timeouts with Redis's texts", async () => {
  await agreeWithRedis(async (port) => {
    const [a] = await connect(port, 1);
    try {
      const replies: string[] = [];
      for (const timeout of ["abc", "-1", "nan", "inf", "1e400", "", " 1", "9.3e15"]) {
        replies.push((await a!.send(["BLPOP", "k", timeout])).raw);
        replies.push((await a!.send(["BZPOPMIN", "k", timeout])).raw);
        replies.push((await a!.send(["BLMPOP", timeout, "1", "k", "LEFT"])).raw);
      }
      replies.push((await a!.send(["BLMPOP", "x", "0", "k", "LEFT"])).raw);
      replies.push((await a!.send(["BLMPOP", "0", "1", "k", "UP"])).raw);
      replies.push((await a!.send(["BLMOVE", "a", "b", "UP", "LEFT", "x"])).raw);
      replies.push((await a!.send(["SET", "str", "v"])).raw);
      replies.push((await a!.send(["BLPOP", "str", "0"])).raw);
      replies.push((await a!.send(["BLMOVE", "str", "b", "LEFT", "LEFT", "0"])).raw);
      replies.push((await a!.send(["BZPOPMAX", "str", "0"])).raw);
      return replies;
    } finally {
      closeAll([a!]);
    }
  });
});

Deno.test("a client blocked on a key is served after the whole MULTI/EXEC that pushed to it", async () => {
  await agreeWithRedis(async (port) => {
    const [a, control] = await connect(port, 2);
    try {
      await sendOnly(a!, ["BLPOP", "q", "0"]);
      await blockedClients(control!, 1);
      const replies = await control!.pipeline([
        ["MULTI"],
        ["RPUSH", "q", "x", "y"],
        ["LPOP", "q"],
        ["LLEN", "q"],
        ["EXEC"],
      ]);
      return [
        ...replies.map((reply) => reply.raw),
        (await a!.readReply()).raw,
        (await control!.send(["EXISTS", "q"])).raw,
      ];
    } finally {
      closeAll([a!, control!]);
    }
  });
});

Deno.test("blocking commands inside MULTI answer at once as on a timeout", async () => {
  await agreeWithRedis(async (port) => {
    const [a] = await connect(port, 1);
    try {
      const replies = await a!.pipeline([
        ["MULTI"],
        ["BLPOP", "none", "0"],
        ["BLMOVE", "none", "dst", "LEFT", "RIGHT", "0"],
        ["BRPOPLPUSH", "none", "dst", "0"],
        ["BLMPOP", "0", "1", "none", "LEFT"],
        ["BZPOPMIN", "none", "0"],
        ["BZMPOP", "0", "1", "none", "MIN"],
        ["RPUSH", "full", "1"],
        ["BRPOP", "full", "0"],
        ["EXEC"],
      ]);
      return replies.map((reply) => reply.raw);
    } finally {
      closeAll([a!]);
    }
  });
});

Deno.test("CLIENT UNBLOCK ends a wait as a timeout or with the UNBLOCKED error", async () => {
  await agreeWithRedis(async (port) => {
    const [a, control] = await connect(port, 2);
    try {
      const id = (await a!.send(["CLIENT", "ID"])).raw.slice(1, -2);
      const replies: string[] = [];
      await sendOnly(a!, ["BLPOP", "q", "0"]);
      await blockedClients(control!, 1);
      const list = (await control!.send(["CLIENT", "LIST"])).raw;
      const line = list.split("\n").find((entry) => entry.includes(`id=${id} `))!;
      replies.push(/flags=(\w+)/.exec(line)![1]!, /cmd=(\S+)/.exec(line)![1]!);
      replies.push((await control!.send(["CLIENT", "UNBLOCK", id])).raw);
      replies.push((await a!.readReply()).raw);
      await sendOnly(a!, ["BZPOPMIN", "z", "0"]);
      await blockedClients(control!, 1);
      replies.push((await control!.send(["CLIENT", "UNBLOCK", id, "ERROR"])).raw);
      replies.push((await a!.readReply()).raw);
      replies.push((await control!.send(["CLIENT", "UNBLOCK", id, "TIMEOUT"])).raw);
      replies.push((await control!.send(["CLIENT", "UNBLOCK", id, "NOW"])).raw);
      replies.push((await control!.send(["CLIENT", "UNBLOCK", "x"])).raw);
      replies.push((await control!.send(["CLIENT", "UNBLOCK", "999999"])).raw);
      replies.push((await a!.send(["PING"])).raw);
      return replies;
    } finally {
      closeAll([a!, control!]);
    }
  });
});

Deno.test("a waited key deleted or turned into another type leaves its client blocked (Redis 7.0)", async () => {
  await agreeWithRedis(async (port) => {
    const [a, z, control] = await connect(port, 3);
    try {
      await sendOnly(a!, ["BLPOP", "k", "0"]);
      await blockedClients(control!, 1);
      await sendOnly(z!, ["BZPOPMIN", "k", "0"]);
      await blockedClients(control!, 2);
      const replies = [
        (await control!.send(["SET", "k", "string"])).raw,
        (await control!.send(["DEL", "k"])).raw,
        (await control!.send(["MULTI"])).raw,
        (await control!.send(["RPUSH", "k", "gone"])).raw,
        (await control!.send(["DEL", "k"])).raw,
        (await control!.send(["EXEC"])).raw,
        (await control!.send(["ZADD", "k", "1", "m"])).raw,
      ];
      // The sorted set serves the BZPOPMIN client; the BLPOP client waits on.
      replies.push((await z!.readReply()).raw);
      await blockedClients(control!, 1);
      replies.push((await control!.send(["RPUSH", "k", "v"])).raw);
      replies.push((await a!.readReply()).raw);
      return replies;
    } finally {
      closeAll([a!, z!, control!]);
    }
  });
});

Deno.test("BLMOVE chains wake the next client, and a wrong-type destination ends the wait with WRONGTYPE", async () => {
  await agreeWithRedis(async (port) => {
    const [a, b, c, control] = await connect(port, 4);
    try {
      await sendOnly(a!, ["BLMOVE", "first", "second", "LEFT", "RIGHT", "0"]);
      await blockedClients(control!, 1);
      await sendOnly(b!, ["BRPOPLPUSH", "second", "third", "0"]);
      await blockedClients(control!, 2);
      await sendOnly(c!, ["BLPOP", "third", "0"]);
      await blockedClients(control!, 3);
      const replies = [(await control!.send(["RPUSH", "first", "v1"])).raw];
      replies.push((await a!.readReply()).raw, (await b!.readReply()).raw);
      replies.push((await c!.readReply()).raw);
      replies.push((await control!.send(["KEYS", "*"])).raw);
      await sendOnly(a!, ["BLMOVE", "src", "dst", "LEFT", "LEFT", "0"]);
      await blockedClients(control!, 1);
      replies.push((await control!.send(["SET", "dst", "string"])).raw);
      replies.push((await control!.send(["RPUSH", "src", "kept"])).raw);
      replies.push((await a!.readReply()).raw);
      replies.push((await control!.send(["LRANGE", "src", "0", "-1"])).raw);
      return replies;
    } finally {
      closeAll([a!, b!, c!, control!]);
    }
  });
});

Deno.test("BZPOPMIN, BZPOPMAX, BZMPOP and BLMPOP are served when data arrives", async () => {
  await agreeWithRedis(async (port) => {
    const [a, b, c, d, control] = await connect(port, 5);
    try {
      await sendOnly(a!, ["BZPOPMIN", "z", "0"]);
      await blockedClients(control!, 1);
      await sendOnly(b!, ["BZPOPMAX", "z", "0"]);
      await blockedClients(control!, 2);
      await sendOnly(c!, ["BZMPOP", "0", "2", "y", "z", "MIN", "COUNT", "5"]);
      await blockedClients(control!, 3);
      await sendOnly(d!, ["BLMPOP", "0", "2", "l", "m", "RIGHT", "COUNT", "2"]);
      await blockedClients(control!, 4);
      const replies = [
        (await control!.send(["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"])).raw,
      ];
      replies.push(
        (await a!.readReply()).raw,
        (await b!.readReply()).raw,
        (await c!.readReply()).raw,
      );
      replies.push((await control!.send(["RPUSH", "m", "1", "2", "3"])).raw);
      replies.push((await d!.readReply()).raw);
      replies.push((await control!.send(["LRANGE", "m", "0", "-1"])).raw);
      return replies;
    } finally {
      closeAll([a!, b!, c!, d!, control!]);
    }
  });
});

Deno.test("requests pipelined after a blocking command run once it is served", async () => {
  await agreeWithRedis(async (port) => {
    const [a, control] = await connect(port, 2);
    try {
      const bytes = [
        ["BLPOP", "q", "0"],
        ["PING"],
        ["LLEN", "q"],
        ["BLPOP", "q", "0"],
        ["ECHO", "after"],
      ].map(encodeRespRequest);
      const joined = new Uint8Array(bytes.reduce((sum, part) => sum + part.length, 0));
      let offset = 0;
      for (const part of bytes) {
        joined.set(part, offset);
        offset += part.length;
      }
      await a!.writeRaw(joined);
      await blockedClients(control!, 1);
      const replies = [(await control!.send(["RPUSH", "q", "one"])).raw];
      replies.push(
        (await a!.readReply()).raw,
        (await a!.readReply()).raw,
        (await a!.readReply()).raw,
      );
      await blockedClients(control!, 1);
      replies.push((await control!.send(["RPUSH", "q", "two", "three"])).raw);
      replies.push((await a!.readReply()).raw, (await a!.readReply()).raw);
      replies.push((await control!.send(["LRANGE", "q", "0", "-1"])).raw);
      return replies;
    } finally {
      closeAll([a!, control!]);
    }
  });
});

Deno.test("a blocked client that disconnects or is killed takes nothing from the list", async () => {
  await agreeWithRedis(async (port) => {
    const [a, b, control] = await connect(port, 3);
    try {
      const id = (await b!.send(["CLIENT", "ID"])).raw.slice(1, -2);
      await sendOnly(a!, ["BLPOP", "q", "0"]);
      await blockedClients(control!, 1);
      await sendOnly(b!, ["BLPOP", "q", "0"]);
      await blockedClients(control!, 2);
      a!.close();
      await blockedClients(control!, 1);
      const killed = (await control!.send(["CLIENT", "KILL", "ID", id])).raw;
      await blockedClients(control!, 0);
      await control!.send(["RPUSH", "q", "kept"]);
      return [killed, (await control!.send(["LRANGE", "q", "0", "-1"])).raw];
    } finally {
      closeAll([a!, b!, control!]);
    }
  });
});

Deno.test("a blocked client is not closed by the idle timeout", async () => {
  const kache = await startServer(["--timeout", "1"]);
  const [a, control] = await connect(kache.respPort, 2);
  try {
    await sendOnly(a!, ["BLPOP", "q", "0"]);
    await blockedClients(control!, 1);
    // The idle sweep runs every second: stay past two sweeps beyond the timeout, the control
    // client pinging meanwhile so that it, unlike the blocked one, is never idle.
    for (let i = 0; i < 5; i++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      await control!.send(["PING"]);
    }
    await control!.send(["RPUSH", "q", "late"]);
    strictEqual((await a!.readReply()).raw, "*2\r\n$1\r\nq\r\n$4\r\nlate\r\n");
  } finally {
    closeAll([a!, control!]);
    await kache.stop();
  }
});

Deno.test("served blocking pops reach the AOF as LPOP/LMOVE/ZPOPMIN and replay to the same data", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kache-blocking-" });
  try {
    const first = await startServer(["--appendonly", "yes"], { dir });
    const [a, b, control] = await connect(first.respPort, 3);
    try {
      await control!.send(["RPUSH", "ready", "r1", "r2"]);
      strictEqual(
        (await a!.send(["BLPOP", "ready", "0"])).raw,
        "*2\r\n$5\r\nready\r\n$2\r\nr1\r\n",
      );
      await sendOnly(a!, ["BLPOP", "q", "0"]);
      await blockedClients(control!, 1);
      await sendOnly(b!, ["BLMOVE", "q", "moved", "RIGHT", "LEFT", "0"]);
      await blockedClients(control!, 2);
      await control!.send(["RPUSH", "q", "1", "2", "3"]);
      await a!.readReply();
      await b!.readReply();
      await sendOnly(a!, ["BZPOPMIN", "z", "0"]);
      await blockedClients(control!, 1);
      await control!.send(["ZADD", "z", "1", "low", "2", "high"]);
      await a!.readReply();
      // In another database, the logged pop must land there too.
      await b!.send(["SELECT", "1"]);
      await sendOnly(b!, ["BRPOP", "q", "0"]);
      await blockedClients(control!, 1);
      await control!.send(["SELECT", "1"]);
      await control!.send(["RPUSH", "q", "x", "y"]);
      await b!.readReply();
    } finally {
      closeAll([a!, b!, control!]);
      await first.stop();
    }
    const logged = await readAof(dir);
    ok(!/BLPOP|BLMOVE|BZPOPMIN/i.test(logged), logged);
    match(logged, /LPOP/);
    match(logged, /LMOVE/);
    match(logged, /ZPOPMIN/);
    const second = await startServer(["--appendonly", "yes"], { dir });
    const [reader] = await connect(second.respPort, 1);
    try {
      deepStrictEqual(
        [
          (await reader!.send(["LRANGE", "ready", "0", "-1"])).raw,
          (await reader!.send(["LRANGE", "q", "0", "-1"])).raw,
          (await reader!.send(["LRANGE", "moved", "0", "-1"])).raw,
          (await reader!.send(["ZRANGE", "z", "0", "-1"])).raw,
          (await reader!.send(["SELECT", "1"])).raw,
          (await reader!.send(["LRANGE", "q", "0", "-1"])).raw,
        ],
        [
          "*1\r\n$2\r\nr2\r\n",
          "*1\r\n$1\r\n2\r\n",
          "*1\r\n$1\r\n3\r\n",
          "*1\r\n$4\r\nhigh\r\n",
          "+OK\r\n",
          "*1\r\n$1\r\nx\r\n",
        ],
      );
    } finally {
      closeAll([reader!]);
      await second.stop();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Every AOF file's text under `dir`, concatenated. */
async function readAof(dir: string): Promise<string> {
  let text = "";
  for await (const entry of Deno.readDir(`${dir}/appendonlydir`)) {
    if (entry.name.endsWith(".aof")) {
      text += new TextDecoder("latin1").decode(
        await Deno.readFile(`${dir}/appendonlydir/${entry.name}`),
      );
    }
  }
  return text;
}

Deno.test("the binary protocol blocks too: a blpop waits and gets its reply as a TLV array", async () => {
  const kache = await startServer();
  const binary = await RawKacheClient.connect(kache.kachePort);
  const [control] = await connect(kache.respPort, 1);
  try {
    await binary.writeRaw(encodeKacheRequest(["blpop", "q", "0"]));
    await blockedClients(control!, 1);
    // The original server's zadd runs outside the command table; it must wake sorted-set waiters too.
    const zsetWaiter = await RawKacheClient.connect(kache.kachePort);
    try {
      await zsetWaiter.writeRaw(encodeKacheRequest(["bzpopmin", "z", "0"]));
      await blockedClients(control!, 2);
      await control!.send(["RPUSH", "q", "v"]);
      const woken = await binary.readFrame();
      const decoded = new KacheResponseDecoder().decode(woken!, 0, woken!.length).responses[0];
      deepStrictEqual(decoded, {
        status: 0,
        item: {
          tag: "array",
          items: [{ tag: "string", value: "q" }, { tag: "string", value: "v" }],
        },
      });
      const added = await binary.request(["zadd", "z", "1", "m"]);
      strictEqual(added.status, 0);
      const popped = await zsetWaiter.readFrame();
      const zset = new KacheResponseDecoder().decode(popped!, 0, popped!.length).responses[0];
      deepStrictEqual(zset, {
        status: 0,
        item: {
          tag: "array",
          items: [{ tag: "string", value: "z" }, { tag: "string", value: "m" }, {
            tag: "double",
            value: 1,
          }],
        },
      });
    } finally {
      zsetWaiter.close();
    }
  } finally {
    binary.close();
    closeAll([control!]);
    await kache.stop();
  }
});

Deno.test("a blocked client waits on its own database's key, and SWAPDB can serve it", async () => {
  await agreeWithRedis(async (port) => {
    const [a, b, control] = await connect(port, 3);
    try {
      await a!.send(["SELECT", "1"]);
      await sendOnly(a!, ["BLPOP", "k", "0"]);
      await blockedClients(control!, 1);
      const replies = [(await control!.send(["RPUSH", "k", "in db 0"])).raw];
      await blockedClients(control!, 1);
      replies.push((await control!.send(["SELECT", "1"])).raw);
      replies.push((await control!.send(["RPUSH", "k", "in db 1"])).raw);
      replies.push((await a!.readReply()).raw);
      await b!.send(["SELECT", "2"]);
      await sendOnly(b!, ["BLPOP", "w", "0"]);
      await blockedClients(control!, 1);
      replies.push((await control!.send(["SELECT", "3"])).raw);
      replies.push((await control!.send(["RPUSH", "w", "swapped in"])).raw);
      replies.push((await control!.send(["SWAPDB", "2", "3"])).raw);
      replies.push((await b!.readReply()).raw);
      replies.push((await control!.send(["SELECT", "0"])).raw);
      replies.push((await control!.send(["LRANGE", "k", "0", "-1"])).raw);
      return replies;
    } finally {
      closeAll([a!, b!, control!]);
    }
  });
});
