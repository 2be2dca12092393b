/**
 * The connection loop over a scripted socket and a line protocol, for
 * orderings a real client cannot force: here, the wake that serves a blocked
 * client landing in the same turn as the client's next bytes (bee-queue
 * pipelines BRPOPLPUSH this way and waited forever for a served job).
 */
import assert from "node:assert/strict";
import type { Waiter } from "../../lib/blocking.ts";
import type { Reply } from "../../lib/reply.ts";
import { Session } from "../../lib/session.ts";
import { bytesToString, runningRequest, writeString } from "../../lib/bytes.ts";
import { RespDecoder } from "../../lib/protocol/resp.ts";
import { Connection, type ConnectionHooks, type Wire } from "../../server/connection.ts";

/** A socket whose reads the test completes by hand; every write is recorded. */
function scriptedSocket() {
  const reads: { target: Uint8Array; resolve: (count: number | null) => void }[] = [];
  const written: string[] = [];
  const conn = {
    read(target: Uint8Array): Promise<number | null> {
      return new Promise((resolve) => reads.push({ target, resolve }));
    },
    write(bytes: Uint8Array): Promise<number> {
      written.push(new TextDecoder().decode(bytes));
      return Promise.resolve(bytes.length);
    },
    close() {},
  };
  return {
    conn: conn as unknown as Deno.Conn,
    written: () => written.join(""),
    pendingReads: () => reads.length,
    /** Completes the oldest pending read with `text` (or end of input for null). */
    deliver(text: string | null): void {
      const read = reads.shift();
      assert.ok(read !== undefined, "no read in flight");
      if (text === null) return read.resolve(null);
      const bytes = new TextEncoder().encode(text);
      read.target.set(bytes);
      read.resolve(bytes.length);
    },
  };
}

/** Lines in, lines out: `BLOCK` blocks the session; anything else is echoed back. */
function lineWire(session: Session): Wire {
  let output = "";
  return {
    decode(bytes, start, end) {
      const text = new TextDecoder().decode(bytes.subarray(start, end));
      const last = text.lastIndexOf("\n");
      if (last < 0) return { requests: [], consumed: 0 };
      const requests = text.slice(0, last).split("\n").map((line) => [line]);
      return { requests, consumed: last + 1 };
    },
    bytesNeeded: 0,
    handle([line]) {
      if (line === "BLOCK") session.blocked = { session } as unknown as Waiter;
      else output += `${line}\n`;
      return undefined;
    },
    get pendingOutputBytes() {
      return output.length;
    },
    reply(reply: Reply) {
      output += `${(reply as { text: string }).text}\n`;
    },
    protocolError() {},
    takeOutput() {
      const bytes = new TextEncoder().encode(output);
      output = "";
      return bytes;
    },
    takeOutputToSend() {
      return this.takeOutput();
    },
    encodePush: () => new Uint8Array(0),
  };
}

/** Lets every queued promise callback and one timer turn run. */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

function testSession(): Session {
  return new Session({
    id: 1,
    wire: "resp",
    address: "127.0.0.1:1",
    localAddress: "127.0.0.1:2",
    createdAt: 0,
    authenticated: true,
  });
}

/** Hooks that do nothing. */
const QUIET_HOOKS: ConnectionHooks = {
  beforeBatch() {},
  afterBatch() {},
  queryBufferLimit: () => 1 << 20,
  log() {},
  outputLimit: () => ({ hard: 0, soft: 0, softSeconds: 0 }),
  warn() {},
  bufferBytesChanged() {},
  received() {},
  sent() {},
  written() {},
};

Deno.test("Connection.wake in the same turn as the blocked client's next bytes still replies", async () => {
  const socket = scriptedSocket();
  const session = testSession();
  const connection = new Connection(socket.conn, session, lineWire(session), QUIET_HOOKS);
  const loop = connection.serve();
  try {
    socket.deliver("BLOCK\n");
    await settle();
    assert.ok(session.blocked !== undefined);
    assert.equal(socket.pendingReads(), 1, "a blocked client is still read");
    // The next request arrives and the wait is served in one turn, the read first.
    socket.deliver("after\n");
    session.blocked = undefined;
    connection.wake({ kind: "status", text: "served" });
    for (let i = 0; i < 10 && socket.written() !== "served\nafter\n"; i++) await settle();
    assert.equal(socket.written(), "served\nafter\n");
  } finally {
    for (let i = 0; i < 10 && socket.pendingReads() === 0; i++) await settle();
    if (socket.pendingReads() > 0) socket.deliver(null);
    await loop;
  }
});

Deno.test("a long argument decoded before its request was complete is not written from bytes moved since", async () => {
  const socket = scriptedSocket();
  const decoder = new RespDecoder({ sourced: true });
  /** What each request's first argument looked like when written while it ran. */
  const stored: string[] = [];
  const wire: Wire = {
    ...lineWire(testSession()),
    decode: (bytes, start, end) => decoder.decode(bytes, start, end),
    get bytesNeeded() {
      return decoder.bytesNeeded;
    },
    handle(argv) {
      if (argv.length < 3) return undefined;
      runningRequest(argv);
      const bytes = new Uint8Array(argv[1]!.length);
      writeString(bytes, 0, argv[1]!);
      runningRequest(undefined);
      stored.push(bytesToString(bytes));
      return undefined;
    },
  };
  const connection = new Connection(socket.conn, testSession(), wire, QUIET_HOOKS);
  const loop = connection.serve();
  try {
    const value = Array.from({ length: 500 }, (_, index) => String.fromCharCode(32 + index % 95))
      .join("");
    const later = "y".repeat(490);
    const request = `*3\r\n$3\r\nSET\r\n$500\r\n${value}\r\n$490\r\n${later}\r\n`;
    // A PING, then the request up to part of its last argument: the value is decoded, and the
    // 1 KB buffer must make room for the rest by moving the request 14 bytes to its front.
    const cut = request.length - 400;
    socket.deliver(`*1\r\n$4\r\nPING\r\n${request.slice(0, cut)}`);
    for (let i = 0; i < 10 && socket.pendingReads() === 0; i++) await settle();
    socket.deliver(request.slice(cut));
    for (let i = 0; i < 10 && stored.length === 0; i++) await settle();
    assert.deepEqual(stored, [value]);
  } finally {
    for (let i = 0; i < 10 && socket.pendingReads() === 0; i++) await settle();
    if (socket.pendingReads() > 0) socket.deliver(null);
    await loop;
  }
});
