import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import { SyncPayloadError, SyncPayloadReader } from "../../../lib/replication/sync_payload.ts";

const encoder = new TextEncoder();
const MARK = "0123456789abcdef0123456789abcdef01234567";

/** Feeds `input` in chunks of `size` bytes; returns the RDB bytes, whether it finished, and the rest. */
function feed(input: Uint8Array, size: number) {
  const reader = new SyncPayloadReader();
  const rdb: number[] = [];
  const rest: number[] = [];
  let finished = false;
  for (let at = 0; at < input.length; at += size) {
    const step = reader.push(input.subarray(at, at + size));
    if (finished) {
      rest.push(...input.subarray(at, at + size));
      continue;
    }
    for (const part of step.rdb) rdb.push(...part);
    rest.push(...step.rest);
    finished = step.finished;
  }
  return { rdb: String.fromCharCode(...rdb), finished, rest: String.fromCharCode(...rest) };
}

Deno.test("SyncPayloadReader skips keepalive newlines and reads a $length payload, chunk size 1 to 64", () => {
  const input = encoder.encode("\n\n$11\r\nREDIS0011xy*1\r\n$4\r\nPING\r\n");
  for (let size = 1; size <= 64; size++) {
    deepStrictEqual(feed(input, size), {
      rdb: "REDIS0011xy",
      finished: true,
      rest: "*1\r\n$4\r\nPING\r\n",
    });
  }
});

Deno.test("SyncPayloadReader holds back the EOF mark and ends on it, whatever the chunking", () => {
  const body = "REDIS0011" + "z".repeat(100);
  const input = encoder.encode(`\n$EOF:${MARK}\r\n${body}${MARK}`);
  for (const size of [1, 2, 7, 39, 40, 41, 200]) {
    deepStrictEqual(feed(input, size), { rdb: body, finished: true, rest: "" });
  }
});

Deno.test("SyncPayloadReader: an EOF payload shorter than the mark, and one not yet ended", () => {
  deepStrictEqual(feed(encoder.encode(`$EOF:${MARK}\r\nab${MARK}`), 3).rdb, "ab");
  const reader = new SyncPayloadReader();
  const step = reader.push(encoder.encode(`$EOF:${MARK}\r\n${"q".repeat(50)}`));
  strictEqual(step.finished, false);
  strictEqual(step.rdb.reduce((sum, part) => sum + part.length, 0), 10);
  strictEqual(reader.bytesRead, 50);
});

Deno.test("SyncPayloadReader refuses an error line and a reply that is no payload", () => {
  throws(
    () => new SyncPayloadReader().push(encoder.encode("-ERR no\r\n")),
    (error) =>
      error instanceof SyncPayloadError &&
      /aborted replication with an error: ERR no/.test(error.message),
  );
  throws(
    () => new SyncPayloadReader().push(encoder.encode("+OK\r\n")),
    (error) => error instanceof SyncPayloadError && /first byte is not '\$'/.test(error.message),
  );
  throws(() => new SyncPayloadReader().push(encoder.encode("$-5\r\n")), SyncPayloadError);
});
