/**
 * How much memory clients that never authenticate can make the server hold
 * (issue 10, item 7): with `requirepass` set, four RESP connections each
 * announce a 200 MB argument and stream it, and one binary connection sends a
 * 300 MB frame; the server's RSS is read from /proc before and after, for
 * Kache and for redis-server on the same machine.
 *
 *   deno run --allow-all bench/preauth_memory.ts [path/to/main.ts]
 *
 * The optional path runs another checkout's Kache (e.g. one exported with
 * `git archive` from before the fix) instead of this one.
 */
import { spawnLogged } from "../tests/support/child_process.ts";
import { freePort, MAIN } from "../tests/support/server_process.ts";

const MB = 1024 * 1024;
const RESP_CLIENTS = 4;
const RESP_ARGUMENT = 200 * MB;
const BINARY_FRAME = 300 * MB;

function rssMb(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

/** Sends `header`, then `body` bytes of zeros in 1 MB writes, until done or the server hangs up. */
async function stream(port: number, header: Uint8Array, body: number): Promise<Deno.Conn> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const chunk = new Uint8Array(MB);
  try {
    await conn.write(header);
    // One byte short, so the request never completes and nothing is executed.
    for (let sent = 0; sent < body - 1;) {
      sent += await conn.write(chunk.subarray(0, Math.min(chunk.length, body - 1 - sent)));
    }
  } catch {
    // Closed by the server: what the fix is for.
  }
  return conn;
}

async function waitUntil(ready: () => boolean | Promise<boolean>): Promise<void> {
  for (let waited = 0; !(await ready()); waited += 50) {
    if (waited > 20_000) throw new Error("Server did not start");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function answersNoAuth(port: number): Promise<boolean> {
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(new TextEncoder().encode("PING\r\n"));
    const buffer = new Uint8Array(64);
    const count = await conn.read(buffer);
    conn.close();
    return count !== null && new TextDecoder().decode(buffer.subarray(0, count)).includes("NOAUTH");
  } catch {
    return false;
  }
}

async function measure(
  name: string,
  command: string,
  args: string[],
  ports: { resp: number; kache?: number },
): Promise<void> {
  const child = spawnLogged(command, args, { killAfterMs: 5_000 });
  try {
    await waitUntil(() => answersNoAuth(ports.resp));
    const before = rssMb(child.process.pid);
    const header = new TextEncoder().encode(`*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$${RESP_ARGUMENT}\r\n`);
    const conns = await Promise.all(
      Array.from({ length: RESP_CLIENTS }, () => stream(ports.resp, header, RESP_ARGUMENT)),
    );
    if (ports.kache !== undefined) {
      const frame = new Uint8Array(8);
      new DataView(frame.buffer).setUint32(0, BINARY_FRAME, true);
      new DataView(frame.buffer).setUint32(4, 3, true);
      conns.push(await stream(ports.kache, frame, BINARY_FRAME - 4));
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    const after = rssMb(child.process.pid);
    console.log(
      `${name}: RSS ${before.toFixed(0)} MB idle -> ${after.toFixed(0)} MB with ` +
        `${RESP_CLIENTS} unauthenticated ${RESP_ARGUMENT / MB} MB arguments` +
        (ports.kache === undefined ? "" : ` + one ${BINARY_FRAME / MB} MB binary frame`) +
        ` (+${(after - before).toFixed(0)} MB)`,
    );
    for (const conn of conns) {
      try {
        conn.close();
      } catch {
        // Already closed.
      }
    }
  } finally {
    await child.stop();
  }
}

const main = Deno.args[0] ?? MAIN;
const dir = await Deno.makeTempDir({ prefix: "kache-preauth-" });
try {
  const kache = { resp: freePort(), kache: freePort() };
  await measure("kache", Deno.execPath(), [
    "run",
    "--allow-all",
    "--v8-flags=--max-semi-space-size=2",
    main,
    "serve",
    ...["--port", String(kache.resp), "--kache-port", String(kache.kache)],
    ...["--requirepass", "pw", "--save", "", "--dir", dir],
  ], kache);
  const redisPort = freePort();
  await measure("redis-server", "redis-server", [
    ...["--port", String(redisPort), "--bind", "127.0.0.1", "--requirepass", "pw"],
    ...["--save", "", "--appendonly", "no", "--dir", dir],
  ], { resp: redisPort });
} finally {
  await Deno.remove(dir, { recursive: true });
}
