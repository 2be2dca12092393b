/**
 * What one client's output may cost the server: a client that pipelines big
 * replies without reading holds at most a couple of megabytes of server
 * memory, and other clients are served meanwhile; buffers grown for a big
 * reply are given back.
 *
 * The server runs with the V8 flags `deno task serve` uses, so memory
 * behaves as in production. Replies are checked byte by byte as they stream
 * in, so the test never holds hundreds of megabytes itself.
 */
import assert from "node:assert/strict";
import { encodeRespRequest } from "../../lib/protocol/resp_reply.ts";
import { concat, rssBytes, servedV8Flags, settledRss, sleep } from "../support/overload.ts";
import { RawRespClient } from "../support/resp_client.ts";
import { startServer } from "../support/server_process.ts";

const MB = 2 ** 20;

/** A 1 MB value whose bytes vary, so a torn or misplaced reply cannot match by accident. */
function bigValue(size: number): string {
  let text = "";
  const block = Array.from({ length: 251 }, (_, i) => String.fromCharCode(32 + (i % 90))).join("");
  while (text.length < size) text += block;
  return text.slice(0, size);
}

/** Compares a stream with an expected sequence of byte strings, a piece at a time. */
class StreamChecker {
  readonly #pieces: Iterator<string>;
  #piece = "";
  #offset = 0;
  received = 0;

  constructor(pieces: Iterable<string>) {
    this.#pieces = pieces[Symbol.iterator]();
  }

  /** Reads from `conn` until every expected byte has arrived; throws on the first difference. */
  async run(conn: Deno.Conn): Promise<void> {
    const buffer = new Uint8Array(256 * 1024);
    while (this.#advance()) {
      const count = await conn.read(buffer);
      if (count === null) throw new Error(`Connection closed after ${this.received} bytes`);
      for (let i = 0; i < count; i++) {
        if (!this.#advance()) throw new Error(`Unexpected bytes after ${this.received}`);
        if (buffer[i] !== this.#piece.charCodeAt(this.#offset)) {
          throw new Error(`Byte ${this.received} differs from the expected replies`);
        }
        this.#offset++;
        this.received++;
      }
    }
  }

  /** Moves to the next expected piece when the current one is done; false at the end. */
  #advance(): boolean {
    while (this.#offset === this.#piece.length) {
      const next = this.#pieces.next();
      if (next.done) return false;
      this.#piece = next.value;
      this.#offset = 0;
    }
    return true;
  }
}

Deno.test("a client pipelining big GETs without reading holds little memory and stalls no one", async () => {
  const server = await startServer([], { v8Flags: servedV8Flags() });
  const pid = server.process.pid;
  const stuck = await Deno.connect({ hostname: "127.0.0.1", port: server.respPort });
  const other = await RawRespClient.connect(server.respPort);
  try {
    const value = bigValue(MB);
    assert.equal((await other.send(["SET", "big", value])).raw, "+OK\r\n");
    const before = await settledRss(pid, 500);
    // 400 GETs, each followed by an INCR whose reply numbers it: 400 MB of replies, one write.
    const requests = 400;
    const get = encodeRespRequest(["GET", "big"]);
    const incr = encodeRespRequest(["INCR", "sequence"]);
    await stuck.write(concat(Array.from({ length: requests }, () => concat([get, incr]))));
    // While the first client's replies sit unread, another client is answered.
    let peak = rssBytes(pid);
    assert.equal((await other.send(["PING"])).raw, "+PONG\r\n");
    for (let sample = 0; sample < 10; sample++) {
      await sleep(100);
      peak = Math.max(peak, rssBytes(pid));
    }
    assert.equal((await other.send(["PING"])).raw, "+PONG\r\n");
    assert.ok(
      peak - before < 64 * MB,
      `RSS grew by ${((peak - before) / MB).toFixed(1)} MB with the replies unread`,
    );
    // Then every reply arrives, complete and in order.
    const bulk = `$${value.length}\r\n${value}\r\n`;
    const checker = new StreamChecker(
      (function* () {
        for (let i = 1; i <= requests; i++) {
          yield bulk;
          yield `:${i}\r\n`;
        }
      })(),
    );
    await checker.run(stuck);
    assert.equal((await other.send(["GET", "sequence"])).raw, `$3\r\n${requests}\r\n`);
  } finally {
    stuck.close();
    other.close();
    await server.stop();
  }
});
