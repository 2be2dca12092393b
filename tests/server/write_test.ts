import assert from "node:assert/strict";
import { bytesToString, stringToBytes } from "../../lib/bytes.ts";
import { seededRandom } from "../../lib/random.ts";
import { writeParts } from "../../server/write.ts";

/** A socket that takes a random part of each write and records every byte. */
function partialSocket(
  seed: number,
): { conn: Deno.Conn; written: () => string; writes: () => number } {
  const random = seededRandom(seed);
  const chunks: string[] = [];
  let writes = 0;
  const conn = {
    write(bytes: Uint8Array): Promise<number> {
      writes++;
      const taken = Math.max(1, Math.floor(random() * bytes.length));
      chunks.push(bytesToString(bytes, 0, taken));
      return Promise.resolve(taken);
    },
  };
  return {
    conn: conn as unknown as Deno.Conn,
    written: () => chunks.join(""),
    writes: () => writes,
  };
}

Deno.test("writeParts writes bytes and strings in order, whole, through short writes", async () => {
  const all = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join("");
  const big = all.repeat(1000); // 256,000 bytes, every byte value
  const parts = [
    "$256000\r\n",
    big,
    "\r\n:1\r\n",
    "y".repeat(70_000),
    "z".repeat(70_000),
    big.slice(5, 65_541),
    "",
  ];
  const socket = partialSocket(7);
  await writeParts(
    socket.conn,
    parts.map((part, i) => i % 2 === 0 ? stringToBytes(part) : part),
  );
  assert.equal(socket.written(), parts.join(""));
});

Deno.test("writeParts gathers small parts into one write", async () => {
  const socket = {
    writes: [] as number[],
    write(bytes: Uint8Array) {
      this.writes.push(bytes.length);
      return Promise.resolve(bytes.length);
    },
  };
  const small = Array.from({ length: 100 }, (_, i) => i % 2 === 0 ? stringToBytes("ab") : "cd");
  await writeParts(socket as unknown as Deno.Conn, small);
  assert.deepEqual(socket.writes, [200]);
});
