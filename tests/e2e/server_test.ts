/**
 * The server process as a whole: startup and flags, pipelining and split
 * frames on the binary port, framing errors closing only the offending
 * connection, the idle timeout, random bytes, and graceful shutdown.
 */
import assert from "node:assert/strict";
import { encodeKacheRequest, KacheStatus } from "../../lib/protocol/kache.ts";
import { RawKacheClient } from "../support/kache_client.ts";
import { RawRespClient } from "../support/resp_client.ts";
import { freePort, MAIN, startServer, withServer } from "../support/server_process.ts";
import { concatBytes } from "../../lib/bytes.ts";

async function runKache(args: string[]): Promise<{ code: number; output: string }> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", MAIN, ...args],
    stdin: "null",
  }).output();
  const decoder = new TextDecoder();
  return { code, output: decoder.decode(stdout) + decoder.decode(stderr) };
}

Deno.test("serve logs one ready line naming both ports", async () => {
  await withServer((server) => {
    const line = server.output().split("\n").find((text) => text.includes("ready"))!;
    assert.match(line, new RegExp(`RESP on ${server.respPort}`));
    assert.match(line, new RegExp(`binary protocol on ${server.kachePort}`));
    return Promise.resolve();
  });
});

Deno.test("serve refuses an unknown flag with a message naming it", async () => {
  const { code, output } = await runKache(["serve", "--no-such-setting", "1"]);
  assert.equal(code, 1);
  assert.match(output, /Unknown setting "--no-such-setting"/);
});

Deno.test("serve reads a config file and lets flags override it", async () => {
  const file = await Deno.makeTempFile({ suffix: ".conf" });
  const filePort = freePort();
  const flagPort = freePort();
  try {
    await Deno.writeTextFile(
      file,
      `# test config\nkache-port ${filePort}\nport 1\nloglevel "notice"\n`,
    );
    const server = await startServer([], { configFile: file, ports: { resp: flagPort } });
    try {
      const line = server.output().split("\n").find((text) => text.includes("ready"))!;
      assert.match(line, new RegExp(`RESP on ${flagPort}, binary protocol on ${filePort}`));
      const client = await RawKacheClient.connect(filePort);
      assert.equal((await client.request(["ping"])).status, KacheStatus.ok);
      client.close();
    } finally {
      await server.stop();
    }
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("binary port answers pipelined requests in order, in one read", async () => {
  await withServer(async (server) => {
    const client = await RawKacheClient.connect(server.kachePort);
    try {
      const requests: string[][] = [];
      for (let i = 0; i < 200; i++) {
        requests.push(["set", `key${i}`, `value${i}`], ["get", `key${i}`]);
      }
      await client.writeRaw(concatBytes(requests.map(encodeKacheRequest)));
      for (let i = 0; i < 200; i++) {
        const set = await client.readFrame();
        assert.ok(set !== null);
        const get = await client.readFrame();
        assert.ok(get !== null);
        const value = new TextDecoder().decode(get.subarray(13));
        assert.equal(value, `value${i}`);
      }
    } finally {
      client.close();
    }
  });
});

Deno.test("binary port reassembles frames sent one byte at a time", async () => {
  await withServer(async (server) => {
    const client = await RawKacheClient.connect(server.kachePort);
    try {
      const bytes = concatBytes([
        encodeKacheRequest(["set", "slow", "bytes"]),
        encodeKacheRequest(["get", "slow"]),
      ]);
      for (let i = 0; i < bytes.length; i++) {
        await client.writeRaw(bytes.subarray(i, i + 1));
        if (i % 7 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
      }
      await client.readFrame();
      const response = await client.request(["get", "slow"]);
      assert.equal(response.status, KacheStatus.ok);
      assert.deepEqual(response.item, { tag: "string", value: "bytes" });
    } finally {
      client.close();
    }
  });
});

Deno.test("a malformed binary frame closes that connection only", async () => {
  await withServer(async (server) => {
    const good = await RawKacheClient.connect(server.kachePort);
    const bad = await RawKacheClient.connect(server.kachePort);
    try {
      await good.request(["set", "k", "v"]);
      // nargs = 1, then an argument length that runs past the end of the frame.
      await bad.writeRaw(new Uint8Array([8, 0, 0, 0, 1, 0, 0, 0, 200, 0, 0, 0]));
      assert.equal(await bad.isClosedByPeer(), true);
      const response = await good.request(["get", "k"]);
      assert.deepEqual(response.item, { tag: "string", value: "v" });
    } finally {
      good.close();
      bad.close();
    }
  });
});

Deno.test("trailing bytes after the last argument close the connection", async () => {
  await withServer(async (server) => {
    const bad = await RawKacheClient.connect(server.kachePort);
    try {
      // len 9: nargs 1, arg "x" (length 1), then one extra byte.
      await bad.writeRaw(new Uint8Array([10, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 120, 0]));
      assert.equal(await bad.isClosedByPeer(), true);
    } finally {
      bad.close();
    }
  });
});

Deno.test("frames over --kache-max-frame close the connection", async () => {
  await withServer(async (server) => {
    const client = await RawKacheClient.connect(server.kachePort);
    try {
      await client.writeRaw(encodeKacheRequest(["set", "k", "x".repeat(5000)]));
      assert.equal(await client.isClosedByPeer(), true);
    } finally {
      client.close();
    }
  }, ["--kache-max-frame", "4096"]);
});

Deno.test("idle clients are closed after --timeout seconds", async () => {
  await withServer(async (server) => {
    const idle = await RawKacheClient.connect(server.kachePort);
    try {
      await idle.request(["set", "k", "v"]);
      const started = Date.now();
      assert.equal(await idle.isClosedByPeer(), true);
      assert.ok(Date.now() - started >= 900, "closed too early");
    } finally {
      idle.close();
    }
  }, ["--timeout", "1"]);
});

Deno.test("--timeout spares subscribed clients, as Redis does", async () => {
  await withServer(async (server) => {
    const subscriber = await RawRespClient.connect(server.respPort);
    const idle = await RawRespClient.connect(server.respPort);
    let publisher: RawRespClient | undefined;
    try {
      await subscriber.send(["SUBSCRIBE", "news"]);
      await idle.send(["PING"]);
      // The plain client is closed by the sweep; the subscriber, idle just as long, is not.
      assert.equal(await idle.readToEnd(10_000), "");
      publisher = await RawRespClient.connect(server.respPort);
      assert.equal((await publisher.send(["PUBLISH", "news", "still here"])).raw, ":1\r\n");
      assert.equal(
        (await subscriber.readReply()).raw,
        "*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$10\r\nstill here\r\n",
      );
    } finally {
      subscriber.close();
      idle.close();
      publisher?.close();
    }
  }, ["--timeout", "1"]);
});

Deno.test("random bytes never crash the server and other clients carry on", async () => {
  await withServer(async (server) => {
    const steady = await RawKacheClient.connect(server.kachePort);
    try {
      await steady.request(["set", "steady", "1"]);
      let seed = 12345;
      const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
      for (let round = 0; round < 40; round++) {
        const port = round % 2 === 0 ? server.kachePort : server.respPort;
        const conn = await Deno.connect({ hostname: "127.0.0.1", port });
        const garbage = new Uint8Array(1 + Math.floor(random() * 2000)).map(() => random() * 256);
        try {
          await conn.write(garbage);
        } catch {
          // The server may already have closed it.
        }
        conn.close();
      }
      const response = await steady.request(["get", "steady"]);
      assert.deepEqual(response.item, { tag: "string", value: "1" });
    } finally {
      steady.close();
    }
  });
});

Deno.test("SIGTERM answers what is in flight and exits 0", async () => {
  const server = await startServer();
  const client = await RawKacheClient.connect(server.kachePort);
  try {
    const batch = concatBytes(
      Array.from({ length: 2000 }, (_, i) => encodeKacheRequest(["set", `k${i}`, "v"])),
    );
    await client.writeRaw(batch);
    // The first reply proves the server is working through the batch when the signal lands.
    assert.notEqual(await client.readFrame(), null);
    const code = server.stop("SIGTERM");
    const received = await client.drain();
    assert.equal(await code, 0);
    // Each reply to set is 9 bytes (length, status, nil tag): none may be cut short.
    assert.equal(received % 9, 0, `a reply was cut: ${received} bytes after the first`);
    assert.match(server.output(), /shutting down/);
  } finally {
    client.close();
    await server.stop();
  }
});
