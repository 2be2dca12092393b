import assert from "node:assert/strict";
import { epollUnavailable, listenEpoll } from "../../server/epoll.ts";
import type { StreamConn, StreamListener } from "../../server/stream.ts";

const available = epollUnavailable() === undefined;

/** A listener on an ephemeral loopback port, a client connected to it, and the accepted side. */
async function connectedPair(): Promise<
  { listener: StreamListener; client: Deno.TcpConn; server: StreamConn; port: number }
> {
  const listener = listenEpoll("127.0.0.1", 0);
  const port = (listener.addr as Deno.NetAddr).port;
  const [client, server] = await Promise.all([
    Deno.connect({ hostname: "127.0.0.1", port }),
    listener.accept(),
  ]);
  return { listener, client, server, port };
}

async function readExactly(conn: Deno.Conn, length: number): Promise<Uint8Array> {
  const bytes = new Uint8Array(length);
  let filled = 0;
  while (filled < length) {
    const count = await conn.read(bytes.subarray(filled));
    if (count === null) throw new Error(`end of stream after ${filled} of ${length} bytes`);
    filled += count;
  }
  return bytes;
}

Deno.test({
  name: "epoll: accepted connections read, write and name both ends",
  ignore: !available,
  async fn() {
    const { listener, client, server, port } = await connectedPair();
    try {
      assert.deepEqual(server.localAddr, { transport: "tcp", hostname: "127.0.0.1", port });
      assert.deepEqual(server.remoteAddr, { ...client.localAddr });
      await client.write(new TextEncoder().encode("ping"));
      const buffer = new Uint8Array(16);
      const count = await server.read(buffer);
      assert.deepEqual(new TextDecoder().decode(buffer.subarray(0, count!)), "ping");
      // A read waiting before the bytes arrive is woken by the socket's event.
      const waiting = server.read(buffer);
      await client.write(new TextEncoder().encode("later"));
      assert.deepEqual(new TextDecoder().decode(buffer.subarray(0, (await waiting)!)), "later");
      assert.deepEqual(await server.write(new TextEncoder().encode("pong")), 4);
      assert.deepEqual(new TextDecoder().decode(await readExactly(client, 4)), "pong");
      // The peer's end of stream is a null read, as Deno.Conn's.
      client.close();
      assert.deepEqual(await server.read(buffer), null);
    } finally {
      server.close();
      listener.close();
    }
  },
});

Deno.test({
  name: "epoll: the end of stream that came with the last bytes is still read after them",
  ignore: !available,
  async fn() {
    const { listener, client, server } = await connectedPair();
    try {
      await client.write(new TextEncoder().encode("last"));
      client.close();
      // The poller sees data and the peer's end in one event before anything reads.
      await new Promise((resolve) => setTimeout(resolve, 50));
      const buffer = new Uint8Array(64);
      assert.equal(await server.read(buffer), 4);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const end = await Promise.race([
        server.read(buffer),
        new Promise<string>((resolve) =>
          timer = setTimeout(() => resolve("no end of stream"), 2000)
        ),
      ]);
      clearTimeout(timer);
      assert.equal(end, null);
    } finally {
      server.close();
      listener.close();
    }
  },
});

Deno.test({
  name: "epoll: a write larger than the socket buffer waits for room and arrives whole",
  ignore: !available,
  async fn() {
    const { listener, client, server } = await connectedPair();
    try {
      const payload = new Uint8Array(32 * 1024 * 1024);
      for (let index = 0; index < payload.length; index++) payload[index] = index * 7 % 251;
      // Deno.Conn.write semantics: each call may take part of the bytes.
      const writing = (async () => {
        let offset = 0;
        let calls = 0;
        while (offset < payload.length) {
          offset += await server.write(payload.subarray(offset));
          calls++;
        }
        return calls;
      })();
      // The client reads only after the server's socket buffer has filled.
      await new Promise((resolve) => setTimeout(resolve, 50));
      const received = await readExactly(client, payload.length);
      const calls = await writing;
      assert.ok(calls > 1, `expected partial writes, got ${calls} call(s)`);
      assert.deepEqual(received.length, payload.length);
      let mismatch = -1;
      for (let index = 0; index < payload.length && mismatch < 0; index++) {
        if (received[index] !== payload[index]) mismatch = index;
      }
      assert.deepEqual(mismatch, -1);
    } finally {
      client.close();
      server.close();
      listener.close();
    }
  },
});

Deno.test({
  name: "epoll: close rejects a pending read and a second close throws, as Deno.Conn's",
  ignore: !available,
  async fn() {
    const { listener, client, server } = await connectedPair();
    try {
      const pending = server.read(new Uint8Array(8));
      server.close();
      await assert.rejects(() => pending, Deno.errors.BadResource);
      await assert.rejects(() => server.read(new Uint8Array(8)), Deno.errors.BadResource);
      await assert.rejects(() => server.write(new Uint8Array(8)), Deno.errors.BadResource);
      assert.throws(() => server.close(), Deno.errors.BadResource);
      // The client sees the server's end of stream.
      assert.deepEqual(await client.read(new Uint8Array(8)), null);
    } finally {
      client.close();
      listener.close();
    }
  },
});

Deno.test({
  name: "epoll: writing to a peer that reset is an error, not a signal",
  ignore: !available,
  async fn() {
    const { listener, client, server } = await connectedPair();
    try {
      client.close();
      // The first send may still be taken; the peer's RST makes a later one fail.
      let failure: unknown;
      for (let attempt = 0; attempt < 50 && failure === undefined; attempt++) {
        try {
          await server.write(new Uint8Array(1024));
        } catch (cause) {
          failure = cause;
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      assert.ok(
        failure instanceof Deno.errors.BrokenPipe || failure instanceof Deno.errors.ConnectionReset,
        `expected BrokenPipe or ConnectionReset, got ${failure}`,
      );
    } finally {
      server.close();
      listener.close();
    }
  },
});

Deno.test({
  name: "epoll: listeners accept many clients, reject a taken port, and close a pending accept",
  ignore: !available,
  async fn() {
    const listener = listenEpoll("127.0.0.1", 0);
    const port = (listener.addr as Deno.NetAddr).port;
    try {
      assert.throws(() => listenEpoll("127.0.0.1", port), Deno.errors.AddrInUse);
      // Names resolve as Deno.listen resolves them; one that does not resolve is an error.
      assert.throws(() => listenEpoll("no-such-host.invalid", 0), /failed to lookup address/);
      const byName = listenEpoll("localhost", 0);
      assert.match((byName.addr as Deno.NetAddr).hostname, /^(127\.0\.0\.1|::1)$/);
      byName.close();
      const clients = await Promise.all(
        Array.from({ length: 20 }, () => Deno.connect({ hostname: "127.0.0.1", port })),
      );
      const accepted: StreamConn[] = [];
      for (let index = 0; index < clients.length; index++) accepted.push(await listener.accept());
      const ports = new Set(accepted.map((conn) => (conn.remoteAddr as Deno.NetAddr).port));
      assert.deepEqual(
        ports,
        new Set(clients.map((conn) => (conn.localAddr as Deno.NetAddr).port)),
      );
      for (const conn of [...clients, ...accepted]) conn.close();
      const pending = listener.accept();
      listener.close();
      await assert.rejects(() => pending, Deno.errors.BadResource);
    } finally {
      try {
        listener.close();
      } catch {
        // Closed above.
      }
    }
  },
});

Deno.test({
  name: "epoll: an IPv6 listener takes IPv6 clients",
  ignore: !available,
  async fn() {
    let listener: StreamListener;
    try {
      listener = listenEpoll("::1", 0);
    } catch (cause) {
      if (cause instanceof Deno.errors.AddrNotAvailable) return; // No IPv6 on this host.
      throw cause;
    }
    const port = (listener.addr as Deno.NetAddr).port;
    const [client, server] = await Promise.all([
      Deno.connect({ hostname: "::1", port }),
      listener.accept(),
    ]);
    try {
      assert.deepEqual((server.remoteAddr as Deno.NetAddr).hostname, "::1");
      await client.write(new Uint8Array([1, 2, 3]));
      const buffer = new Uint8Array(3);
      assert.deepEqual(await server.read(buffer), 3);
      assert.deepEqual([...buffer], [1, 2, 3]);
    } finally {
      client.close();
      server.close();
      listener.close();
    }
  },
});
