import assert from "node:assert/strict";
import { Outbox } from "../../server/outbox.ts";

/**
 * A socket that accepts at most `perWrite` bytes per write, each write
 * settling only when the test releases it, and records what it was given.
 */
class SlowSocket {
  readonly written: number[] = [];
  writes = 0;
  inFlight = 0;
  maxInFlight = 0;
  #release: (() => void)[] = [];
  failWith: Error | undefined;

  constructor(readonly perWrite: number) {}

  write(bytes: Uint8Array): Promise<number> {
    this.writes++;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    const count = Math.min(bytes.length, this.perWrite);
    const copy = [...bytes.subarray(0, count)];
    return new Promise((resolve, reject) => {
      this.#release.push(() => {
        this.inFlight--;
        if (this.failWith !== undefined) {
          reject(this.failWith);
          return;
        }
        this.written.push(...copy);
        resolve(count);
      });
    });
  }

  /** Lets every pending write complete, then lets the writer issue its next ones. */
  async drain(rounds = 100): Promise<void> {
    for (let i = 0; i < rounds; i++) {
      for (const release of this.#release.splice(0)) release();
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
  }
}

function outboxOn(socket: SlowSocket): Outbox {
  return new Outbox(socket as unknown as Deno.Conn);
}

Deno.test("Outbox writes chunks in order, one write at a time, across partial writes", async () => {
  const socket = new SlowSocket(3);
  const outbox = outboxOn(socket);
  for (let i = 0; i < 20; i++) outbox.enqueue(Uint8Array.from([i, i, i, i, i]));
  assert.equal(outbox.bytes, 100);
  outbox.flush();
  outbox.flush();
  await socket.drain();
  assert.deepEqual(socket.written, Array.from({ length: 100 }, (_, i) => Math.floor(i / 5)));
  assert.equal(socket.maxInFlight, 1);
  assert.equal(outbox.bytes, 0);
});

Deno.test("Outbox coalesces what one batch queued into a single write", async () => {
  const socket = new SlowSocket(1 << 20);
  const outbox = outboxOn(socket);
  for (let i = 0; i < 32; i++) {
    outbox.enqueue(new Uint8Array(40).fill(i));
    // Every push of a batch asks for a flush; the writer starts once the batch is done.
    outbox.flush();
  }
  await socket.drain();
  assert.equal(socket.writes, 1);
  assert.equal(socket.written.length, 32 * 40);
});

Deno.test("Outbox.send resolves once its own bytes are written, after what was queued before", async () => {
  const socket = new SlowSocket(4);
  const outbox = outboxOn(socket);
  outbox.enqueue(Uint8Array.from([1, 1, 1, 1, 1, 1]));
  let sent = false;
  const sending = outbox.send(Uint8Array.from([2, 2])).then(() => sent = true);
  outbox.enqueue(Uint8Array.from([3]));
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(sent, false);
  await socket.drain();
  await sending;
  assert.deepEqual(socket.written, [1, 1, 1, 1, 1, 1, 2, 2, 3]);
  // Nothing to send still starts a writer for what is queued, and resolves at once.
  outbox.enqueue(Uint8Array.from([4]));
  await outbox.send(new Uint8Array(0));
  await socket.drain();
  assert.deepEqual(socket.written.at(-1), 4);
});

Deno.test("Outbox.discard drops the queue and fails pending and later sends", async () => {
  const socket = new SlowSocket(1);
  const outbox = outboxOn(socket);
  outbox.enqueue(new Uint8Array(1000));
  const pending = outbox.send(Uint8Array.from([9]));
  outbox.discard(new Error("gone"));
  assert.equal(outbox.bytes, 0);
  await assert.rejects(pending, /gone/);
  await assert.rejects(outbox.send(Uint8Array.from([1])), /gone/);
  outbox.enqueue(Uint8Array.from([1]));
  assert.equal(outbox.bytes, 0, "nothing is queued once discarded");
  await socket.drain();
});

Deno.test("Outbox fails its waiters when the socket write fails", async () => {
  const socket = new SlowSocket(1);
  const outbox = outboxOn(socket);
  const failed = assert.rejects(outbox.send(Uint8Array.from([1, 2, 3])), Deno.errors.BrokenPipe);
  socket.failWith = new Deno.errors.BrokenPipe("peer left");
  await socket.drain();
  await failed;
  assert.equal(outbox.bytes, 0);
});
