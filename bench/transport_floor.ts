/**
 * Floor servers for the original server's workload (4 connections, each
 * blocking on every reply, binary protocol): each one frames requests
 * (`u32 len` + body) and answers every request with the same 9-byte reply (status
 * OK, nil item), so what it measures is the transport alone — the most any
 * server on that transport can reach on this workload.
 *
 *   deno run --allow-all --unstable-net bench/transport_floor.ts <transport> <port> [resp] [work-µs]
 *
 * With `resp` the servers frame RESP requests instead (redis-benchmark's) and answer `+OK\r\n`
 * to each; `work-µs` spins that long per request, to see what CPU per request does to latency.
 *
 * Transports:
 * - `read-await`: `Deno.listen`, `conn.read` into a reused buffer, awaited `conn.write`.
 * - `read-nowait`: the same, the write not awaited before the next read (Kache's connection loop).
 * - `nodelay`: `read-nowait` with `setNoDelay(true)` on every connection.
 * - `readable`: `conn.readable` through a BYOB reader, writes through `conn.writable`'s writer.
 * - `node-net`: `node:net`, `data` events and `socket.write`.
 * - `epoll`: libc's epoll through `Deno.dlopen`; `epoll_wait` as a nonblocking FFI call (on
 *   Deno's blocking thread pool), reads and writes as synchronous FFI calls on the main thread.
 * - `epoll-spin`: `epoll` that first polls with a zero timeout on the main thread, up to
 *   {@link SPIN_POLLS} times, before parking in the nonblocking call.
 * - `epoll-promise`: `epoll-spin` with each connection served by an async loop that awaits a
 *   promise per read, the shape a `Deno.Conn` adapter under Kache's connection loop would have.
 *
 * A benchmark tool, not part of the server: see docs/transport.md for the numbers.
 *
 * @module
 */

import { LIBC } from "../server/epoll.ts";
import * as net from "node:net";

const RESP = Deno.args[2] === "resp";
const WORK_MILLISECONDS = Number(Deno.args[3] ?? 0) / 1000;

/** Status OK (0) with a nil item: `u32 len = 5`, `u32 status = 0`, tag 0; or RESP's `+OK`. */
const REPLY = RESP
  ? new TextEncoder().encode("+OK\r\n")
  : new Uint8Array([5, 0, 0, 0, 0, 0, 0, 0, 0]);

/** Counts complete frames in `bytes[start, end)`; returns the bytes they span. */
function completeFrames(bytes: Uint8Array, start: number, end: number): [number, number] {
  return RESP ? completeRespRequests(bytes, start, end) : completeKacheFrames(bytes, start, end);
}

/** A RESP length line (`*3\r\n`, `$5\r\n`) at `at`: the number and where the line ends, or -1. */
function respLength(bytes: Uint8Array, at: number, end: number): [number, number] {
  let value = 0;
  for (at++; at < end && bytes[at] !== 13; at++) value = value * 10 + bytes[at]! - 48;
  return at + 1 < end ? [value, at + 2] : [-1, at];
}

/** Counts complete RESP requests (arrays of bulk strings) in `bytes[start, end)`. */
function completeRespRequests(bytes: Uint8Array, start: number, end: number): [number, number] {
  let requests = 0;
  let at = start;
  while (at < end) {
    let [count, next] = respLength(bytes, at, end);
    for (let i = 0; i < count && next >= 0; i++) {
      const [length, body] = respLength(bytes, next, end);
      next = length < 0 || body + length + 2 > end ? -1 : body + length + 2;
    }
    if (count < 0 || next < 0) break;
    at = next;
    requests++;
  }
  return [requests, at - start];
}

function completeKacheFrames(bytes: Uint8Array, start: number, end: number): [number, number] {
  let frames = 0;
  let at = start;
  while (end - at >= 4) {
    const length = bytes[at]! | bytes[at + 1]! << 8 | bytes[at + 2]! << 16 | bytes[at + 3]! << 24;
    if (end - at - 4 < length) break;
    at += 4 + length;
    frames++;
  }
  return [frames, at - start];
}

/** The replies for `frames` requests, from a cache of prebuilt buffers (after the work, if any). */
const replyBatches: Uint8Array[] = [];
function replies(frames: number): Uint8Array {
  if (WORK_MILLISECONDS > 0) {
    const until = performance.now() + WORK_MILLISECONDS * frames;
    while (performance.now() < until) {
      // The work: time passing.
    }
  }
  let batch = replyBatches[frames];
  if (batch === undefined) {
    batch = new Uint8Array(REPLY.length * frames);
    for (let i = 0; i < frames; i++) batch.set(REPLY, i * REPLY.length);
    replyBatches[frames] = batch;
  }
  return batch;
}

/** The per-connection framing state shared by every transport. */
class Framer {
  buffer = new Uint8Array(64 * 1024);
  start = 0;
  end = 0;

  /** Takes `count` new bytes at `end`; returns the number of complete requests. */
  take(count: number): number {
    this.end += count;
    const [frames, used] = completeFrames(this.buffer, this.start, this.end);
    this.start += used;
    if (this.start === this.end) this.start = this.end = 0;
    else if (this.start > this.buffer.length / 2) {
      this.buffer.copyWithin(0, this.start, this.end);
      this.end -= this.start;
      this.start = 0;
    }
    return frames;
  }

  get free(): Uint8Array {
    return this.buffer.subarray(this.end);
  }
}

/** Closes a connection that the stream's end may already have closed. */
function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // Closed with its stream.
  }
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let offset = 0; offset < bytes.length;) offset += await conn.write(bytes.subarray(offset));
}

async function serveDeno(port: number, mode: "read-await" | "read-nowait" | "nodelay") {
  const listener = Deno.listen({ hostname: "127.0.0.1", port });
  for await (const conn of listener) {
    if (mode === "nodelay") conn.setNoDelay(true);
    (async () => {
      const framer = new Framer();
      let inFlight: Promise<void> | undefined;
      try {
        for (;;) {
          const count = await conn.read(framer.free);
          if (count === null) break;
          const frames = framer.take(count);
          if (frames === 0) continue;
          if (mode === "read-await") {
            await writeAll(conn, replies(frames));
          } else {
            if (inFlight !== undefined) await inFlight;
            inFlight = writeAll(conn, replies(frames)).then(() => {
              inFlight = undefined;
            });
          }
        }
      } catch {
        // The client left.
      } finally {
        closeQuietly(conn);
      }
    })();
  }
}

async function serveReadable(port: number) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port });
  for await (const conn of listener) {
    (async () => {
      const reader = conn.readable.getReader({ mode: "byob" });
      const writer = conn.writable.getWriter();
      let framer = new Framer();
      try {
        for (;;) {
          const { value, done } = await reader.read(framer.free);
          if (done || value === undefined) break;
          // BYOB transfers the buffer: the bytes come back in a new view of the same memory.
          const previous = framer;
          framer = new Framer();
          framer.buffer = new Uint8Array(value.buffer as ArrayBuffer);
          framer.start = previous.start;
          framer.end = previous.end;
          const frames = framer.take(value.length);
          if (frames > 0) await writer.write(replies(frames));
        }
      } catch {
        // The client left.
      } finally {
        closeQuietly(conn);
      }
    })();
  }
}

function serveNode(port: number) {
  const server = net.createServer((socket) => {
    const framer = new Framer();
    socket.setNoDelay(true);
    socket.on("data", (chunk: Uint8Array) => {
      framer.free.set(chunk);
      const frames = framer.take(chunk.length);
      if (frames > 0) socket.write(replies(frames));
    });
    socket.on("error", () => socket.destroy());
  });
  server.listen(port, "127.0.0.1");
}

/** Main-thread zero-timeout polls before parking in the nonblocking epoll_wait. */
const SPIN_POLLS = 64;

/**
 * How the epoll floor answers: `inline` reads and writes in the dispatch loop; `spin` also
 * polls with a zero timeout first; `promise` spins too, but hands each read to a per-connection
 * async loop through a promise, as a `Deno.Conn`-shaped adapter under Kache's connection loop would.
 */
type EpollMode = "inline" | "spin" | "promise";

/** A connection loop's pending read in `promise` mode: where the bytes go, and who waits. */
interface ReadWaiter {
  readonly target: Uint8Array;
  resolve(count: number | null): void;
}

async function serveEpoll(port: number, mode: EpollMode) {
  // The symbols the server's epoll transport binds (server/epoll.ts).
  const libc = Deno.dlopen("libc.so.6", LIBC);
  const c = libc.symbols;
  const [AF_INET, SOCK_STREAM, SOCK_NONBLOCK, SOL_SOCKET, SO_REUSEADDR] = [2, 1, 0x800, 1, 2];
  const [EPOLLIN, EPOLL_CTL_ADD, EPOLL_CTL_DEL] = [1, 1, 2];
  const listenFd = c.socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  c.setsockopt(listenFd, SOL_SOCKET, SO_REUSEADDR, new Int32Array([1]), 4);
  const address = new Uint8Array(16);
  const view = new DataView(address.buffer);
  view.setUint16(0, AF_INET, true);
  view.setUint16(2, port, false);
  address.set([127, 0, 0, 1], 4);
  if (c.bind(listenFd, address, 16) !== 0 || c.listen(listenFd, 511) !== 0) {
    throw new Error(`Could not listen on port ${port}`);
  }
  const epollFd = c.epoll_create1(0);
  /** struct epoll_event is packed on x86-64: u32 events, u64 data (12 bytes). */
  const event = new Uint8Array(12);
  const eventView = new DataView(event.buffer);
  const watch = (fd: number) => {
    eventView.setUint32(0, EPOLLIN, true);
    eventView.setUint32(4, fd, true);
    c.epoll_ctl(epollFd, EPOLL_CTL_ADD, fd, event);
  };
  watch(listenFd);
  const framers = new Map<number, Framer>();
  const waiters = new Map<number, ReadWaiter>();
  const close = (fd: number) => {
    c.epoll_ctl(epollFd, EPOLL_CTL_DEL, fd, event);
    c.close(fd);
    framers.delete(fd);
  };
  /** `promise` mode's connection loop: await a read, answer without awaiting the write. */
  const serveConnection = async (fd: number) => {
    const framer = new Framer();
    let inFlight: Promise<void> | undefined;
    for (;;) {
      const count = await new Promise<number | null>((resolve) =>
        waiters.set(fd, { target: framer.free, resolve })
      );
      if (count === null) break;
      const frames = framer.take(count);
      if (frames === 0) continue;
      if (inFlight !== undefined) await inFlight;
      const batch = replies(frames);
      inFlight = Promise.resolve(c.write(fd, batch, BigInt(batch.length))).then(() => {
        inFlight = undefined;
      });
    }
    close(fd);
  };
  const MAX_EVENTS = 64;
  const events = new Uint8Array(12 * MAX_EVENTS);
  const eventsView = new DataView(events.buffer);
  const handle = (ready: number) => {
    for (let i = 0; i < ready; i++) {
      const fd = eventsView.getUint32(i * 12 + 4, true);
      if (fd === listenFd) {
        for (;;) {
          const client = c.accept4(listenFd, null, null, SOCK_NONBLOCK);
          if (client < 0) break;
          watch(client);
          if (mode === "promise") serveConnection(client);
          else framers.set(client, new Framer());
        }
        continue;
      }
      if (mode === "promise") {
        // Level-triggered: bytes that come while the loop is busy are reported again later.
        const waiter = waiters.get(fd);
        if (waiter === undefined) continue;
        const count = Number(c.read(fd, waiter.target, BigInt(waiter.target.length)));
        if (count < 0) continue;
        waiters.delete(fd);
        waiter.resolve(count === 0 ? null : count);
        continue;
      }
      const framer = framers.get(fd)!;
      const count = Number(c.read(fd, framer.free, BigInt(framer.free.length)));
      if (count <= 0) {
        // 0: the client left; < 0 is EAGAIN (a spurious wake-up) or a real error.
        if (count === 0) close(fd);
        continue;
      }
      const frames = framer.take(count);
      if (frames > 0) {
        const batch = replies(frames);
        c.write(fd, batch, BigInt(batch.length));
      }
    }
  };
  for (;;) {
    let ready = 0;
    if (mode !== "inline") {
      for (let poll = 0; poll < SPIN_POLLS && ready === 0; poll++) {
        // In promise mode the connection loops run (and write) between polls.
        if (mode === "promise") await null;
        ready = c.epoll_wait(epollFd, events, MAX_EVENTS, 0);
      }
    }
    if (ready === 0) ready = await c.epoll_wait_parked(epollFd, events, MAX_EVENTS, -1);
    handle(ready);
  }
}

if (import.meta.main) {
  const [transport, portText] = Deno.args;
  const port = Number(portText);
  switch (transport) {
    case "read-await":
    case "read-nowait":
    case "nodelay":
      await serveDeno(port, transport);
      break;
    case "readable":
      await serveReadable(port);
      break;
    case "node-net":
      serveNode(port);
      break;
    case "epoll":
      await serveEpoll(port, "inline");
      break;
    case "epoll-spin":
      await serveEpoll(port, "spin");
      break;
    case "epoll-promise":
      await serveEpoll(port, "promise");
      break;
    default:
      console.error(
        "Usage: bench/transport_floor.ts " +
          "<read-await|read-nowait|nodelay|readable|node-net|epoll|epoll-spin|epoll-promise> <port> " +
          "[resp] [work-µs]",
      );
      Deno.exit(2);
  }
}
