/**
 * Lists in RDB files, both ways against redis-server 7.0: Kache's QUICKLIST_2
 * files pass redis-check-rdb and load in redis-server with the same elements;
 * redis-server's dumps (listpack nodes with integer entries, many nodes) and
 * the older encodings (plain list, ziplist, quicklist of ziplists, a plain
 * QUICKLIST_2 node) read back as the same lists.
 */
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { List } from "../../../lib/list.ts";
import { decodeListpack } from "../../../lib/persistence/listpack.ts";
import { encodeListpack } from "../../../lib/persistence/listpack_writer.ts";
import { type RdbEntry, readRdb } from "../../../lib/persistence/rdb_reader.ts";
import { RdbWriter } from "../../../lib/persistence/rdb_writer.ts";
import {
  ALL_BYTES,
  checkRdb,
  encodeListpack as encodeRedisListpack,
  encodeZiplist,
  startRedisWithFile,
  stringToCodes,
  withTempDir,
} from "./rdb_support.ts";
import { concatBytes } from "../../../lib/bytes.ts";

/** Lists covering every node and entry size: tiny, binary, long elements, many nodes. */
function fixedLists(): Map<string, string[]> {
  return new Map([
    ["small", ["a", "b", "c"]],
    ["integers", ["1", "-1", "127", "128", "-4096", "70000", "9223372036854775807", "007"]],
    ["binary", [ALL_BYTES, "", "\x00", "\xff\xfe"]],
    ["sizes", [
      "x".repeat(63),
      "y".repeat(64),
      "z".repeat(4095),
      "w".repeat(4096),
      "v".repeat(20000),
    ]],
    ["many nodes", Array.from({ length: 5000 }, (_, i) => `element:${i}`)],
    ["huge element", ["h".repeat(70_000), "after"]],
    [ALL_BYTES, ["key of every byte"]],
  ]);
}

function writeLists(lists: Map<string, string[]>): Uint8Array {
  const writer = new RdbWriter({ aux: { ctime: 1700000000, "used-mem": 1 << 20 } });
  writer.header();
  writer.selectDb(0, lists.size, 0);
  for (const [key, elements] of lists) {
    const list = new List();
    for (const element of elements) list.pushBack(element);
    writer.writeEntry(key, list);
  }
  writer.finish();
  return concatBytes(writer.takeChunks());
}

function listsOf(entries: readonly RdbEntry[]): Map<string, string[]> {
  const lists = new Map<string, string[]>();
  for (const entry of entries) {
    if (entry.value instanceof List) lists.set(entry.key, [...entry.value.values()]);
  }
  return lists;
}

Deno.test("list nodes' listpacks read back and match Redis's encoding byte for byte", () => {
  const elements = [
    "a",
    "",
    "x".repeat(100),
    "y".repeat(5000),
    "z".repeat(16_400),
    ALL_BYTES,
    "-7",
  ];
  deepStrictEqual(decodeListpack(encodeListpack(elements)), elements);
  deepStrictEqual(encodeListpack(elements), encodeRedisListpack(elements));
});

Deno.test("redis-check-rdb and redis-server 7.0 load Kache's lists", async () => {
  await withTempDir(async (dir) => {
    const lists = fixedLists();
    const path = join(dir, "dump.rdb");
    await Deno.writeFile(path, writeLists(lists));
    const check = await checkRdb(path);
    ok(check.success, check.output);
    const redis = await startRedisWithFile(dir);
    try {
      for (const [key, elements] of lists) {
        const reply = await redis.command("LRANGE", key, "0", "-1");
        strictEqual(reply.type, "array");
        if (reply.type !== "array") continue;
        deepStrictEqual(
          reply.items.map((item) => item.type === "bulk" ? item.value : "?"),
          elements,
          `list ${JSON.stringify(key.slice(0, 20))}`,
        );
      }
      const encoding = await redis.command("OBJECT", "ENCODING", "many nodes");
      deepStrictEqual(encoding, { type: "bulk", value: "quicklist" });
    } finally {
      await redis.stop();
    }
  });
});

Deno.test("RdbReader reads redis-server 7.0's lists as the same elements", async () => {
  await withTempDir(async (dir) => {
    const lists = fixedLists();
    const redis = await startRedisWithFile(dir);
    try {
      for (const [key, elements] of lists) {
        // In slices, so no request runs into an argument limit.
        for (let i = 0; i < elements.length; i += 500) {
          await redis.command("RPUSH", key, ...elements.slice(i, i + 500));
        }
      }
      await redis.command("SAVE");
    } finally {
      await redis.stop();
    }
    const entries: RdbEntry[] = [];
    readRdb(await Deno.readFile(join(dir, "dump.rdb")), (entry) => entries.push(entry));
    deepStrictEqual(listsOf(entries), lists);
  });
});

Deno.test("RdbReader reads the older list encodings and plain QUICKLIST_2 nodes", () => {
  const header = stringToCodes("REDIS0010");
  const string = (text: string) =>
    concatBytes([new Uint8Array([text.length]), stringToCodes(text)]);
  const blob = (bytes: Uint8Array) =>
    concatBytes([
      new Uint8Array([0x80]),
      new Uint8Array([
        bytes.length >>> 24,
        (bytes.length >>> 16) & 0xff,
        (bytes.length >>> 8) & 0xff,
        bytes.length & 0xff,
      ]),
      bytes,
    ]);
  const file = concatBytes([
    header,
    new Uint8Array([0xfe, 0]),
    // Type 1, a plain list.
    new Uint8Array([1]),
    string("plain"),
    new Uint8Array([2]),
    string("p1"),
    string("p2"),
    // Type 10, one ziplist.
    new Uint8Array([10]),
    string("ziplist"),
    blob(encodeZiplist(["z1", "12", "-7"])),
    // Type 14, ziplist nodes.
    new Uint8Array([14]),
    string("quicklist"),
    new Uint8Array([2]),
    blob(encodeZiplist(["q1", "q2"])),
    blob(encodeZiplist(["q3"])),
    // Type 18 with a plain node between two listpack nodes.
    new Uint8Array([18]),
    string("quicklist2"),
    new Uint8Array([3, 2]),
    blob(encodeRedisListpack(["a", "1"])),
    new Uint8Array([1]),
    string("plain node"),
    new Uint8Array([2]),
    blob(encodeRedisListpack(["b"])),
    new Uint8Array([0xff]),
    new Uint8Array(8),
  ]);
  const entries: RdbEntry[] = [];
  readRdb(file, (entry) => entries.push(entry));
  deepStrictEqual(
    listsOf(entries),
    new Map([
      ["plain", ["p1", "p2"]],
      ["ziplist", ["z1", "12", "-7"]],
      ["quicklist", ["q1", "q2", "q3"]],
      ["quicklist2", ["a", "1", "plain node", "b"]],
    ]),
  );
});
