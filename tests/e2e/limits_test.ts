/**
 * Safe defaults and limits on a real server process: authentication on both
 * protocols, maxclients, and the query buffer limit (protected mode and the
 * limits before AUTH: security_test.ts).
 */
import assert from "node:assert/strict";
import { KacheConnection } from "../../cli/connection.ts";
import { withServer } from "../support/server_process.ts";

async function readAll(conn: Deno.Conn): Promise<string> {
  const chunks: Uint8Array[] = [];
  const buffer = new Uint8Array(4096);
  while (true) {
    const count = await conn.read(buffer).catch(() => null);
    if (count === null) break;
    chunks.push(buffer.slice(0, count));
  }
  return new TextDecoder().decode(
    chunks.reduce((all, chunk) => new Uint8Array([...all, ...chunk]), new Uint8Array()),
  );
}

Deno.test("requirepass: RESP clients get NOAUTH until AUTH succeeds", async () => {
  await withServer(async (server) => {
    const client = await KacheConnection.connect({
      hostname: "127.0.0.1",
      port: server.respPort,
      protocol: "resp",
    });
    try {
      assert.deepEqual(await client.send(["PING"]), {
        type: "error",
        message: "NOAUTH Authentication required.",
      });
      assert.deepEqual(await client.send(["AUTH", "wrong"]), {
        type: "error",
        message: "WRONGPASS invalid username-password pair or user is disabled.",
      });
      assert.deepEqual(await client.send(["AUTH", "s3cret"]), { type: "status", value: "OK" });
      assert.deepEqual(await client.send(["PING"]), { type: "status", value: "PONG" });
    } finally {
      client.close();
    }
  }, ["--requirepass", "s3cret"]);
});

Deno.test("requirepass: binary clients get an error status until auth", async () => {
  await withServer(async (server) => {
    const client = await KacheConnection.connect({
      hostname: "127.0.0.1",
      port: server.kachePort,
      protocol: "kache",
    });
    try {
      assert.deepEqual(await client.send(["get", "k"]), {
        type: "error",
        message: "NOAUTH Authentication required.",
      });
      // The binary protocol has no status-string type: OK arrives as a string item.
      assert.deepEqual(await client.send(["auth", "s3cret"]), { type: "bulk", value: "OK" });
      await client.send(["set", "k", "v"]);
      assert.deepEqual(await client.send(["get", "k"]), { type: "bulk", value: "v" });
    } finally {
      client.close();
    }
  }, ["--requirepass", "s3cret"]);
});

Deno.test("maxclients: the extra client gets Redis's error and is closed", async () => {
  await withServer(async (server) => {
    const first = await Deno.connect({ hostname: "127.0.0.1", port: server.respPort });
    const second = await Deno.connect({ hostname: "127.0.0.1", port: server.respPort });
    try {
      await first.write(new TextEncoder().encode("PING\r\n"));
      await first.read(new Uint8Array(64));
      await second.write(new TextEncoder().encode("PING\r\n"));
      await second.read(new Uint8Array(64));
      const third = await Deno.connect({ hostname: "127.0.0.1", port: server.respPort });
      assert.equal(await readAll(third), "-ERR max number of clients reached\r\n");
      third.close();
    } finally {
      first.close();
      second.close();
    }
  }, ["--maxclients", "2"]);
});

Deno.test("client-query-buffer-limit closes a client whose request never ends", async () => {
  await withServer(async (server) => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.respPort });
    try {
      // A bulk announced as 100 MB, fed past the 1 MB limit.
      await conn.write(new TextEncoder().encode("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100000000\r\n"));
      const chunk = new Uint8Array(64 * 1024);
      let closed = false;
      for (let sent = 0; sent < 8 * 1024 * 1024 && !closed; sent += chunk.length) {
        closed = await conn.write(chunk).then(() => false, () => true);
      }
      assert.equal(await readAll(conn), "");
    } finally {
      conn.close();
    }
    const probe = await KacheConnection.connect({
      hostname: "127.0.0.1",
      port: server.respPort,
      protocol: "resp",
    });
    assert.deepEqual(await probe.send(["PING"]), { type: "status", value: "PONG" });
    probe.close();
  }, ["--client-query-buffer-limit", "1mb"]);
});

Deno.test("maxmemory applies to the original binary commands too", async () => {
  await withServer(async (server) => {
    const client = await KacheConnection.connect({
      hostname: "127.0.0.1",
      port: server.kachePort,
      protocol: "kache",
    });
    try {
      const value = "x".repeat(10_000);
      let refused: unknown;
      for (let i = 0; i < 500 && refused === undefined; i++) {
        const reply = await client.send(["set", `key:${i}`, value]);
        if (reply.type === "error") refused = reply;
      }
      assert.deepEqual(refused, {
        type: "error",
        message: "OOM command not allowed when used memory > 'maxmemory'.",
      });
      // Reads still work when writes are refused.
      assert.deepEqual(await client.send(["get", "key:0"]), { type: "bulk", value });
    } finally {
      client.close();
    }
  }, ["--maxmemory", "1mb", "--maxmemory-policy", "noeviction"]);
});
