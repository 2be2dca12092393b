/**
 * Pipelined SETs of values that hold every byte value (not the ASCII that
 * redis-benchmark sends) against a running server, with the server's CPU
 * time per request when its pid is given:
 *
 *   deno run --allow-all bench/binary_set.ts --port 6379 [--pid <server pid>]
 *            [--requests 200000] [--size 4096] [--connections 8] [--pipeline 16]
 *
 * Keys cycle over 10,000 names. Run it against Kache and redis-server in
 * turn, a few times each: the machine's noise moves single runs. A
 * benchmark, not a test: it prints numbers and asserts nothing.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { concatBytes } from "../lib/bytes.ts";
import { encodeRespRequest } from "../lib/protocol/resp_reply.ts";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "6379" },
    pid: { type: "string" },
    requests: { type: "string", default: "200000" },
    size: { type: "string", default: "4096" },
    connections: { type: "string", default: "8" },
    pipeline: { type: "string", default: "16" },
  },
});
const port = Number(values.port);
const size = Number(values.size);
const connections = Number(values.connections);
const pipeline = Number(values.pipeline);
const perConnection = Math.floor(Number(values.requests) / connections / pipeline) * pipeline;
const KEYS = 10_000;
const OK_REPLY_BYTES = "+OK\r\n".length;

/** A one-byte string: the value's chars are its bytes, 0–255. */
const value = Array.from({ length: size }, (_, index) => String.fromCharCode((index * 7 + 3) % 256))
  .join("");

/** The server's user + system CPU time so far, in clock ticks (/proc/<pid>/stat). */
function cpuTicks(pid: string): number {
  const fields = Deno.readTextFileSync(`/proc/${pid}/stat`).split(") ")[1]!.split(" ");
  return Number(fields[11]) + Number(fields[12]);
}

async function drive(connection: number): Promise<void> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const replies = new Uint8Array(64 * 1024);
  try {
    for (let sent = 0; sent < perConnection; sent += pipeline) {
      const batch = Array.from(
        { length: pipeline },
        (_, index) =>
          encodeRespRequest([
            "SET",
            `key:${(connection * perConnection + sent + index) % KEYS}`,
            value,
          ]),
      );
      await conn.write(concatBytes(batch));
      for (let received = 0; received < pipeline * OK_REPLY_BYTES;) {
        const count = await conn.read(replies);
        if (count === null) throw new Error("the server closed the connection");
        received += count;
      }
    }
  } finally {
    conn.close();
  }
}

const ticksBefore = values.pid === undefined ? 0 : cpuTicks(values.pid);
const started = performance.now();
await Promise.all(Array.from({ length: connections }, (_, connection) => drive(connection)));
const seconds = (performance.now() - started) / 1000;
const total = perConnection * connections;
let line = `${total} SETs of ${size} bytes: ${Math.round(total / seconds)} requests/s`;
if (values.pid !== undefined) {
  // Linux reports CPU time in ticks of 1/100 s.
  const micros = (cpuTicks(values.pid) - ticksBefore) * 10_000 / total;
  line += `, server CPU ${micros.toFixed(2)} µs/request`;
}
console.log(line);
