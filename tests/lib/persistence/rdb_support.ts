/**
 * Helpers for the RDB tests: one-byte-string arbitraries, hex, a model of a
 * keyspace to compare files against, and a reference redis-server started
 * on a file in a temporary directory (tests/support/redis_process.ts starts
 * Redis without persistence, and these tests need `--dir`/`--dbfilename`).
 */
import fc from "fast-check";
import { requireTool } from "../../support/redis_process.ts";
import { RawRespClient } from "../../support/resp_client.ts";
import { freePort } from "../../support/server_process.ts";
import { spawnLogged } from "../../support/child_process.ts";
import { Crc64 } from "../../../lib/persistence/crc64.ts";
import type { RdbEntry } from "../../../lib/persistence/rdb_reader.ts";
import { RdbWriter, type RdbWriterOptions } from "../../../lib/persistence/rdb_writer.ts";
import type { ClientReply } from "../../../lib/protocol/resp_reply.ts";
import { concatBytes } from "../../../lib/bytes.ts";

/** A string of the given char codes (each 0–255). */
export function fromCodes(codes: readonly number[]): string {
  let text = "";
  for (const code of codes) text += String.fromCharCode(code);
  return text;
}

/** All 256 byte values in order. */
export const ALL_BYTES = fromCodes(Array.from({ length: 256 }, (_, i) => i));

export function hexToBytes(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

export function stringToCodes(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/** One-byte strings over all 256 byte values. */
export function binaryString(maxLength = 40): fc.Arbitrary<string> {
  return fc.array(fc.integer({ min: 0, max: 255 }), { maxLength }).map(fromCodes);
}

/**
 * Strings that exercise every string encoding: raw binary, canonical and
 * almost-canonical integers around the int8/16/32 limits, and long
 * repetitive text that LZF compresses.
 */
export function rdbString(): fc.Arbitrary<string> {
  return fc.oneof(
    binaryString(),
    fc.integer({ min: -(2 ** 40), max: 2 ** 40 }).map(String),
    fc.constantFrom(
      "",
      "0",
      "-0",
      "007",
      "+1",
      " 1",
      "127",
      "128",
      "-128",
      "-129",
      "32767",
      "32768",
      "-32768",
      "-32769",
      "2147483647",
      "2147483648",
      "-2147483648",
      "-2147483649",
      "12345678901",
    ),
    fc.tuple(binaryString(6), fc.integer({ min: 4, max: 400 })).map(([unit, times]) =>
      unit.repeat(times)
    ),
  );
}

/** A key as a test means it: value and optional expiry. */
export interface ModelEntry {
  key: string;
  value: string | Array<[string, number]>;
  expiresAtMs?: number;
}

/** Unique keys with strings or sorted sets (1–20 unique members, any non-NaN score) and expiries. */
export function arbitraryEntries(
  expiry: { minExpiry: number; maxExpiry: number },
  maxLength = 25,
): fc.Arbitrary<ModelEntry[]> {
  return fc.uniqueArray(
    fc.record({
      key: rdbString(),
      value: fc.oneof(
        rdbString(),
        fc.uniqueArray(
          fc.tuple(
            rdbString(),
            fc.oneof(
              fc.double({ noNaN: true }),
              fc.integer({ min: -1000, max: 1000 }),
              fc.constantFrom(Infinity, -Infinity, 0, -0),
            ),
          ),
          { selector: ([member]) => member, minLength: 1, maxLength: 20 },
        ),
      ),
      expiresAtMs: fc.option(fc.integer({ min: expiry.minExpiry, max: expiry.maxExpiry }), {
        nil: undefined,
      }),
    }),
    { selector: (entry) => entry.key, maxLength },
  );
}

/** Writes `entries` as one RDB file, taking a chunk after every `chunkEvery` entries. */
export function writeFile(
  entries: readonly ModelEntry[],
  options: RdbWriterOptions = {},
  chunkEvery = Infinity,
): Uint8Array {
  const writer = new RdbWriter(options);
  const chunks: Uint8Array[] = [];
  writer.header();
  writer.selectDb(
    0,
    entries.length,
    entries.filter((entry) => entry.expiresAtMs !== undefined).length,
  );
  entries.forEach((entry, i) => {
    const value = typeof entry.value === "string" ? entry.value : new Map(entry.value);
    writer.writeEntry(entry.key, value, entry.expiresAtMs);
    if ((i + 1) % chunkEvery === 0) chunks.push(...writer.takeChunks());
  });
  writer.finish();
  chunks.push(...writer.takeChunks());
  return concatBytes(chunks);
}

/** The file's entries by key, for comparisons that ignore order. */
export function entriesByKey(entries: readonly RdbEntry[]): Map<string, RdbEntry> {
  return new Map(entries.map((entry) => [entry.key, entry]));
}

/** A score as Redis prints it in RESP2 (`inf`, `-inf`, or a decimal). */
export function parseRedisScore(text: string): number {
  if (text === "inf") return Infinity;
  if (text === "-inf") return -Infinity;
  return Number(text);
}

/** A redis-server working in `dir`, loading and saving `dir/dump.rdb`. */
export interface RedisWithFile {
  readonly port: number;
  readonly client: RawRespClient;
  /** Sends a command and returns its reply; fails the test on an error reply. */
  command(...argv: string[]): Promise<ClientReply>;
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts redis-server in `dir` (it loads `dir/dump.rdb` if present) with
 * automatic saves off and `extraArgs` appended. Throws with Redis's log if it
 * exits (as it does on a file it cannot load).
 */
export async function startRedisWithFile(
  dir: string,
  extraArgs: readonly string[] = [],
): Promise<RedisWithFile> {
  await requireTool("redis-server");
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = freePort();
    const child = spawnLogged("redis-server", [
      ...["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--dbfilename", "dump.rdb"],
      ...["--save", "", "--appendonly", "no", "--daemonize", "no", ...extraArgs],
    ]);
    const stop = async () => {
      await child.stop("SIGKILL");
    };
    const log = () => child.output();
    const started = Date.now();
    let client: RawRespClient | undefined;
    while (client === undefined) {
      if (child.exited()) break;
      try {
        client = await RawRespClient.connect(port);
        const pong = await client.send(["PING"]);
        if (pong.reply.type !== "status") {
          // Still loading the file: Redis answers -LOADING until it is done.
          client.close();
          client = undefined;
        }
      } catch {
        client?.close();
        client = undefined;
      }
      if (client === undefined) {
        if (Date.now() - started > 20_000) {
          await stop();
          throw new Error(`redis-server did not answer PING within 20 s:\n${log()}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
    if (client === undefined) {
      await stop();
      if (/address already in use/i.test(log())) continue;
      throw new Error(`redis-server exited before answering PING:\n${log()}`);
    }
    const connected = client;
    return {
      port,
      client: connected,
      async command(...argv: string[]) {
        const { reply } = await connected.send(argv);
        if (reply.type === "error") {
          throw new Error(`redis-server answered ${argv[0]} with ${reply.message}`);
        }
        return reply;
      },
      output: log,
      async stop() {
        connected.close();
        await stop();
      },
    };
  }
  throw new Error("redis-server could not bind a free port after 5 tries");
}

/** Runs `body` with a fresh temporary directory, removed afterwards. */
export async function withTempDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "kache-rdb-" });
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Runs redis-check-rdb on `path`; returns its exit success and output. */
export async function checkRdb(path: string): Promise<{ success: boolean; output: string }> {
  await requireTool("redis-check-rdb");
  const { success, stdout, stderr } = await new Deno.Command("redis-check-rdb", {
    args: [path],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).output();
  const decoder = new TextDecoder();
  return { success, output: decoder.decode(stdout) + decoder.decode(stderr) };
}

/** The int64 value of `text` if it is a canonical decimal integer (Redis's string2ll + round trip). */
export function canonicalInt64(text: string): bigint | undefined {
  if (!/^(?:0|-?[1-9][0-9]{0,19})$/.test(text)) return undefined;
  const value = BigInt(text);
  return value >= -(2n ** 63n) && value < 2n ** 63n ? value : undefined;
}

function littleEndian(value: bigint, size: number): number[] {
  const out: number[] = [];
  let v = BigInt.asUintN(size * 8, value);
  for (let i = 0; i < size; i++) {
    out.push(Number(v & 0xffn));
    v >>= 8n;
  }
  return out;
}

/** A listpack as Redis's `lpAppend` builds it (integers for canonical integer strings). */
export function encodeListpack(elements: readonly string[]): Uint8Array {
  const body: number[] = [];
  for (const element of elements) {
    const entry: number[] = [];
    const value = canonicalInt64(element);
    if (value !== undefined && value >= 0n && value <= 127n) {
      entry.push(Number(value));
    } else if (value !== undefined && value >= -4096n && value <= 4095n) {
      const raw = Number(BigInt.asUintN(13, value));
      entry.push(0xc0 | (raw >> 8), raw & 0xff);
    } else if (value !== undefined) {
      const size = value >= -32768n && value <= 32767n
        ? 2
        : value >= -8388608n && value <= 8388607n
        ? 3
        : value >= -2147483648n && value <= 2147483647n
        ? 4
        : 8;
      entry.push({ 2: 0xf1, 3: 0xf2, 4: 0xf3, 8: 0xf4 }[size]!, ...littleEndian(value, size));
    } else {
      const bytes = Array.from(stringToCodes(element));
      const length = bytes.length;
      if (length < 64) entry.push(0x80 | length);
      else if (length < 4096) entry.push(0xe0 | (length >> 8), length & 0xff);
      else entry.push(0xf0, ...littleEndian(BigInt(length), 4));
      entry.push(...bytes);
    }
    // Redis's lpEncodeBacklen: highest 7 bits first, later bytes flagged with 0x80.
    const size = entry.length;
    const backlenSize = size <= 127 ? 1 : size < 16383 ? 2 : size < 2097151 ? 3 : 4;
    for (let i = backlenSize - 1; i >= 0; i--) {
      entry.push((Math.floor(size / 128 ** i) & 127) | (i < backlenSize - 1 ? 128 : 0));
    }
    body.push(...entry);
  }
  const total = 6 + body.length + 1;
  const count = Math.min(elements.length, 65535);
  return new Uint8Array([
    ...littleEndian(BigInt(total), 4),
    count & 0xff,
    count >> 8,
    ...body,
    0xff,
  ]);
}

/** A ziplist as Redis ≤ 6.2's `ziplistPush` builds it. */
export function encodeZiplist(elements: readonly string[]): Uint8Array {
  const body: number[] = [];
  let previousSize = 0;
  let tail = 10;
  for (const element of elements) {
    const entry: number[] = previousSize < 254
      ? [previousSize]
      : [0xfe, ...littleEndian(BigInt(previousSize), 4)];
    const value = element.length <= 32 ? canonicalInt64(element) : undefined;
    if (value !== undefined && value >= 0n && value <= 12n) {
      entry.push(0xf1 + Number(value));
    } else if (value !== undefined) {
      const [code, size] = value >= -128n && value <= 127n
        ? [0xfe, 1]
        : value >= -32768n && value <= 32767n
        ? [0xc0, 2]
        : value >= -8388608n && value <= 8388607n
        ? [0xf0, 3]
        : value >= -2147483648n && value <= 2147483647n
        ? [0xd0, 4]
        : [0xe0, 8];
      entry.push(code, ...littleEndian(value, size));
    } else {
      const bytes = Array.from(stringToCodes(element));
      const length = bytes.length;
      if (length <= 63) entry.push(length);
      else if (length <= 16383) entry.push(0x40 | (length >> 8), length & 0xff);
      else {entry.push(
          0x80,
          (length >>> 24) & 0xff,
          (length >> 16) & 0xff,
          (length >> 8) & 0xff,
          length & 0xff,
        );}
      entry.push(...bytes);
    }
    tail = 10 + body.length;
    body.push(...entry);
    previousSize = entry.length;
  }
  const total = 10 + body.length + 1;
  const count = Math.min(elements.length, 65535);
  return new Uint8Array([
    ...littleEndian(BigInt(total), 4),
    ...littleEndian(BigInt(tail), 4),
    count & 0xff,
    count >> 8,
    ...body,
    0xff,
  ]);
}

/** A DUMP payload as RESTORE takes it: value bytes, RDB version (u16 LE), CRC-64 of both. */
export function dumpPayload(value: Uint8Array, version: number): string {
  const body = concatBytes([value, new Uint8Array([version, 0])]);
  const crc = new Uint8Array(8);
  new Crc64().update(body).writeTo(crc, 0);
  return fromCodes(Array.from(concatBytes([body, crc])));
}

/** Wraps a DUMP payload's value (type byte + encoding) into a one-key RDB file. */
export function fileFromDump(payload: string, key: string): Uint8Array {
  const value = stringToCodes(payload.slice(0, payload.length - 10));
  const writer = new RdbWriter({ aux: {} });
  writer.header();
  writer.finish();
  const written = concatBytes(writer.takeChunks());
  const head = written.subarray(0, written.length - 9);
  const keyBytes = concatBytes([new Uint8Array([key.length]), stringToCodes(key)]);
  const body = concatBytes([
    head,
    value.subarray(0, 1),
    keyBytes,
    value.subarray(1),
    new Uint8Array([0xff]),
  ]);
  const crc = new Uint8Array(8);
  new Crc64().update(body).writeTo(crc, 0);
  return concatBytes([body, crc]);
}
