/**
 * Measures active expiry at scale: loads 1,000,000 keys with random TTLs of
 * 1–5 s into a fresh `kache serve`, then reports how late the last key is
 * removed after its deadline and the longest stall a client pinging every
 * millisecond sees while the keys expire.
 *
 *   deno task bench:expiry [--keys 1000000]
 *
 * A benchmark, not a test: it prints numbers and asserts nothing.
 */
import { parseArgs } from "node:util";
import { encodeKacheRequest } from "../lib/protocol/kache.ts";
import { startServer } from "../tests/support/server_process.ts";
import { concatBytes } from "../lib/bytes.ts";

const { values } = parseArgs({
  options: { keys: { type: "string", default: "1000000" } },
});
const keyCount = Number(values.keys);

/** A binary-protocol connection that counts and returns raw response frames. */
class RawConnection {
  #buffer = new Uint8Array(1 << 20);
  #start = 0;
  #end = 0;
  private constructor(readonly conn: Deno.TcpConn) {}

  static async open(port: number): Promise<RawConnection> {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.setNoDelay(true);
    return new RawConnection(conn);
  }

  async send(bytes: Uint8Array): Promise<void> {
    let offset = 0;
    while (offset < bytes.length) offset += await this.conn.write(bytes.subarray(offset));
  }

  /** Reads `count` response frames; returns the last one's bytes. */
  async receive(count: number): Promise<Uint8Array> {
    let last = new Uint8Array(0);
    while (count > 0) {
      if (this.#end - this.#start >= 4) {
        const view = new DataView(this.#buffer.buffer, this.#start);
        const length = view.getUint32(0, true);
        if (this.#end - this.#start >= 4 + length) {
          last = this.#buffer.slice(this.#start, this.#start + 4 + length);
          this.#start += 4 + length;
          count--;
          continue;
        }
      }
      if (this.#start > 0) {
        this.#buffer.copyWithin(0, this.#start, this.#end);
        this.#end -= this.#start;
        this.#start = 0;
      }
      const read = await this.conn.read(this.#buffer.subarray(this.#end));
      if (read === null) throw new Error("Server closed the connection");
      this.#end += read;
    }
    return last;
  }

  close(): void {
    this.conn.close();
  }
}

/** The integer in a DBSIZE response frame (status u32, tag u8, i64). */
function integerOf(frame: Uint8Array): number {
  return Number(new DataView(frame.buffer, frame.byteOffset).getBigInt64(9, true));
}

// The same V8 flags as `deno task serve`, so the pauses measured are the ones users get.
const server = await startServer(["--port", "0"], { v8Flags: ["--max-semi-space-size=2"] });
try {
  const loader = await RawConnection.open(server.kachePort);
  let latestDeadline = 0;
  const loadStarted = performance.now();
  const batch = 5000;
  for (let first = 0; first < keyCount; first += batch) {
    const requests: Uint8Array[] = [];
    const last = Math.min(keyCount, first + batch);
    for (let i = first; i < last; i++) {
      const deadline = Date.now() + 1000 + Math.floor(Math.random() * 4000);
      latestDeadline = Math.max(latestDeadline, deadline);
      requests.push(encodeKacheRequest(["set", `key:${i}`, "value"]));
      requests.push(encodeKacheRequest(["pexpireat", `key:${i}`, String(deadline)]));
    }
    await loader.send(concatBytes(requests));
    await loader.receive(requests.length);
  }
  const loadSeconds = (performance.now() - loadStarted) / 1000;

  // Ping every millisecond until every key is gone, recording each round trip.
  const pinger = await RawConnection.open(server.kachePort);
  const ping = encodeKacheRequest(["ping"]);
  const dbsize = encodeKacheRequest(["dbsize"]);
  let longestStall = 0;
  let longestStallAt = 0;
  let pings = 0;
  let emptyAt = 0;
  while (true) {
    const sent = performance.now();
    await pinger.send(ping);
    await pinger.receive(1);
    const roundTrip = performance.now() - sent;
    if (roundTrip > longestStall) {
      longestStall = roundTrip;
      longestStallAt = Date.now() - latestDeadline;
    }
    pings++;
    if (Date.now() >= latestDeadline) {
      await pinger.send(dbsize);
      if (integerOf(await pinger.receive(1)) === 0) {
        emptyAt = Date.now();
        break;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  loader.close();
  pinger.close();
  console.log(
    `keys loaded:               ${keyCount.toLocaleString("en-US")} in ${loadSeconds.toFixed(1)} s`,
  );
  console.log(
    `last key removed:          ${emptyAt - latestDeadline} ms after the latest deadline`,
  );
  console.log(
    `longest ping round trip:   ${longestStall.toFixed(1)} ms over ${pings} pings ` +
      `(${longestStallAt} ms from the latest deadline)`,
  );
} finally {
  await server.stop();
}
