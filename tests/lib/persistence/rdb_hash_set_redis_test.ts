/**
 * Hashes and sets in RDB files, against the reference: RdbReader reads what
 * redis-server 7.0 saves in each of its encodings (listpack and hashtable
 * hashes; intset and hashtable sets) and the older ones it still RESTOREs
 * (zipmap and ziplist hashes); redis-check-rdb and redis-server load what
 * RdbWriter writes, with the same data on both sides.
 */
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { Hash } from "../../../lib/hash.ts";
import { MemberSet } from "../../../lib/member_set.ts";
import { type RdbEntry, RdbReader, readRdb } from "../../../lib/persistence/rdb_reader.ts";
import { RdbWriter } from "../../../lib/persistence/rdb_writer.ts";
import type { ClientReply } from "../../../lib/protocol/resp_reply.ts";
import {
  ALL_BYTES,
  checkRdb,
  dumpPayload,
  encodeListpack,
  encodeZiplist,
  fileFromDump,
  fromCodes,
  type RedisWithFile,
  startRedisWithFile,
  stringToCodes,
  withTempDir,
} from "./rdb_support.ts";
import { concatBytes } from "../../../lib/bytes.ts";

/** A hash or set as plain sorted data, for comparing across servers and files. */
type Model = { hash: [string, string][] } | { set: string[] };

const FUTURE_MS = 4_000_000_000_000;

/** Hashes and sets that reach every encoding redis-server 7.0 chooses. */
function fixtures(): Map<string, Model> {
  const fixtures = new Map<string, Model>();
  const hash = (pairs: [string, string][]) => ({ hash: pairs.sort() });
  const members = (list: string[]) => ({ set: [...new Set(list)].sort() });
  fixtures.set("small hash", hash([["a", "1"], ["b", "two"], ["", ""], ["n", "-42"]]));
  fixtures.set("binary hash", hash([[ALL_BYTES, ALL_BYTES], ["x", "9223372036854775807"]]));
  fixtures.set("long value hash", hash([["f", "v".repeat(100)], ["g", "short"]]));
  fixtures.set(
    "large hash",
    hash(Array.from({ length: 600 }, (_, i): [string, string] => [`field:${i}`, String(i * 3)])),
  );
  fixtures.set("int16 set", members(["1", "-5", "300", "32767"]));
  fixtures.set("int32 set", members(["1", "70000", "-2147483648"]));
  fixtures.set("int64 set", members(["9223372036854775807", "-9223372036854775808", "0"]));
  fixtures.set("string set", members(["a", "b", "", ALL_BYTES, "0042", "12"]));
  fixtures.set("large int set", members(Array.from({ length: 700 }, (_, i) => String(i * 13))));
  fixtures.set("large set", members(Array.from({ length: 300 }, (_, i) => `member:${i}`)));
  return fixtures;
}

/** The encodings redis-server 7.0 picks for the fixtures above (so every one is covered). */
const REDIS_ENCODINGS: Record<string, string> = {
  "small hash": "listpack",
  "binary hash": "hashtable",
  "long value hash": "hashtable",
  "large hash": "hashtable",
  "int16 set": "intset",
  "int32 set": "intset",
  "int64 set": "intset",
  "string set": "hashtable",
  "large int set": "hashtable",
  "large set": "hashtable",
};

function modelOf(value: RdbEntry["value"]): Model {
  if (value instanceof Hash) return { hash: [...value.entries()].sort() };
  if (value instanceof MemberSet) return { set: value.memberList().sort() };
  throw new Error(`expected a hash or a set, got ${JSON.stringify(value)}`);
}

function strings(reply: ClientReply): string[] {
  if (reply.type !== "array" && reply.type !== "set") {
    throw new Error(`expected an array, got ${JSON.stringify(reply)}`);
  }
  return reply.items.map((item) => {
    if (item.type !== "bulk") throw new Error(`expected a bulk string, got ${item.type}`);
    return item.value;
  });
}

async function redisModel(redis: RedisWithFile, key: string): Promise<Model> {
  const type = await redis.command("TYPE", key);
  if (type.type === "status" && type.value === "hash") {
    const flat = strings(await redis.command("HGETALL", key));
    const pairs: [string, string][] = [];
    for (let i = 0; i < flat.length; i += 2) pairs.push([flat[i]!, flat[i + 1]!]);
    return { hash: pairs.sort() };
  }
  return { set: strings(await redis.command("SMEMBERS", key)).sort() };
}

async function populate(redis: RedisWithFile, models: Map<string, Model>): Promise<void> {
  for (const [key, model] of models) {
    if ("hash" in model) await redis.command("HSET", key, ...model.hash.flat());
    else await redis.command("SADD", key, ...model.set);
  }
}

function readAll(file: Uint8Array): RdbEntry[] {
  const read: RdbEntry[] = [];
  readRdb(file, (entry) => read.push(entry));
  return read;
}

Deno.test("RdbReader reads the hashes and sets redis-server saves, in every 7.0 encoding", async () => {
  await withTempDir(async (dir) => {
    const models = fixtures();
    const redis = await startRedisWithFile(dir);
    try {
      await populate(redis, models);
      await redis.command("PEXPIREAT", "small hash", String(FUTURE_MS));
      for (const [key, encoding] of Object.entries(REDIS_ENCODINGS)) {
        const reply = await redis.command("OBJECT", "ENCODING", key);
        strictEqual(reply.type === "bulk" ? reply.value : undefined, encoding, key);
      }
      await redis.command("SAVE");
    } finally {
      await redis.stop();
    }
    const read = readAll(await Deno.readFile(join(dir, "dump.rdb")));
    strictEqual(read.length, models.size);
    for (const entry of read) {
      deepStrictEqual(modelOf(entry.value), models.get(entry.key), entry.key);
      strictEqual(entry.expiresAtMs, entry.key === "small hash" ? FUTURE_MS : undefined);
    }
  });
});

Deno.test("redis-check-rdb and redis-server load RdbWriter's hashes and sets with the same data", async () => {
  await withTempDir(async (dir) => {
    const models = fixtures();
    const writer = new RdbWriter({ aux: { ctime: 1_700_000_000, "used-mem": 1 << 20 } });
    writer.header();
    writer.selectDb(0, models.size, 1);
    for (const [key, model] of models) {
      if ("hash" in model) {
        const hash = new Hash();
        for (const [field, value] of model.hash) hash.set(field, value);
        writer.writeEntry(key, hash, key === "large set" ? FUTURE_MS : undefined);
      } else {
        writer.writeEntry(
          key,
          MemberSet.of(model.set),
          key === "large set" ? FUTURE_MS : undefined,
        );
      }
    }
    writer.writeEntry("empty hash is skipped", new Hash());
    writer.finish();
    const file = concatBytes(writer.takeChunks());
    const path = join(dir, "dump.rdb");
    await Deno.writeFile(path, file);
    const { success, output } = await checkRdb(path);
    ok(success, output);
    ok(output.includes(`${models.size} keys read`), output);
    // Kache reads its own file back the same.
    for (const entry of readAll(file)) deepStrictEqual(modelOf(entry.value), models.get(entry.key));
    const redis = await startRedisWithFile(dir);
    try {
      for (const [key, model] of models) deepStrictEqual(await redisModel(redis, key), model, key);
      // Redis turns small ones back into its compact encodings as it loads them.
      for (const [key, encoding] of Object.entries(REDIS_ENCODINGS)) {
        const reply = await redis.command("OBJECT", "ENCODING", key);
        strictEqual(reply.type === "bulk" ? reply.value : undefined, encoding, key);
      }
      const ttl = await redis.command("PEXPIRETIME", "large set");
      deepStrictEqual(ttl, { type: "integer", value: BigInt(FUTURE_MS) });
    } finally {
      await redis.stop();
    }
  });
});

/** A zipmap (Redis < 2.6 small hashes): count, then length-prefixed field, value, free byte. */
function encodeZipmap(pairs: readonly [string, string][]): Uint8Array {
  const bytes: number[] = [pairs.length];
  const length = (n: number) => {
    if (n < 254) bytes.push(n);
    else bytes.push(254, n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24);
  };
  for (const [field, value] of pairs) {
    length(field.length);
    bytes.push(...stringToCodes(field));
    length(value.length);
    bytes.push(2); // two unused bytes after the value, as an in-place update leaves them
    bytes.push(...stringToCodes(value), 0, 0);
  }
  bytes.push(0xff);
  return new Uint8Array(bytes);
}

/** An RDB-encoded blob: its length, then its bytes. */
function rdbBlob(blob: Uint8Array): Uint8Array {
  const header = blob.length < 64
    ? [blob.length]
    : blob.length < 16384
    ? [0x40 | (blob.length >> 8), blob.length & 0xff]
    : [
      0x80,
      blob.length >>> 24,
      (blob.length >> 16) & 0xff,
      (blob.length >> 8) & 0xff,
      blob.length & 0xff,
    ];
  return concatBytes([new Uint8Array(header), blob]);
}

Deno.test("redis-server RESTOREs zipmap and ziplist hashes as RdbReader reads them", async () => {
  await withTempDir(async (dir) => {
    const redis = await startRedisWithFile(dir);
    try {
      const pairs: [string, string][] = [["a", "1"], ["long", "x".repeat(300)], ["n", "-70000"]];
      const encodings: [string, number, Uint8Array][] = [
        ["zipmap", 9, encodeZipmap(pairs)],
        ["ziplist", 13, encodeZiplist(pairs.flat())],
      ];
      for (const [name, type, blob] of encodings) {
        const payload = dumpPayload(concatBytes([new Uint8Array([type]), rdbBlob(blob)]), 10);
        await redis.command("RESTORE", name, "0", payload);
        const expected = await redisModel(redis, name);
        deepStrictEqual(expected, { hash: [...pairs].sort() }, `redis-server's ${name}`);
        const read = readAll(fileFromDump(payload, name));
        deepStrictEqual(read.map((entry) => modelOf(entry.value)), [expected], name);
      }
    } finally {
      await redis.stop();
    }
  });
});

Deno.test("RdbReader reads the listpack and intset payloads redis-server DUMPs", async () => {
  await withTempDir(async (dir) => {
    const redis = await startRedisWithFile(dir);
    try {
      await populate(redis, fixtures());
      for (
        const [key, type] of [["small hash", 16], ["int16 set", 11], ["int64 set", 11]] as const
      ) {
        const reply = await redis.command("DUMP", key);
        const payload = reply.type === "bulk" ? reply.value : "";
        strictEqual(payload.charCodeAt(0), type, key);
        const read = readAll(fileFromDump(payload, key));
        deepStrictEqual(read.map((entry) => modelOf(entry.value)), [await redisModel(redis, key)]);
      }
    } finally {
      await redis.stop();
    }
  });
});

Deno.test("RdbReader refuses a corrupt intset and a hash with a repeated field", () => {
  // Width 2, two elements, but out of order (5 then 1).
  const intset = new Uint8Array([2, 0, 0, 0, 2, 0, 0, 0, 5, 0, 1, 0]);
  const badSet = fileFromDump(
    dumpPayload(concatBytes([new Uint8Array([11]), rdbBlob(intset)]), 10),
    "s",
  );
  let message = "";
  try {
    readAll(badSet);
  } catch (error) {
    message = (error as Error).message;
  }
  ok(/Corrupt set \(intset\) of key "s": intset element 1/.test(message), message);
  const repeated = concatBytes([
    new Uint8Array([4, 2]),
    rdbBlob(stringToCodes("f")).subarray(0),
  ]);
  const fields = concatBytes([
    repeated,
    new Uint8Array([1]),
    stringToCodes("1"),
    new Uint8Array([1]),
    stringToCodes("f"),
    new Uint8Array([1]),
    stringToCodes("2"),
  ]);
  message = "";
  try {
    readAll(fileFromDump(fromCodes([...dumpPayloadBytes(fields)]), "h"));
  } catch (error) {
    message = (error as Error).message;
  }
  ok(/Duplicate field "f" in hash "h"/.test(message), message);
});

function dumpPayloadBytes(value: Uint8Array): Uint8Array {
  return stringToCodes(dumpPayload(value, 10));
}

Deno.test("RdbReader reads Redis 7.2's listpack sets (RDB type 20)", () => {
  const members = ["a", "-5", "300", ALL_BYTES, "9223372036854775807"];
  const value = concatBytes([new Uint8Array([20]), rdbBlob(encodeListpack(members))]);
  const read = readAll(fileFromDump(dumpPayload(value, 11), "s"));
  deepStrictEqual(read.map((entry) => modelOf(entry.value)), [{ set: [...members].sort() }]);
  const repeated = concatBytes([new Uint8Array([20]), rdbBlob(encodeListpack(["a", "a"]))]);
  let message = "";
  try {
    readAll(fileFromDump(dumpPayload(repeated, 11), "s"));
  } catch (error) {
    message = (error as Error).message;
  }
  ok(/Duplicate member "a" in set "s"/.test(message), message);
});

Deno.test("RdbReader counts each listpack and intset it validates once, however the bytes arrive", () => {
  const listpackSet = concatBytes([new Uint8Array([20]), rdbBlob(encodeListpack(["a", "b"]))]);
  const intset = new Uint8Array([2, 0, 0, 0, 2, 0, 0, 0, 1, 0, 5, 0]);
  const intsetSet = concatBytes([new Uint8Array([11]), rdbBlob(intset)]);
  for (const [value, version] of [[listpackSet, 11], [intsetSet, 10]] as const) {
    const file = fileFromDump(dumpPayload(value, version), "s");
    strictEqual(readRdb(file, () => {}).deepValidations, 1);
    // A byte at a time: the item is parsed again and again until complete, and counted once.
    const reader = new RdbReader(() => {});
    for (let i = 0; i < file.length; i++) reader.push(file.subarray(i, i + 1));
    strictEqual(reader.end().deepValidations, 1);
  }
  // A plain string has nothing packed.
  const plain = new RdbWriter();
  plain.header();
  plain.selectDb(0, 1, 0);
  plain.writeEntry("k", "v");
  plain.finish();
  strictEqual(readRdb(concatBytes(plain.takeChunks()), () => {}).deepValidations, 0);
});
