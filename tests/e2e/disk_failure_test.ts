/**
 * A failing disk, end to end, on small tmpfs mounts (root only; ignored,
 * visibly, elsewhere): writes are refused with Redis's `-MISCONF` texts
 * while the AOF cannot be written or a BGSAVE failed, reads and INFO go on,
 * writing resumes by itself once space is freed, every acknowledged write
 * survives a restart, SIGTERM exits on a full disk even with `appendfsync
 * always`, leftover temporary files are removed at startup, and CONFIG SET
 * appendonly yes on a read-only `dir` fails and leaves it off.
 */
import assert from "node:assert/strict";
import { RawRespClient } from "../support/resp_client.ts";
import { type RunningServer, startServer } from "../support/server_process.ts";
import { fillDisk, mountTmpfs, TMPFS_AVAILABLE } from "../support/tmpfs.ts";
import type { ClientReply } from "../../lib/protocol/resp_reply.ts";
import { MISCONF_RDB } from "../../lib/persistence/disk_errors.ts";

const AOF_FULL = "MISCONF Errors writing to the AOF file: No space left on device";
const ignore = !TMPFS_AVAILABLE;
const VALUE = "x".repeat(1024);

async function send(client: RawRespClient, ...argv: string[]): Promise<ClientReply> {
  return (await client.send(argv)).reply;
}

function infoField(reply: ClientReply, field: string): string | undefined {
  if (reply.type !== "bulk") throw new Error(`INFO replied ${JSON.stringify(reply)}`);
  return new RegExp(`^${field}:(.*)\r$`, "m").exec(reply.value)?.[1];
}

/** Polls `check` every 50 ms, at most `tries` times; fails with `what` if it never holds. */
async function eventually(
  what: string,
  check: () => boolean | Promise<boolean>,
  tries = 100,
): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.fail(`never happened: ${what}`);
}

/** Sends SIGTERM and waits for the exit, at most `limitMs`; fails if the process is still there. */
async function stopWithin(server: RunningServer, limitMs: number): Promise<number> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stopped = server.stop("SIGTERM");
  const late = new Promise<"late">((resolve) => timer = setTimeout(() => resolve("late"), limitMs));
  const outcome = await Promise.race([stopped, late]);
  clearTimeout(timer);
  if (outcome === "late") {
    await server.stop("SIGKILL");
    assert.fail(`SIGTERM did not end the server within ${limitMs} ms:\n${server.output()}`);
  }
  return outcome;
}

Deno.test({
  name:
    "a full disk with appendfsync everysec refuses writes with MISCONF, serves reads, and resumes",
  ignore,
  async fn() {
    const tmpfs = await mountTmpfs("5m");
    let server: RunningServer | undefined;
    try {
      const flags = ["--appendonly", "yes", "--appendfsync", "everysec"];
      server = await startServer(flags, { dir: tmpfs.path });
      const client = await RawRespClient.connect(server.respPort);
      const acknowledged: string[] = [];
      const set = async (key: string) => {
        const reply = await send(client, "SET", key, VALUE);
        if (reply.type === "status" && reply.value === "OK") acknowledged.push(key);
        return reply;
      };
      for (let i = 0; i < 50; i++) {
        assert.deepEqual(await set(`before:${i}`), { type: "status", value: "OK" });
      }
      const filler = await fillDisk(tmpfs.path);
      // Writes already buffered may be acknowledged; the first failed write stops the rest.
      let refused: ClientReply | undefined;
      for (let i = 0; i < 5000 && refused === undefined; i++) {
        const reply = await set(`during:${i}`);
        if (reply.type === "error") refused = reply;
      }
      assert.deepEqual(refused, { type: "error", message: AOF_FULL });
      assert.deepEqual(await send(client, "SET", "other", "1"), {
        type: "error",
        message: AOF_FULL,
      });
      assert.deepEqual(await send(client, "GET", "before:0"), { type: "bulk", value: VALUE });
      assert.deepEqual(await send(client, "DBSIZE"), {
        type: "integer",
        value: BigInt(acknowledged.length),
      });
      // PING is refused too, as Redis refuses it, so health checks see the problem.
      assert.deepEqual(await send(client, "PING"), { type: "error", message: AOF_FULL });
      const info = await send(client, "INFO", "persistence");
      assert.equal(infoField(info, "aof_last_write_status"), "err");
      assert.match(server.output(), /Error writing to the AOF file .*: No space left on device/);

      await Deno.remove(filler);
      await eventually("writes resume", async () => (await set("after:0")).type === "status");
      for (let i = 1; i < 50; i++) {
        assert.deepEqual(await set(`after:${i}`), { type: "status", value: "OK" });
      }
      assert.equal(
        infoField(await send(client, "INFO", "persistence"), "aof_last_write_status"),
        "ok",
      );
      assert.match(server.output(), /AOF write error looks solved/);
      client.close();
      assert.equal(await stopWithin(server, 10_000), 0);

      server = await startServer(flags, { dir: tmpfs.path });
      const reader = await RawRespClient.connect(server.respPort);
      assert.deepEqual(await send(reader, "DBSIZE"), {
        type: "integer",
        value: BigInt(acknowledged.length),
      });
      for (const key of acknowledged) {
        assert.deepEqual(await send(reader, "GET", key), { type: "bulk", value: VALUE }, key);
      }
      reader.close();
    } finally {
      await server?.stop();
      await tmpfs.unmount();
    }
  },
});

Deno.test({
  name: "a full disk with appendfsync always refuses writes, serves reads, and SIGTERM exits",
  ignore,
  async fn() {
    const tmpfs = await mountTmpfs("5m");
    let server: RunningServer | undefined;
    try {
      server = await startServer(["--appendonly", "yes", "--appendfsync", "always"], {
        dir: tmpfs.path,
      });
      const writer = await RawRespClient.connect(server.respPort);
      const other = await RawRespClient.connect(server.respPort);
      assert.deepEqual(await send(writer, "SET", "k", "v"), { type: "status", value: "OK" });
      await fillDisk(tmpfs.path);
      // Executed, but not durable: their replies wait for the disk (or for shutdown). The
      // first few may still fit in the file's last page.
      const set = `*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$${VALUE.length}\r\n${VALUE}\r\n`;
      await writer.writeRaw(new TextEncoder().encode(set.repeat(20)));
      await eventually(
        "the write fails",
        async () =>
          infoField(await send(other, "INFO", "persistence"), "aof_last_write_status") === "err",
      );
      assert.deepEqual(await send(other, "SET", "k2", "v"), { type: "error", message: AOF_FULL });
      assert.deepEqual(await send(other, "PING"), { type: "error", message: AOF_FULL });
      assert.deepEqual(await send(other, "EXISTS", "k2"), { type: "integer", value: 0n });
      assert.equal((await send(other, "GET", "k")).type, "bulk");
      other.close();
      await stopWithin(server, 5_000);
      assert.match(
        server.output(),
        /Could not save the AOF before closing it \(No space left on device\): \d+ bytes not written/,
      );
      writer.close();
    } finally {
      await server?.stop();
      await tmpfs.unmount();
    }
  },
});

Deno.test({
  name:
    "a failed BGSAVE with save points refuses writes until stop-writes-on-bgsave-error no or a save succeeds",
  ignore,
  async fn() {
    const tmpfs = await mountTmpfs("1m");
    let server: RunningServer | undefined;
    try {
      server = await startServer(["--save", "3600 1"], { dir: tmpfs.path });
      const client = await RawRespClient.connect(server.respPort);
      assert.deepEqual(await send(client, "SET", "k", "v"), { type: "status", value: "OK" });
      const filler = await fillDisk(tmpfs.path);
      assert.deepEqual(await send(client, "BGSAVE"), {
        type: "status",
        value: "Background saving started",
      });
      await eventually(
        "the BGSAVE fails",
        async () =>
          infoField(await send(client, "INFO", "persistence"), "rdb_last_bgsave_status") === "err",
      );
      assert.deepEqual(await send(client, "SET", "k", "w"), {
        type: "error",
        message: MISCONF_RDB,
      });
      assert.deepEqual(await send(client, "GET", "k"), { type: "bulk", value: "v" });
      assert.deepEqual(await send(client, "CONFIG", "SET", "stop-writes-on-bgsave-error", "no"), {
        type: "status",
        value: "OK",
      });
      assert.deepEqual(await send(client, "SET", "k", "w"), { type: "status", value: "OK" });
      await send(client, "CONFIG", "SET", "stop-writes-on-bgsave-error", "yes");
      assert.deepEqual(await send(client, "SET", "k", "x"), {
        type: "error",
        message: MISCONF_RDB,
      });
      // Without save points nothing asks for snapshots, so nothing is refused (Redis's rule).
      await send(client, "CONFIG", "SET", "save", "");
      assert.deepEqual(await send(client, "SET", "k", "x"), { type: "status", value: "OK" });
      await send(client, "CONFIG", "SET", "save", "3600 1");
      assert.deepEqual(await send(client, "SET", "k", "y"), {
        type: "error",
        message: MISCONF_RDB,
      });
      await Deno.remove(filler);
      assert.deepEqual(await send(client, "BGSAVE"), {
        type: "status",
        value: "Background saving started",
      });
      await eventually(
        "the BGSAVE succeeds",
        async () =>
          infoField(await send(client, "INFO", "persistence"), "rdb_last_bgsave_status") === "ok",
      );
      assert.deepEqual(await send(client, "SET", "k", "y"), { type: "status", value: "OK" });
      client.close();
    } finally {
      await server?.stop();
      await tmpfs.unmount();
    }
  },
});

Deno.test({
  name: "CONFIG SET appendonly yes on a read-only dir fails with Redis's error and stays no",
  ignore,
  async fn() {
    const tmpfs = await mountTmpfs("1m", { readOnly: true });
    let server: RunningServer | undefined;
    try {
      server = await startServer([], { dir: tmpfs.path });
      const client = await RawRespClient.connect(server.respPort);
      assert.deepEqual(await send(client, "CONFIG", "SET", "appendonly", "yes"), {
        type: "error",
        message:
          "ERR CONFIG SET failed (possibly related to argument 'appendonly') - Unable to turn on AOF. Check server logs.",
      });
      assert.deepEqual(await send(client, "CONFIG", "GET", "appendonly"), {
        type: "array",
        items: [{ type: "bulk", value: "appendonly" }, { type: "bulk", value: "no" }],
      });
      assert.equal(infoField(await send(client, "INFO", "persistence"), "aof_enabled"), "0");
      assert.deepEqual(await send(client, "SET", "k", "v"), { type: "status", value: "OK" });
      assert.match(
        server.output(),
        /Can't turn on the AOF: .* cannot be written: Read-only file system/,
      );
      client.close();
    } finally {
      await server?.stop();
      await tmpfs.unmount();
    }
  },
});

Deno.test("startup removes the temporary files an interrupted save or rewrite left", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kache-" });
  let server: RunningServer | undefined;
  try {
    await Deno.mkdir(`${dir}/appendonlydir`);
    const leftovers = [
      "temp-999999-1.rdb",
      "temp-4242.rdb",
      "appendonlydir/temp-999999-7.rdb",
      "appendonlydir/temp-999999-8.tmp",
    ];
    const kept = ["temp-notes.txt", "temp-999999-1.rdb.bak"];
    for (const name of [...leftovers, ...kept]) {
      await Deno.writeTextFile(`${dir}/${name}`, "partial");
    }
    server = await startServer(["--appendonly", "yes"], { dir });
    await server.stop();
    for (const name of leftovers) {
      await assert.rejects(Deno.stat(`${dir}/${name}`), Deno.errors.NotFound, name);
    }
    for (const name of kept) assert.ok((await Deno.stat(`${dir}/${name}`)).isFile, name);
    assert.match(
      server.output(),
      /Removed .*temp-999999-1\.rdb, left by an interrupted save or rewrite/,
    );
  } finally {
    await server?.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name:
    "automatic AOF rewrites that keep failing back off after three tries; BGREWRITEAOF still runs",
  ignore,
  async fn() {
    const tmpfs = await mountTmpfs("5m");
    let server: RunningServer | undefined;
    try {
      server = await startServer(
        ["--appendonly", "yes", "--auto-aof-rewrite-min-size", "1kb"],
        { dir: tmpfs.path },
      );
      const client = await RawRespClient.connect(server.respPort);
      await fillDisk(tmpfs.path);
      // Grows the AOF past 100% of its base and the minimum, so rewrites are due every tick.
      for (let i = 0; i < 10; i++) await send(client, "SET", `k${i}`, VALUE);
      const failures = () =>
        server!.output().match(/Background AOF rewrite failed|Can't start the AOF rewrite/g)
          ?.length ?? 0;
      await eventually("the limit", () => /will retry in 1 minutes/.test(server!.output()));
      // Ten more cron ticks: none starts a rewrite.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      assert.equal(failures(), 3, server.output());
      const info = await send(client, "INFO", "persistence");
      assert.equal(infoField(info, "aof_rewrites_consecutive_failures"), "3");
      assert.equal(infoField(info, "aof_last_bgrewrite_status"), "err");
      assert.deepEqual(await send(client, "BGREWRITEAOF"), {
        type: "status",
        value: "Background append only file rewriting started",
      });
      await eventually("the requested rewrite fails", () => failures() === 4);
      client.close();
    } finally {
      await server?.stop();
      await tmpfs.unmount();
    }
  },
});
