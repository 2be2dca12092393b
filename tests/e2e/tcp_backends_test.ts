/**
 * Both TCP transports (`--tcp-backend deno`, the default, and `epoll`) on a
 * real server process: pipelines, values larger than the socket buffers both
 * ways, a client that reads late, blocking pops and pub/sub woken by other
 * clients, the binary wire, CLIENT KILL and SHUTDOWN; and the choice between
 * them. KACHE_TEST_TCP_BACKEND=epoll runs the whole suite on epoll.
 */
import assert from "node:assert/strict";
import { RawKacheClient } from "../support/kache_client.ts";
import { RawRespClient } from "../support/resp_client.ts";
import { spawnLogged } from "../support/child_process.ts";
import { freePort, startServer, withServer } from "../support/server_process.ts";
import { epollUnavailable } from "../../server/epoll.ts";

const epollMissing = epollUnavailable() !== undefined;

/** A value of `length` one-byte chars that differs at every position from its neighbours. */
function patterned(length: number): string {
  const chars = new Array<string>(length);
  for (let index = 0; index < length; index++) {
    chars[index] = String.fromCharCode(32 + index * 31 % 95);
  }
  return chars.join("");
}

for (const backend of ["epoll", "deno"]) {
  Deno.test({
    name: `${backend} backend: pipelines and values larger than the socket buffers, both ways`,
    ignore: backend === "epoll" && epollMissing,
    async fn() {
      await withServer(async (server) => {
        const client = await RawRespClient.connect(server.respPort);
        try {
          assert.equal(
            (await client.send(["CONFIG", "GET", "tcp-backend"])).raw,
            `*2\r\n$11\r\ntcp-backend\r\n$${backend.length}\r\n${backend}\r\n`,
          );
          // The transport actually serving, not just the setting.
          assert.ok(
            (await client.send(["INFO", "server"])).raw.includes(
              `\r\nmultiplexing_api:${backend}\r\n`,
            ),
          );
          const commands: string[][] = [];
          for (let index = 0; index < 3000; index++) {
            commands.push(["SET", `key:${index}`, `value:${index}`], ["GET", `key:${index}`]);
          }
          const replies = await client.pipeline(commands);
          for (let index = 0; index < 3000; index++) {
            assert.equal(replies[2 * index]!.raw, "+OK\r\n");
            assert.equal(
              replies[2 * index + 1]!.raw,
              `$${`value:${index}`.length}\r\nvalue:${index}\r\n`,
            );
          }
          const big = patterned(3 * 1024 * 1024);
          assert.equal((await client.send(["SET", "big", big])).raw, "+OK\r\n");
          // Four replies of 3 MB asked for at once, read only after a pause: the server's
          // writes wait for room, in order, while the client does not read.
          await client.writeRaw(
            new TextEncoder().encode("*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n".repeat(4)),
          );
          await new Promise((resolve) => setTimeout(resolve, 200));
          const expected = `$${big.length}\r\n${big}\r\n`;
          for (let index = 0; index < 4; index++) {
            const reply = await client.readReply();
            assert.ok(reply.raw === expected, `reply ${index} differs`);
          }
        } finally {
          client.close();
        }
      }, ["--tcp-backend", backend]);
    },
  });
}

for (const backend of ["epoll", "deno"]) {
  Deno.test({
    name: `${backend} backend: blocked pops and subscribers are woken by other clients`,
    ignore: backend === "epoll" && epollMissing,
    async fn() {
      await withServer(async (server) => {
        const [blocked, subscriber, other] = await Promise.all([
          RawRespClient.connect(server.respPort),
          RawRespClient.connect(server.respPort),
          RawRespClient.connect(server.respPort),
        ]);
        try {
          await blocked.writeRaw(
            new TextEncoder().encode("*3\r\n$5\r\nBLPOP\r\n$1\r\nq\r\n$1\r\n0\r\n"),
          );
          assert.equal(
            (await subscriber.send(["SUBSCRIBE", "news"])).raw,
            "*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n",
          );
          // Until the pop is waiting, RPUSH would just leave the element in the list.
          while ((await other.send(["CLIENT", "LIST"])).raw.indexOf("cmd=blpop") < 0) {
            await new Promise((resolve) => setTimeout(resolve, 10));
          }
          assert.equal((await other.send(["RPUSH", "q", "job"])).raw, ":1\r\n");
          assert.equal((await blocked.readReply()).raw, "*2\r\n$1\r\nq\r\n$3\r\njob\r\n");
          assert.equal((await other.send(["PUBLISH", "news", "hello"])).raw, ":1\r\n");
          assert.equal(
            (await subscriber.readReply()).raw,
            "*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$5\r\nhello\r\n",
          );
        } finally {
          for (const client of [blocked, subscriber, other]) client.close();
        }
      }, ["--tcp-backend", backend]);
    },
  });
}

for (const backend of ["epoll", "deno"]) {
  Deno.test({
    name: `${backend} backend: the binary wire, CLIENT KILL, a peer leaving mid-request, SHUTDOWN`,
    ignore: backend === "epoll" && epollMissing,
    async fn() {
      const server = await startServer(["--tcp-backend", backend]);
      try {
        const binary = await RawKacheClient.connect(server.kachePort);
        assert.deepEqual(await binary.request(["set", "k", "v"]), {
          status: 0,
          item: { tag: "nil" },
        });
        assert.deepEqual(await binary.request(["get", "k"]), {
          status: 0,
          item: { tag: "string", value: "v" },
        });
        const victim = await RawRespClient.connect(server.respPort);
        const admin = await RawRespClient.connect(server.respPort);
        assert.equal((await victim.send(["CLIENT", "SETNAME", "victim"])).raw, "+OK\r\n");
        assert.match(
          (await admin.send(["CLIENT", "KILL", "SKIPME", "yes", "TYPE", "normal"])).raw,
          /^:[1-9]/,
        );
        assert.equal(await victim.readToEnd(), "");
        assert.equal(await binary.isClosedByPeer(), true);
        // Half a request, then gone: nothing for anyone else.
        const leaving = await Deno.connect({ hostname: "127.0.0.1", port: server.respPort });
        await leaving.write(new TextEncoder().encode("*3\r\n$3\r\nSET\r\n$1\r\nx"));
        leaving.close();
        assert.equal((await admin.send(["PING"])).raw, "+PONG\r\n");
        // SHUTDOWN ends the process: a parked poller keeps nothing alive.
        await admin.writeRaw(new TextEncoder().encode("*2\r\n$8\r\nSHUTDOWN\r\n$6\r\nNOSAVE\r\n"));
        assert.equal(await admin.readToEnd(), "");
        assert.equal((await server.process.status).code, 0);
        victim.close();
        admin.close();
        binary.close();
      } finally {
        await server.stop();
      }
    },
  });
}

/** `kache serve` without --allow-ffi, on free ports in a scratch dir, with `args` after. */
async function serveWithoutFfi(args: string[]) {
  const dir = await Deno.makeTempDir({ prefix: "kache-" });
  const port = freePort();
  const child = spawnLogged(Deno.execPath(), [
    "run",
    "--allow-net",
    "--allow-read",
    "--allow-write",
    "--allow-env",
    "--allow-sys",
    new URL("../../main.ts", import.meta.url).pathname,
    "serve",
    "--port",
    String(port),
    "--kache-port",
    "0",
    "--dir",
    dir,
    "--save",
    "",
    ...args,
  ]);
  return {
    child,
    port,
    async stop() {
      await child.stop();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

Deno.test({
  name:
    "tcp-backend: Deno.listen by default, with no FFI needed; epoll asked for where it cannot run stops the start",
  ignore: epollMissing,
  async fn() {
    const plain = await serveWithoutFfi([]);
    try {
      while (!/ ready: RESP on /.test(plain.child.output())) {
        assert.ok(!plain.child.exited(), plain.child.output());
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      const client = await RawRespClient.connect(plain.port);
      try {
        assert.match((await client.send(["INFO", "server"])).raw, /\r\nmultiplexing_api:deno\r\n/);
        assert.match((await client.send(["CONFIG", "GET", "tcp-backend"])).raw, /\r\ndeno\r\n$/);
      } finally {
        client.close();
      }
    } finally {
      await plain.stop();
    }
    const named = await serveWithoutFfi(["--tcp-backend", "epoll"]);
    try {
      const status = await named.child.process.status;
      assert.notEqual(status.code, 0);
      assert.match(
        named.child.output(),
        /tcp-backend epoll cannot run: it needs Deno's --allow-ffi permission/,
      );
    } finally {
      await named.stop();
    }
  },
});
