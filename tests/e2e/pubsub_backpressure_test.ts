/**
 * Slow subscribers must never take the server down: PUBLISH queues messages
 * without waiting, and a subscriber whose queue breaks
 * `client-output-buffer-limit` is dropped and logged, while the others get
 * every message.
 *
 * The big case publishes 256 MB to three subscribers, one of which never
 * reads, and watches the server's resident memory (`VmRSS` in
 * /proc/<pid>/status). The server runs with the V8 flags `deno task serve`
 * uses, so memory behaves as in production. Sockets are raw and frames are
 * checked by hand, so the test process keeps up with the server.
 */
import assert from "node:assert/strict";
import { servedV8Flags } from "../support/overload.ts";
import { type RunningServer, startServer } from "../support/server_process.ts";

const MESSAGE_SIZE = 8192;
const TOTAL_BYTES = 256 * 1024 * 1024;
const MESSAGES = TOTAL_BYTES / MESSAGE_SIZE;
/** PUBLISH requests per write; good subscribers may lag this many messages behind. */
const WINDOW = 256;
/** The whole run must end well inside a minute, even on a loaded machine. */
const DEADLINE_MS = 50_000;
const ENCODER = new TextEncoder();
const DECODER = new TextDecoder();

function rssBytes(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

/** Payload `i`: its number in 8 digits, then filler. */
function payload(index: number): string {
  return String(index).padStart(8, "0") + "x".repeat(MESSAGE_SIZE - 8);
}

/** Reads a subscriber's stream, checking each frame's fixed head and sequence number. */
class FrameChecker {
  received = 0;
  #buffer = new Uint8Array(4 * 1024 * 1024);
  #length = 0;
  readonly #head: Uint8Array;
  readonly #tail: number;
  #skip: number;

  /** `skip`: bytes of confirmation before the first frame; `head`/`tail` around each payload. */
  constructor(skip: number, head: Uint8Array, tail: number) {
    this.#skip = skip;
    this.#head = head;
    this.#tail = tail;
  }

  async run(conn: Deno.Conn): Promise<void> {
    const frame = this.#head.length + MESSAGE_SIZE + this.#tail;
    while (this.received < MESSAGES) {
      const read = await conn.read(this.#buffer.subarray(this.#length));
      if (read === null) throw new Error(`closed after ${this.received} messages`);
      this.#length += read;
      let offset = Math.min(this.#skip, this.#length);
      this.#skip -= offset;
      for (; this.#length - offset >= frame; offset += frame) {
        for (let i = 0; i < this.#head.length; i++) {
          if (this.#buffer[offset + i] !== this.#head[i]) throw new Error("bad frame head");
        }
        const digits = this.#buffer.subarray(
          offset + this.#head.length,
          offset + this.#head.length + 8,
        );
        const index = Number(DECODER.decode(digits));
        if (index !== this.received) throw new Error(`got ${index}, expected ${this.received}`);
        this.received++;
      }
      this.#buffer.copyWithin(0, offset, this.#length);
      this.#length -= offset;
    }
  }
}

function resp(argv: readonly string[]): Uint8Array {
  return ENCODER.encode(
    `*${argv.length}\r\n` + argv.map((arg) => `$${arg.length}\r\n${arg}\r\n`).join(""),
  );
}

function kacheRequest(argv: readonly string[]): Uint8Array {
  const size = 4 + argv.reduce((sum, arg) => sum + 4 + arg.length, 0);
  const bytes = new Uint8Array(4 + size);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, size, true);
  view.setUint32(4, argv.length, true);
  let offset = 8;
  for (const arg of argv) {
    view.setUint32(offset, arg.length, true);
    bytes.set(ENCODER.encode(arg), offset + 4);
    offset += 4 + arg.length;
  }
  return bytes;
}

/** The binary push frame's bytes before a message payload: length, status 6, array of 3. */
function kacheMessageHead(channel: string): Uint8Array {
  const text = (value: string, length = value.length) => {
    const bytes = new Uint8Array(5 + value.length);
    bytes[0] = 2;
    new DataView(bytes.buffer).setUint32(1, length, true);
    bytes.set(ENCODER.encode(value), 5);
    return bytes;
  };
  const parts = [text("message"), text(channel), text("", MESSAGE_SIZE)];
  const itemBytes = parts.reduce((sum, part) => sum + part.length, 0);
  const head = new Uint8Array(8 + 5 + itemBytes);
  const view = new DataView(head.buffer);
  view.setUint32(0, 4 + 5 + itemBytes + MESSAGE_SIZE, true);
  view.setUint32(4, 6, true);
  head[8] = 5;
  view.setUint32(9, 3, true);
  let offset = 13;
  for (const part of parts) {
    head.set(part, offset);
    offset += part.length;
  }
  return head;
}

async function readExactly(conn: Deno.Conn, count: number): Promise<Uint8Array> {
  const bytes = new Uint8Array(count);
  for (let filled = 0; filled < count;) {
    const read = await conn.read(bytes.subarray(filled));
    if (read === null) throw new Error("connection closed");
    filled += read;
  }
  return bytes;
}

async function waitFor(ready: () => boolean, what: string, until: number): Promise<void> {
  while (!ready()) {
    if (Date.now() > until) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

Deno.test("a subscriber that never reads is dropped while 256 MB is published; memory stays bounded", async () => {
  const until = Date.now() + DEADLINE_MS;
  const server: RunningServer = await startServer([], { v8Flags: servedV8Flags() });
  const conns: Deno.Conn[] = [];
  const open = async (port: number) => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conns.push(conn);
    return conn;
  };
  // A blocked read cannot see the deadline: closing the sockets makes it fail instead.
  const watchdog = setTimeout(() => closeAll(conns), DEADLINE_MS);
  try {
    const pid = server.process.pid;
    // The slow one subscribes and then never reads again.
    const slow = await open(server.respPort);
    await slow.write(resp(["SUBSCRIBE", "ch"]));

    const respSubscriber = await open(server.respPort);
    await respSubscriber.write(resp(["SUBSCRIBE", "ch"]));
    const respChecker = new FrameChecker(
      "*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n".length,
      ENCODER.encode(`*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$${MESSAGE_SIZE}\r\n`),
      2,
    );
    const binarySubscriber = await open(server.kachePort);
    await binarySubscriber.write(kacheRequest(["SUBSCRIBE", "ch"]));
    const binaryChecker = new FrameChecker(8 + 5 + 14 + 7 + 9, kacheMessageHead("ch"), 0);
    const publisher = await open(server.respPort);
    await publisher.write(resp(["PUBSUB", "NUMSUB", "ch"]));
    // Waits until all three subscriptions are in: the reply names 3 subscribers.
    for (let attempt = 0;; attempt++) {
      const reply = new TextDecoder().decode(await readExactly(publisher, 16));
      if (reply === "*2\r\n$2\r\nch\r\n:3\r\n") break;
      assert.ok(attempt < 500, `subscribers never arrived: ${JSON.stringify(reply)}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
      await publisher.write(resp(["PUBSUB", "NUMSUB", "ch"]));
    }
    const readers = [respChecker.run(respSubscriber), binaryChecker.run(binarySubscriber)];
    readers.forEach((reader) => reader.catch(() => {}));

    const rssBefore = rssBytes(pid);
    let rssPeak = rssBefore;
    const request = resp(["PUBLISH", "ch", payload(0)]);
    const payloadAt = request.length - 2 - MESSAGE_SIZE;
    const block = new Uint8Array(request.length * WINDOW);
    let lastReplies = "";
    for (let sent = 0; sent < MESSAGES; sent += WINDOW) {
      for (let i = 0; i < WINDOW; i++) {
        block.set(request, i * request.length);
        block.set(
          ENCODER.encode(String(sent + i).padStart(8, "0")),
          i * request.length + payloadAt,
        );
      }
      await publisher.write(block);
      // Every reply is one digit: ":3\r\n" while the slow subscriber is there, ":2\r\n" after.
      lastReplies = new TextDecoder().decode(await readExactly(publisher, 4 * WINDOW));
      await waitFor(
        () => Math.min(respChecker.received, binaryChecker.received) >= sent,
        "the reading subscribers",
        until,
      );
      rssPeak = Math.max(rssPeak, rssBytes(pid));
    }
    await Promise.all(readers);
    rssPeak = Math.max(rssPeak, rssBytes(pid));

    assert.equal(respChecker.received, MESSAGES);
    assert.equal(binaryChecker.received, MESSAGES);
    assert.equal(lastReplies, ":2\r\n".repeat(WINDOW), "the slow subscriber is gone");
    assert.match(server.output(), /closed for overcoming of output buffer limits/);
    const growth = rssPeak - rssBefore;
    assert.ok(
      growth < 64 * 1024 * 1024,
      `RSS grew ${(growth / 1048576).toFixed(1)} MB (from ${(rssBefore / 1048576).toFixed(1)} MB)`,
    );
  } finally {
    clearTimeout(watchdog);
    closeAll(conns);
    await server.stop();
  }
});

function closeAll(conns: Deno.Conn[]): void {
  for (const conn of conns.splice(0)) {
    try {
      conn.close();
    } catch {
      // Closed already.
    }
  }
}

Deno.test("a subscriber over the soft limit for longer than its seconds is dropped", async () => {
  const server = await startServer(["--client-output-buffer-limit", "pubsub 0 64kb 1"]);
  const conns: Deno.Conn[] = [];
  const watchdog = setTimeout(() => closeAll(conns), 30_000);
  try {
    const slow = await Deno.connect({ hostname: "127.0.0.1", port: server.respPort });
    conns.push(slow);
    await slow.write(resp(["SUBSCRIBE", "ch"]));
    const publisher = await Deno.connect({ hostname: "127.0.0.1", port: server.respPort });
    conns.push(publisher);
    const numsub = async () => {
      await publisher.write(resp(["PUBSUB", "NUMSUB", "ch"]));
      return new TextDecoder().decode(await readExactly(publisher, 16));
    };
    const until = Date.now() + 20_000;
    while (await numsub() !== "*2\r\n$2\r\nch\r\n:1\r\n") {
      assert.ok(Date.now() < until, "the subscriber never arrived");
    }
    // Enough to fill the socket buffers and leave well over 64 KB queued in the server.
    const message = "y".repeat(64 * 1024);
    for (let i = 0; i < 256; i++) {
      await publisher.write(resp(["PUBLISH", "ch", message]));
      await readExactly(publisher, 4);
    }
    assert.equal(await numsub(), "*2\r\n$2\r\nch\r\n:1\r\n", "over the soft limit, not yet long");
    await new Promise((resolve) => setTimeout(resolve, 1200));
    // The limit is checked as output is queued: the next message finds it over for > 1 s.
    await publisher.write(resp(["PUBLISH", "ch", "last"]));
    await readExactly(publisher, 4);
    // The connection's loop unsubscribes it as it ends, a moment after the close.
    while (await numsub() !== "*2\r\n$2\r\nch\r\n:0\r\n") {
      assert.ok(Date.now() < until, "the slow subscriber was not dropped");
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    // The log line comes through a pipe, which can be read after the socket that showed the drop.
    await waitFor(
      () => /closed for overcoming of output buffer limits/.test(server.output()),
      "the drop's log line",
      until,
    );
  } finally {
    clearTimeout(watchdog);
    closeAll(conns);
    await server.stop();
  }
});
