/**
 * Hardening against clients that should not get in or should not get far,
 * on both ports of a real server: passwords compared as bytes, protected
 * configs, limits on requests before AUTH, protected mode per connection.
 */
import assert from "node:assert/strict";
import { utf8ToBinary } from "../../lib/bytes.ts";
import { KacheStatus } from "../../lib/protocol/kache.ts";
import { RawKacheClient } from "../support/kache_client.ts";
import { RawRespClient } from "../support/resp_client.ts";
import { startServer } from "../support/server_process.ts";

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
