import assert from "node:assert/strict";
import { stringToBytes } from "../../lib/bytes.ts";
import { KacheDecoder, KacheEncoder, KacheStatus } from "../../lib/protocol/kache.ts";
import * as Reply from "../../lib/reply.ts";
import type { ClientReply } from "../../lib/protocol/resp_reply.ts";
import { ConnectionError, KacheConnection } from "../../cli/connection.ts";

/**
 * A scripted server on an ephemeral loopback port: `respond` sees each chunk
 * the client wrote (as a one-byte string) and returns the bytes to answer.
 */
async function withServer(
  respond: (received: string, conn: Deno.TcpConn) => Promise<string | Uint8Array | null>,
  body: (port: number) => Promise<void>,
): Promise<void> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const connections: Deno.TcpConn[] = [];
  const serving = (async () => {
    for await (const conn of listener) {
      connections.push(conn);
      (async () => {
        const buffer = new Uint8Array(1 << 16);
        try {
          while (true) {
            const count = await conn.read(buffer);
            if (count === null) break;
            const answer = await respond(String.fromCharCode(...buffer.subarray(0, count)), conn);
            if (answer === null) {
              conn.close();
              break;
            }
            const bytes = typeof answer === "string" ? stringToBytes(answer) : answer;
            for (let offset = 0; offset < bytes.length;) {
              offset += await conn.write(bytes.subarray(offset));
            }
          }
        } catch {
          // The test closed the client first.
        }
      })();
    }
  })();
  try {
    await body((listener.addr as Deno.NetAddr).port);
  } finally {
    listener.close();
    for (const conn of connections) {
      try {
        conn.close();
      } catch {
        // Already closed.
      }
    }
    await serving.catch(() => {});
  }
}

Deno.test("KacheConnection pipelines RESP requests and settles them in order", async () => {
  const request = "*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n";
  let counter = 0;
  let unread = "";
  await withServer(
    (received) => {
      // Reads may split a request anywhere: answer only the complete ones.
      unread += received;
      let answer = "";
      while (unread.startsWith(request)) {
        unread = unread.slice(request.length);
        answer += `:${++counter}\r\n`;
      }
      return Promise.resolve(answer);
    },
    async (port) => {
      const connection = await KacheConnection.connect({
        hostname: "127.0.0.1",
        port,
        protocol: "resp",
      });
      const replies = await Promise.all(
        Array.from({ length: 500 }, () => connection.send(["INCR", "n"])),
      );
      assert.deepEqual(
        replies.map((r) => r.type === "integer" && r.value),
        Array.from(
          { length: 500 },
          (_, i) => BigInt(i + 1),
        ),
      );
      assert.equal(connection.pending, 0);
      connection.close();
      await connection.closed;
    },
  );
});

Deno.test("KacheConnection writes the exact RESP bytes of binary arguments", async () => {
  let seen = "";
  await withServer(
    (received) => {
      seen += received;
      return Promise.resolve("+OK\r\n");
    },
    async (port) => {
      const connection = await KacheConnection.connect({
        hostname: "127.0.0.1",
        port,
        protocol: "resp",
      });
      await connection.send(["SET", "k\x00\xff", "\r\n"]);
      assert.equal(seen, "*3\r\n$3\r\nSET\r\n$3\r\nk\x00\xff\r\n$2\r\n\r\n\r\n");
      connection.close();
    },
  );
});

Deno.test("KacheConnection routes RESP3 pushes and unrequested replies to onPush", async () => {
  await withServer(
    (received) => {
      if (received.includes("SUBSCRIBE")) {
        return Promise.resolve(">3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n");
      }
      // A push arrives between the request and its reply.
      return Promise.resolve(">2\r\n$7\r\nmessage\r\n$2\r\nhi\r\n+PONG\r\n:7\r\n");
    },
    async (port) => {
      const connection = await KacheConnection.connect({
        hostname: "127.0.0.1",
        port,
        protocol: "resp",
      });
      const pushes: ClientReply[] = [];
      connection.onPush = (reply) => pushes.push(reply);
      assert.deepEqual(await connection.send(["PING"]), { type: "status", value: "PONG" });
      // ":7" had no request waiting: it is a push too.
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.deepEqual(pushes.map((p) => p.type), ["push", "integer"]);
      connection.sendWithoutReply(["SUBSCRIBE", "ch"]);
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(pushes.length, 3);
      assert.equal(connection.pending, 0);
      connection.close();
    },
  );
});

Deno.test("KacheConnection reassembles a large reply spread over many reads", async () => {
  const big = "x".repeat(3 * 1024 * 1024 + 17);
  await withServer(
    () => Promise.resolve(`*2\r\n$${big.length}\r\n${big}\r\n:1\r\n`),
    async (port) => {
      const connection = await KacheConnection.connect({
        hostname: "127.0.0.1",
        port,
        protocol: "resp",
      });
      const reply = await connection.send(["GET", "big"]);
      assert.equal(reply.type, "array");
      assert.deepEqual(reply.type === "array" && reply.items[0], { type: "bulk", value: big });
      connection.close();
    },
  );
});

Deno.test("KacheConnection fails waiting requests when the server closes", async () => {
  await withServer(
    () => Promise.resolve(null),
    async (port) => {
      const connection = await KacheConnection.connect({
        hostname: "127.0.0.1",
        port,
        protocol: "resp",
      });
      await assert.rejects(connection.send(["PING"]), (error: unknown) => {
        assert.ok(error instanceof ConnectionError);
        assert.equal(error.message, "Server closed the connection");
        return true;
      });
      await connection.closed;
      assert.equal(connection.isClosed, true);
      await assert.rejects(connection.send(["PING"]), ConnectionError);
    },
  );
});

Deno.test("KacheConnection closes on a protocol error and says why", async () => {
  await withServer(
    () => Promise.resolve("?garbage\r\n"),
    async (port) => {
      const connection = await KacheConnection.connect({
        hostname: "127.0.0.1",
        port,
        protocol: "resp",
      });
      await assert.rejects(connection.send(["PING"]), /Protocol error: unknown reply type byte/);
    },
  );
});

Deno.test("KacheConnection reports a refused connection as redis-cli words it", async () => {
  // A port that was just free: nothing listens there.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  await assert.rejects(
    KacheConnection.connect({ hostname: "127.0.0.1", port, protocol: "resp" }),
    (error: unknown) => {
      assert.ok(error instanceof ConnectionError);
      assert.equal(error.message, "Connection refused");
      return true;
    },
  );
});

Deno.test("KacheConnection speaks the binary protocol and maps statuses", async () => {
  const store = new Map<string, string>();
  const decoder = new KacheDecoder();
  let pending = new Uint8Array(0);
  await withServer(
    (received) => {
      const bytes = new Uint8Array([...pending, ...stringToBytes(received)]);
      const { requests, consumed } = decoder.decode(bytes, 0, bytes.length);
      pending = bytes.slice(consumed);
      const encoder = new KacheEncoder();
      for (const [name, key, value] of requests) {
        if (name === "set") {
          store.set(key!, value!);
          encoder.writeResponse(KacheStatus.ok, Reply.NIL);
        } else if (name === "get") {
          const found = store.get(key!);
          if (found === undefined) encoder.writeResponse(KacheStatus.notFound, Reply.NIL);
          else encoder.writeResponse(KacheStatus.ok, Reply.bulk(found));
        } else {
          encoder.writeResponse(KacheStatus.unknown, undefined);
        }
      }
      return Promise.resolve(encoder.take().slice());
    },
    async (port) => {
      const connection = await KacheConnection.connect({
        hostname: "127.0.0.1",
        port,
        protocol: "kache",
      });
      const [set, get, missing, unknown] = await Promise.all([
        connection.send(["set", "k", "\xff\x00"]),
        connection.send(["get", "k"]),
        connection.send(["get", "nope"]),
        connection.send(["frobnicate"]),
      ]);
      assert.deepEqual(set, { type: "null" });
      assert.deepEqual(get, { type: "bulk", value: "\xff\x00" });
      assert.deepEqual(missing, { type: "status-code", status: 2, item: { type: "null" } });
      assert.deepEqual(unknown, { type: "status-code", status: 1, item: undefined });
      connection.close();
    },
  );
});

Deno.test("KacheConnection.writeRaw sends bytes as they are; their replies come through onPush", async () => {
  let received = "";
  await withServer(
    (chunk) => {
      received += chunk;
      return Promise.resolve(chunk.includes("PING") ? "+PONG\r\n-ERR no\r\n" : "");
    },
    async (port) => {
      const connection = await KacheConnection.connect({
        hostname: "127.0.0.1",
        port,
        protocol: "resp",
      });
      const pushed: ClientReply[] = [];
      const { promise: two, resolve } = Promise.withResolvers<void>();
      connection.onPush = (reply) => {
        pushed.push(reply);
        if (pushed.length === 2) resolve();
      };
      await connection.writeRaw(stringToBytes("PING\r\n\xff"));
      await two;
      connection.close();
      assert.equal(received, "PING\r\n\xff");
      assert.deepEqual(pushed, [{ type: "status", value: "PONG" }, {
        type: "error",
        message: "ERR no",
      }]);
    },
  );
});

Deno.test("KacheConnection.readRaw hands over undecoded bytes, in order, after a reply", async () => {
  await withServer(
    (chunk) =>
      Promise.resolve(
        chunk.startsWith("*1") ? "+OK\r\n" : "$EOF:not-resp\r\n\x00\x01binary",
      ),
    async (port) => {
      const connection = await KacheConnection.connect({
        hostname: "127.0.0.1",
        port,
        protocol: "resp",
      });
      assert.deepEqual(await connection.send(["REPLCONF"]), { type: "status", value: "OK" });
      let raw = "";
      const { promise: complete, resolve } = Promise.withResolvers<void>();
      connection.readRaw(async (bytes) => {
        await Promise.resolve(); // the next read waits for the sink
        raw += String.fromCharCode(...bytes);
        if (raw.endsWith("binary")) resolve();
      });
      await connection.writeRaw(stringToBytes("SYNC\r\n"));
      await complete;
      connection.close();
      assert.equal(raw, "$EOF:not-resp\r\n\x00\x01binary");
    },
  );
});
