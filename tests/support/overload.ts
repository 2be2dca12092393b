/**
 * Load shapes shared by the overload test and `deno task bench:overload`:
 * thousands of connections held at once, connect/disconnect storms, a
 * client that pipelines requests and never reads the replies, and the
 * process measurements they are judged by (RSS, open descriptors, fd limits,
 * all read from /proc).
 *
 * Every client here compares the exact bytes it expects back rather than
 * decoding replies: the requests are fixed, so the replies are too, and a
 * byte comparison catches torn or misordered frames that a lenient decoder
 * would hide. Deno has no setrlimit, so descriptor limits are raised with
 * util-linux's `prlimit` on the running process.
 *
 * @module
 */
import { stringToBytes } from "../../lib/bytes.ts";
import { encodeKacheRequest } from "../../lib/protocol/kache.ts";
import { encodeRespRequest } from "../../lib/protocol/resp_reply.ts";
import { concatBytes } from "../../lib/bytes.ts";

/** Which port a client talks to. */
export type Wire = "resp" | "kache";

/** The two ports of a running Kache server. */
export interface Ports {
  readonly resp: number;
  readonly kache: number;
}

/** A process's open-files limit (RLIMIT_NOFILE). */
export interface FileLimit {
  readonly soft: number;
  readonly hard: number;
}

/** Reads a process's open-files limit from /proc (`"self"` for this process). */
export function fileLimit(pid: number | "self"): FileLimit {
  const line = Deno.readTextFileSync(`/proc/${pid}/limits`).split("\n")
    .find((row) => row.startsWith("Max open files"));
  const match = line?.match(/^Max open files\s+(\S+)\s+(\S+)/);
  if (match === undefined || match === null) throw new Error(`No open-files limit for ${pid}`);
  const parse = (value: string) => value === "unlimited" ? Infinity : Number(value);
  return { soft: parse(match[1]!), hard: parse(match[2]!) };
}

/**
 * Makes sure process `pid` may hold `wanted` descriptors, raising its limit
 * with `prlimit` when needed (raising the hard limit takes root, which CI
 * has). Throws a message saying what to do when that is impossible.
 */
export async function ensureFileLimit(pid: number, wanted: number): Promise<void> {
  const before = fileLimit(pid);
  if (before.soft >= wanted) return;
  const hard = Math.max(before.hard, wanted);
  let detail = "";
  try {
    const result = await new Deno.Command("prlimit", {
      args: ["--pid", String(pid), `--nofile=${wanted}:${hard}`],
      stdout: "null",
      stderr: "piped",
      stdin: "null",
    }).output();
    detail = new TextDecoder().decode(result.stderr).trim();
  } catch (cause) {
    detail = cause instanceof Deno.errors.NotFound
      ? "prlimit is not installed (it is in util-linux)"
      : String(cause);
  }
  if (fileLimit(pid).soft >= wanted) return;
  throw new Error(
    `This check needs ${wanted} open files in process ${pid}, but its limit is ${before.soft} ` +
      `(hard ${before.hard}) and raising it failed${detail === "" ? "" : `: ${detail}`}. ` +
      `Raising the hard limit takes root with CAP_SYS_RESOURCE (CI has it); or raise it before ` +
      `starting (ulimit -Hn ${wanted}).`,
  );
}

/** Lowers process `pid`'s soft open-files limit (allowed without privileges). */
export async function lowerFileLimit(pid: number, soft: number): Promise<void> {
  const { hard } = fileLimit(pid);
  const result = await new Deno.Command("prlimit", {
    args: ["--pid", String(pid), `--nofile=${soft}:${hard}`],
    stdout: "null",
    stderr: "piped",
    stdin: "null",
  }).output();
  if (!result.success) {
    throw new Error(`prlimit failed: ${new TextDecoder().decode(result.stderr).trim()}`);
  }
}

/** Resident set size of process `pid` in bytes (VmRSS in /proc/PID/status). */
export function rssBytes(pid: number): number {
  const match = Deno.readTextFileSync(`/proc/${pid}/status`).match(/^VmRSS:\s+(\d+) kB$/m);
  if (match === null) throw new Error(`No VmRSS for process ${pid}`);
  return Number(match[1]) * 1024;
}

/** How many descriptors process `pid` has open. */
export function openDescriptors(pid: number): number {
  let count = 0;
  for (const _ of Deno.readDirSync(`/proc/${pid}/fd`)) count++;
  return count;
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** One request's bytes on either wire. */
export function encodeRequest(wire: Wire, argv: readonly string[]): Uint8Array {
  return wire === "resp" ? encodeRespRequest(argv) : encodeKacheRequest(argv);
}

/** A binary-protocol response frame: status and at most one item, as the design table gives them. */
function kacheFrame(status: number, item: Uint8Array): Uint8Array {
  const frame = new Uint8Array(8 + item.length);
  const view = new DataView(frame.buffer);
  view.setUint32(0, 4 + item.length, true);
  view.setUint32(4, status, true);
  frame.set(item, 8);
  return frame;
}

function kacheString(value: string): Uint8Array {
  const item = new Uint8Array(5 + value.length);
  item[0] = 2;
  new DataView(item.buffer).setUint32(1, value.length, true);
  item.set(stringToBytes(value), 5);
  return item;
}

function kacheInteger(value: number): Uint8Array {
  const item = new Uint8Array(9);
  item[0] = 3;
  new DataView(item.buffer).setBigInt64(1, BigInt(value), true);
  return item;
}

/** The exact reply bytes each request the overload clients send gets back. */
export const expectedReply = {
  /** `SET k v` on RESP, `set k v` (nil item) on the binary port. */
  set(wire: Wire): Uint8Array {
    return wire === "resp" ? stringToBytes("+OK\r\n") : kacheFrame(0, Uint8Array.of(0));
  },
  /** `GET k` of an existing string value. */
  get(wire: Wire, value: string): Uint8Array {
    return wire === "resp"
      ? stringToBytes(`$${value.length}\r\n${value}\r\n`)
      : kacheFrame(0, kacheString(value));
  },
  /** `DEL k` of one existing key. */
  delOne(wire: Wire): Uint8Array {
    return wire === "resp" ? stringToBytes(":1\r\n") : kacheFrame(0, kacheInteger(1));
  },
  /** `PING` (the binary protocol has no status type: PONG arrives as a string item). */
  ping(wire: Wire): Uint8Array {
    return wire === "resp" ? stringToBytes("+PONG\r\n") : kacheFrame(0, kacheString("PONG"));
  },
};

/** Writes all of `bytes`. */
export async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) offset += await conn.write(bytes.subarray(offset));
}

/**
 * Sends `request` and reads exactly `expected.length` bytes back, throwing
 * unless they are byte for byte `expected` (or the server closes first).
 */
export async function exchange(
  conn: Deno.Conn,
  request: Uint8Array,
  expected: Uint8Array,
): Promise<void> {
  await writeAll(conn, request);
  const received = new Uint8Array(expected.length);
  let filled = 0;
  while (filled < received.length) {
    const count = await conn.read(received.subarray(filled));
    if (count === null) {
      throw new Error(`Server closed the connection after ${filled} of ${received.length} bytes`);
    }
    filled += count;
  }
  for (let i = 0; i < expected.length; i++) {
    if (received[i] !== expected[i]) {
      throw new Error(
        `Reply differs at byte ${i}: got ${JSON.stringify(String.fromCharCode(...received))}, ` +
          `want ${JSON.stringify(String.fromCharCode(...expected))}`,
      );
    }
  }
}

/** Errors seen by a load run: how many, and the first few messages. */
export class ErrorTally {
  count = 0;
  readonly samples: string[] = [];

  add(cause: unknown): void {
    this.count++;
    if (this.samples.length < 5) {
      this.samples.push(cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause));
    }
  }

  toString(): string {
    return `${this.count} errors${
      this.count === 0 ? "" : `, e.g.\n  ${this.samples.join("\n  ")}`
    }`;
  }
}

function close(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // Already closed.
  }
}

/** Connections held open together, alternating between the two ports. */
export interface HeldConnections {
  readonly conns: { readonly conn: Deno.TcpConn; readonly wire: Wire }[];
  readonly errors: ErrorTally;
  /** Closes every connection. */
  close(): void;
}

/**
 * Opens `count` connections, `concurrency` connects at a time so the
 * listen backlog never overflows, every second one on the binary port.
 * Failures are tallied, not thrown.
 */
export async function openConnections(
  ports: Ports,
  count: number,
  concurrency = 200,
): Promise<HeldConnections> {
  const conns: { conn: Deno.TcpConn; wire: Wire }[] = [];
  const errors = new ErrorTally();
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const wire: Wire = next++ % 2 === 0 ? "resp" : "kache";
      try {
        const conn = await Deno.connect({ hostname: "127.0.0.1", port: ports[wire] });
        conns.push({ conn, wire });
      } catch (cause) {
        errors.add(cause);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return {
    conns,
    errors,
    close() {
      for (const { conn } of conns) close(conn);
    },
  };
}

/**
 * On every held connection at once: `SET`, then `GET` and `DEL` pipelined
 * in one write, each reply compared byte for byte. Returns the errors.
 */
export async function exerciseConnections(held: HeldConnections): Promise<ErrorTally> {
  const errors = new ErrorTally();
  await Promise.all(held.conns.map(async ({ conn, wire }, index) => {
    const key = `overload:${index}`;
    const value = `value-${index}-${"x".repeat(index % 64)}`;
    try {
      await exchange(conn, encodeRequest(wire, ["SET", key, value]), expectedReply.set(wire));
      await exchange(
        conn,
        concatBytes([encodeRequest(wire, ["GET", key]), encodeRequest(wire, ["DEL", key])]),
        concatBytes([expectedReply.get(wire, value), expectedReply.delOne(wire)]),
      );
    } catch (cause) {
      errors.add(cause);
    }
  }));
  return errors;
}

/**
 * `cycles` times: connect, PING, close — `concurrency` clients at a time,
 * alternating ports. Returns the errors and how long it took.
 */
export async function connectCycles(
  ports: Ports,
  cycles: number,
  concurrency = 32,
): Promise<{ readonly errors: ErrorTally; readonly elapsedMs: number }> {
  const errors = new ErrorTally();
  const pings = { resp: encodeRequest("resp", ["PING"]), kache: encodeRequest("kache", ["PING"]) };
  const pongs = { resp: expectedReply.ping("resp"), kache: expectedReply.ping("kache") };
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < cycles) {
      const wire: Wire = next++ % 2 === 0 ? "resp" : "kache";
      let conn: Deno.TcpConn | undefined;
      try {
        conn = await Deno.connect({ hostname: "127.0.0.1", port: ports[wire] });
        await exchange(conn, pings[wire], pongs[wire]);
      } catch (cause) {
        errors.add(cause);
      } finally {
        if (conn !== undefined) close(conn);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, cycles) }, worker));
  return { errors, elapsedMs: performance.now() - started };
}

/**
 * The lowest RSS process `pid` shows over `settleMs`, sampled every 100 ms:
 * V8 returns freed pages lazily, so one sample right after a burst can
 * catch garbage that is about to go.
 */
export async function settledRss(pid: number, settleMs: number): Promise<number> {
  let lowest = rssBytes(pid);
  for (let waited = 0; waited < settleMs; waited += 100) {
    await sleep(100);
    lowest = Math.min(lowest, rssBytes(pid));
  }
  return lowest;
}

/**
 * Waits up to `maxMs` for process `pid`'s RSS to drop to `ceiling` bytes and
 * returns the lowest RSS seen. V8 hands a burst's heap growth back only when
 * its memory reducer runs, several seconds after allocation calms down.
 */
export async function rssFallingTo(pid: number, ceiling: number, maxMs: number): Promise<number> {
  let lowest = rssBytes(pid);
  const deadline = Date.now() + maxMs;
  while (lowest > ceiling && Date.now() < deadline) {
    await sleep(250);
    lowest = Math.min(lowest, rssBytes(pid));
  }
  return lowest;
}

/** The `--v8-flags` that `deno task serve` runs the server with (from deno.json). */
export function servedV8Flags(): string[] {
  const config = JSON.parse(
    Deno.readTextFileSync(new URL("../../deno.json", import.meta.url)),
  ) as { tasks: Record<string, string> };
  const match = config.tasks.serve?.match(/--v8-flags=(\S+)/);
  return match === null || match === undefined ? [] : match[1]!.split(",");
}

/** What an unread-replies flood did to a server. */
export interface FloodResult {
  /** Request bytes the client managed to write before stopping. */
  readonly requestBytes: number;
  /** True when writes stopped completing: the server stopped reading (backpressure). */
  readonly stalled: boolean;
  /** Server RSS before the flood and at its highest while it ran, in bytes. */
  readonly rssBefore: number;
  readonly rssPeak: number;
}

export interface FloodOptions {
  /** Size of the value every GET fetches. */
  readonly valueBytes: number;
  /** Most GET requests to send. */
  readonly requests: number;
  /**
   * A write pending this long while the server's RSS does not grow counts as
   * a stall (the server stopped reading): the client gives up writing.
   */
  readonly stallMs: number;
  /** After the last write, the longest to keep sampling RSS while the server works through it. */
  readonly drainMs: number;
}

/**
 * A client that pipelines `GET` requests for one big value and never reads
 * a reply, against a RESP `port` of the server process `pid`. Stops after
 * `requests` requests, or at the first write that makes no progress for
 * `stallMs` while the server's memory stands still; then watches the
 * server's RSS until it stops rising (at most `drainMs`) and disconnects.
 */
export async function unreadRepliesFlood(
  port: number,
  pid: number,
  options: FloodOptions,
): Promise<FloodResult> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const value = "v".repeat(options.valueBytes);
    await exchange(conn, encodeRespRequest(["SET", "flood", value]), expectedReply.set("resp"));
    const rssBefore = await settledRss(pid, 500);
    let rssPeak = rssBefore;
    const get = encodeRespRequest(["GET", "flood"]);
    // 64 KB writes of whole requests: big enough to be quick, small enough to stop close to a stall.
    const perChunk = Math.floor(64 * 1024 / get.length);
    const chunk = concatBytes(Array.from({ length: perChunk }, () => get));
    let sent = 0;
    let stalled = false;
    while (sent < options.requests && !stalled) {
      const count = Math.min(perChunk, options.requests - sent);
      let settled = false;
      const writing = writeAll(
        conn,
        count === perChunk ? chunk : chunk.subarray(0, count * get.length),
      )
        .finally(() => settled = true);
      // A slow write is a stall only if the server's memory is not growing meanwhile: Redis
      // slows down while it allocates gigabytes, which is not the server refusing to read.
      let lastGrowth = Date.now();
      let rssAtGrowth = rssBytes(pid);
      while (!settled) {
        await Promise.race([writing.catch(() => {}), sleep(100)]);
        const rss = rssBytes(pid);
        rssPeak = Math.max(rssPeak, rss);
        if (rss > rssAtGrowth + 2 ** 20) {
          rssAtGrowth = rss;
          lastGrowth = Date.now();
        }
        if (!settled && Date.now() - lastGrowth > options.stallMs) {
          stalled = true;
          // Closing the connection below ends this write; its rejection is expected.
          writing.catch(() => {});
          break;
        }
      }
      if (!stalled) {
        await writing;
        sent += count;
      }
    }
    // The server may still be working through what it took: sample until RSS has not risen
    // for a second, or drainMs.
    let quiet = 0;
    for (let waited = 0; waited < options.drainMs && quiet < 10; waited += 100) {
      await sleep(100);
      const rss = rssBytes(pid);
      quiet = rss > rssPeak ? 0 : quiet + 1;
      rssPeak = Math.max(rssPeak, rss);
    }
    return { requestBytes: sent * get.length, stalled, rssBefore, rssPeak };
  } finally {
    close(conn);
  }
}
