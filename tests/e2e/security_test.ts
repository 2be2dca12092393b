/**
 * Hardening against clients that should not get in or should not get far,
 * on both ports of a real server: passwords compared as bytes, protected
 * configs, limits on requests before AUTH, protected mode per connection.
 */
import assert from "node:assert/strict";
import { bytesToString, stringToBytes, utf8ToBinary } from "../../lib/bytes.ts";
import { encodeKacheRequest, KacheEncoder, KacheStatus } from "../../lib/protocol/kache.ts";
import { PROTECTED_MODE_DENIED } from "../../lib/protection.ts";
import { error } from "../../lib/reply.ts";
import { spawnLogged } from "../support/child_process.ts";
import { RawKacheClient } from "../support/kache_client.ts";
import { startRedis } from "../support/redis_process.ts";
import { RawRespClient } from "../support/resp_client.ts";
import { MAIN, startServer } from "../support/server_process.ts";

const WRONGPASS = "-WRONGPASS invalid username-password pair or user is disabled.\r\n";

/** A password outside Latin-1, and what its UTF-8 bytes look like if each is cut to a char. */
const CYRILLIC = "пароль";
const MANGLED = "?0@>;L";

Deno.test("AUTH compares the bytes of a non-Latin-1 --requirepass, on both ports", async () => {
  const server = await startServer(["--requirepass", CYRILLIC]);
  const resp = await RawRespClient.connect(server.respPort);
  const binary = await RawKacheClient.connect(server.kachePort);
  try {
    assert.equal((await resp.send(["AUTH", MANGLED])).raw, WRONGPASS);
    assert.equal((await resp.send(["AUTH", utf8ToBinary(CYRILLIC)])).raw, "+OK\r\n");
    assert.equal((await resp.send(["AUTH", "default", utf8ToBinary(CYRILLIC)])).raw, "+OK\r\n");
    assert.match(
      (await resp.send(["HELLO", "2", "AUTH", "default", utf8ToBinary(CYRILLIC)])).raw,
      /^\*14\r\n\$6\r\nserver\r\n/,
    );
    assert.equal((await resp.send(["HELLO", "2", "AUTH", "default", MANGLED])).raw, WRONGPASS);
    assert.equal(
      (await resp.send(["CONFIG", "GET", "requirepass"])).raw,
      `*2\r\n$11\r\nrequirepass\r\n$12\r\n${utf8ToBinary(CYRILLIC)}\r\n`,
    );

    assert.equal((await binary.request(["AUTH", MANGLED])).status, KacheStatus.error);
    assert.equal((await binary.request(["AUTH", utf8ToBinary(CYRILLIC)])).status, KacheStatus.ok);
  } finally {
    resp.close();
    binary.close();
    await server.stop();
  }
});

Deno.test("CONFIG SET requirepass takes the client's bytes as the new password", async () => {
  const server = await startServer();
  const admin = await RawRespClient.connect(server.respPort);
  try {
    const password = utf8ToBinary("密码ü");
    assert.equal((await admin.send(["CONFIG", "SET", "requirepass", password])).raw, "+OK\r\n");
    const client = await RawRespClient.connect(server.respPort);
    try {
      assert.equal((await client.send(["AUTH", "default", password])).raw, "+OK\r\n");
    } finally {
      client.close();
    }
  } finally {
    admin.close();
    await server.stop();
  }
});

/**
 * This machine's own non-loopback IPv4 address, or undefined when it has
 * none. Tests bind it and connect to it from this machine only, so the
 * traffic never leaves the host, yet the server sees a non-loopback peer.
 */
function ownNonLoopbackAddress(): string | undefined {
  return Deno.networkInterfaces().find((network) =>
    network.family === "IPv4" && !network.address.startsWith("127.")
  )?.address;
}
const EXTERNAL = ownNonLoopbackAddress();
const NO_EXTERNAL_ADDRESS = EXTERNAL === undefined;

/** Everything the server sends on `conn` until it closes (2 s at most), one char per byte. */
async function readUntilClosed(conn: Deno.Conn): Promise<string> {
  let text = "";
  const buffer = new Uint8Array(4096);
  const deadline = setTimeout(() => conn.close(), 2_000);
  try {
    while (true) {
      const count = await conn.read(buffer).catch(() => null);
      if (count === null) return text;
      text += bytesToString(buffer, 0, count);
    }
  } finally {
    clearTimeout(deadline);
  }
}

/** Connects to `hostname:port`, sends `request`, returns all the server sent before closing. */
async function exchange(hostname: string, port: number, request: Uint8Array): Promise<string> {
  const conn = await Deno.connect({ hostname, port });
  try {
    await conn.write(request);
    return await readUntilClosed(conn);
  } finally {
    try {
      conn.close();
    } catch {
      // Closed by the deadline.
    }
  }
}

const PING_INLINE = new TextEncoder().encode("PING\r\nQUIT\r\n");
const PING_BINARY = encodeKacheRequest(["PING"]);

/** The binary protocol's error frame: status 3, tag 1, the message. */
function kacheErrorFrame(message: string): string {
  const encoder = new KacheEncoder(64);
  encoder.writeReply(error(message));
  return bytesToString(encoder.take());
}

Deno.test({
  name:
    "protected mode answers -DENIED to non-loopback clients on both ports, checked per connection",
  ignore: NO_EXTERNAL_ADDRESS,
  async fn() {
    const server = await startServer(["--bind", "127.0.0.1", EXTERNAL!, "--requirepass", "pw"]);
    const admin = await RawRespClient.connect(server.respPort);
    try {
      // With a password the remote client is served (and asked to authenticate).
      assert.equal(
        await exchange(EXTERNAL!, server.respPort, PING_INLINE),
        "-NOAUTH Authentication required.\r\n+OK\r\n",
      );
      assert.equal((await admin.send(["AUTH", "pw"])).raw, "+OK\r\n");
      // Dropping the password at run time closes the door to remote clients at once.
      assert.equal((await admin.send(["CONFIG", "SET", "requirepass", ""])).raw, "+OK\r\n");
      assert.equal(
        await exchange(EXTERNAL!, server.respPort, PING_INLINE),
        `-${PROTECTED_MODE_DENIED}\r\n`,
      );
      assert.equal(
        await exchange(EXTERNAL!, server.kachePort, PING_BINARY),
        kacheErrorFrame(PROTECTED_MODE_DENIED),
      );
      // Loopback clients are still served, on both ports.
      assert.equal(await exchange("127.0.0.1", server.respPort, PING_INLINE), "+PONG\r\n+OK\r\n");
      const binary = await RawKacheClient.connect(server.kachePort);
      try {
        assert.equal((await binary.request(["PING"])).status, KacheStatus.ok);
      } finally {
        binary.close();
      }
      assert.match(
        (await admin.send(["INFO", "stats"])).raw,
        /rejected_connections:2\r\n/,
      );
      // protected-mode no opens it, as Redis's text tells the operator.
      assert.equal((await admin.send(["CONFIG", "SET", "protected-mode", "no"])).raw, "+OK\r\n");
      assert.equal(await exchange(EXTERNAL!, server.respPort, PING_INLINE), "+PONG\r\n+OK\r\n");
    } finally {
      admin.close();
      await server.stop();
    }
  },
});

Deno.test({
  name: "protected mode lets a server start on a non-loopback bind without a password and warns",
  ignore: NO_EXTERNAL_ADDRESS,
  async fn() {
    const server = await startServer(["--bind", "127.0.0.1", EXTERNAL!]);
    try {
      assert.match(server.output(), /Protected mode is on and no password is set/);
      assert.equal(
        await exchange(EXTERNAL!, server.respPort, PING_INLINE),
        `-${PROTECTED_MODE_DENIED}\r\n`,
      );
    } finally {
      await server.stop();
    }
  },
});

const PROTECTED = (name: string) =>
  `-ERR CONFIG SET failed (possibly related to argument '${name}') - can't set protected config\r\n`;

Deno.test("CONFIG SET dir and dbfilename are refused on both ports by default, so SAVE writes only dump.rdb", async () => {
  const target = await Deno.makeTempDir({ prefix: "kache-target-" });
  const server = await startServer();
  const resp = await RawRespClient.connect(server.respPort);
  const binary = await RawKacheClient.connect(server.kachePort);
  try {
    assert.equal((await resp.send(["CONFIG", "SET", "dir", target])).raw, PROTECTED("dir"));
    assert.equal(
      (await resp.send(["CONFIG", "SET", "dbfilename", "../../authorized_keys"])).raw,
      PROTECTED("dbfilename"),
    );
    for (const argv of [["CONFIG", "SET", "dir", target], ["CONFIG", "SET", "dbfilename", "x"]]) {
      const response = await binary.request(argv);
      assert.equal(response.status, KacheStatus.error);
      assert.deepEqual(response.item, { tag: "error", message: PROTECTED(argv[2]!).slice(1, -2) });
    }
    assert.equal((await resp.send(["SET", "k", "\nssh-ed25519 AAAA attacker\n"])).raw, "+OK\r\n");
    assert.equal((await resp.send(["SAVE"])).raw, "+OK\r\n");
    assert.deepEqual([...Deno.readDirSync(target)], []);
  } finally {
    resp.close();
    binary.close();
    await server.stop();
    await Deno.remove(target, { recursive: true });
  }
});

Deno.test("enable-protected-configs yes allows dir and dbfilename but never a path in dbfilename", async () => {
  const target = await Deno.makeTempDir({ prefix: "kache-target-" });
  const server = await startServer(["--enable-protected-configs", "yes"]);
  const resp = await RawRespClient.connect(server.respPort);
  try {
    assert.equal(
      (await resp.send(["CONFIG", "SET", "dbfilename", "../escape.rdb"])).raw,
      "-ERR CONFIG SET failed (possibly related to argument 'dbfilename') - dbfilename can't be a " +
        "path, just a filename\r\n",
    );
    assert.equal((await resp.send(["CONFIG", "SET", "dir", target])).raw, "+OK\r\n");
    assert.equal((await resp.send(["CONFIG", "SET", "dbfilename", "moved.rdb"])).raw, "+OK\r\n");
    assert.equal((await resp.send(["SAVE"])).raw, "+OK\r\n");
    assert.deepEqual([...Deno.readDirSync(target)].map((entry) => entry.name), ["moved.rdb"]);
  } finally {
    resp.close();
    await server.stop();
    await Deno.remove(target, { recursive: true });
  }
});

Deno.test({
  name: "enable-protected-configs local allows loopback clients only",
  ignore: NO_EXTERNAL_ADDRESS,
  async fn() {
    const server = await startServer([
      "--bind",
      "127.0.0.1",
      EXTERNAL!,
      "--requirepass",
      "pw",
      "--enable-protected-configs",
      "local",
    ]);
    try {
      const set = (hostname: string) =>
        exchange(
          hostname,
          server.respPort,
          new TextEncoder().encode("AUTH pw\r\nCONFIG SET dbfilename x.rdb\r\nQUIT\r\n"),
        );
      assert.equal(await set(EXTERNAL!), `+OK\r\n${PROTECTED("dbfilename")}+OK\r\n`);
      assert.equal(await set("127.0.0.1"), "+OK\r\n+OK\r\n+OK\r\n");
    } finally {
      await server.stop();
    }
  },
});

Deno.test("a path in --dbfilename stops the server at startup with Redis's text", async () => {
  const child = spawnLogged(Deno.execPath(), [
    "run",
    "--allow-all",
    MAIN,
    "serve",
    "--port",
    "0",
    "--kache-port",
    "0",
    "--dbfilename",
    "../x.rdb",
  ]);
  // Bounded: a server that starts anyway is stopped and fails the test.
  for (let waited = 0; !child.exited() && waited < 20_000; waited += 25) {
    if (child.output().includes("ready")) break;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  const status = await child.stop();
  assert.equal(status.code, 1, child.output());
  assert.match(child.output(), /dbfilename can't be a path, just a filename/);
});

/** What a fresh connection to `port` gets back for `request` before the server closes it. */
function probe(port: number, request: string): Promise<string> {
  return exchange("127.0.0.1", port, stringToBytes(request));
}

Deno.test("before AUTH, RESP requests are held to Redis's limits and closed, exactly as redis-server", async () => {
  const value = "v".repeat(20000);
  const probes = [
    // A 200 MB argument announced: refused from its header, before any of it is buffered.
    "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$209715200\r\n",
    "*11\r\n",
    "*1\r\n$16385\r\n",
    "PING\r\n*11\r\n$1\r\n",
    // 16 KiB arguments are still fine, and AUTH lifts the limits for the request after it.
    `*2\r\n$4\r\nECHO\r\n$16384\r\n${"e".repeat(16384)}\r\nQUIT\r\n`,
    `AUTH pw\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$20000\r\n${value}\r\nSTRLEN k\r\nQUIT\r\n`,
  ];
  const server = await startServer();
  const redis = await startRedis();
  try {
    for (const port of [server.respPort, redis.port]) {
      assert.equal(await probe(port, "CONFIG SET requirepass pw\r\nQUIT\r\n"), "+OK\r\n+OK\r\n");
    }
    for (const request of probes) {
      const expected = await probe(redis.port, request);
      assert.equal(await probe(server.respPort, request), expected, request.slice(0, 40));
    }
    assert.equal(
      await probe(server.respPort, probes[0]!),
      "-ERR Protocol error: unauthenticated bulk length\r\n",
    );
    assert.equal(await probe(server.respPort, probes[5]!), "+OK\r\n+OK\r\n:20000\r\n+OK\r\n");
  } finally {
    await redis.stop();
    await server.stop();
  }
});

Deno.test("before AUTH, binary frames over 10 arguments of 16 KiB close the connection", async () => {
  const server = await startServer(["--requirepass", "pw"]);
  try {
    const huge = new Uint8Array(8);
    const view = new DataView(huge.buffer);
    view.setUint32(0, 300 * 1024 * 1024, true);
    view.setUint32(4, 3, true);
    assert.equal(await exchange("127.0.0.1", server.kachePort, huge), "");
    const eleven = encodeKacheRequest(new Array(11).fill("x"));
    assert.equal(await exchange("127.0.0.1", server.kachePort, eleven), "");

    // AUTH pipelined with a large request in one write: AUTH applies before it is judged.
    const client = await RawKacheClient.connect(server.kachePort);
    try {
      await client.writeRaw(
        new Uint8Array([
          ...encodeKacheRequest(["AUTH", "pw"]),
          ...encodeKacheRequest(["set", "k", "v".repeat(100_000)]),
        ]),
      );
      for (let i = 0; i < 2; i++) {
        const frame = await client.readFrame();
        assert.notEqual(frame, null);
        assert.equal(new DataView(frame!.buffer).getUint32(4, true), KacheStatus.ok);
      }
    } finally {
      client.close();
    }
  } finally {
    await server.stop();
  }
});
