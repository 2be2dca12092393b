import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import fc from "fast-check";
import { Crc64 } from "../../../lib/persistence/crc64.ts";
import {
  type RdbEntry,
  RdbError,
  RdbReader,
  readRdb,
} from "../../../lib/persistence/rdb_reader.ts";
import { RdbWriter } from "../../../lib/persistence/rdb_writer.ts";
import { SortedSet } from "../../../lib/zset.ts";
import {
  ALL_BYTES,
  arbitraryEntries,
  encodeListpack,
  encodeZiplist,
  type ModelEntry,
  stringToCodes,
  writeFile,
} from "./rdb_support.ts";
import { concatBytes } from "../../../lib/bytes.ts";

type Pair = [string, number];

/** The bytes of the one string value written after key "k" (type 0, key 2 bytes; EOF and CRC 9). */
function valueBytes(writer: RdbWriter): Uint8Array {
  writer.finish();
  const bytes = concatBytes(writer.takeChunks());
  return bytes.subarray(3, bytes.length - 9);
}

function readAll(bytes: Uint8Array): RdbEntry[] {
  const entries: RdbEntry[] = [];
  readRdb(bytes, (entry) => entries.push(entry));
  return entries;
}

/** What the reader should report for a model entry. */
function expected(entry: ModelEntry): RdbEntry {
  return { db: 0, key: entry.key, value: entry.value, expiresAtMs: entry.expiresAtMs };
}

/** Raw file pieces for hand-built files. */
function header(version = 10): Uint8Array {
  return stringToCodes(`REDIS${String(version).padStart(4, "0")}`);
}
function rawString(text: string): Uint8Array {
  if (text.length >= 64) throw new Error("test helper only builds short strings");
  return concatBytes([new Uint8Array([text.length]), stringToCodes(text)]);
}
function withTrailer(body: Uint8Array, checksum = true): Uint8Array {
  const withEof = concatBytes([body, new Uint8Array([0xff])]);
  const trailer = new Uint8Array(8);
  if (checksum) new Crc64().update(withEof).writeTo(trailer, 0);
  return concatBytes([withEof, trailer]);
}
function blob(bytes: Uint8Array): Uint8Array {
  if (bytes.length >= 16384) throw new Error("test helper only builds blobs below 16 KiB");
  const length = bytes.length < 64
    ? [bytes.length]
    : [0x40 | (bytes.length >> 8), bytes.length & 0xff];
  return concatBytes([new Uint8Array(length), bytes]);
}

function rdbError(pattern: RegExp, offset?: number): (error: unknown) => boolean {
  return (error) => {
    ok(error instanceof RdbError, `expected an RdbError, got ${error}`);
    ok(pattern.test(error.message), `message ${JSON.stringify(error.message)} !~ ${pattern}`);
    if (offset !== undefined) strictEqual(error.offset, offset, error.message);
    return true;
  };
}

const modelEntries = arbitraryEntries({ minExpiry: 0, maxExpiry: 2 ** 50 });

Deno.test("RdbWriter output reads back with every key, value, score and expiry", () => {
  fc.assert(
    fc.property(
      modelEntries,
      fc.boolean(),
      fc.boolean(),
      fc.integer({ min: 1, max: 5 }),
      (entries, compression, checksum, chunkEvery) => {
        const bytes = writeFile(entries, { compression, checksum }, chunkEvery);
        const read: RdbEntry[] = [];
        const info = readRdb(bytes, (entry) => read.push(entry));
        deepStrictEqual(read, entries.map(expected));
        strictEqual(info.checksum, checksum ? "verified" : "disabled");
        strictEqual(info.length, bytes.length);
        strictEqual(info.keys, entries.length);
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("RdbReader gives the same entries however the file is split into chunks", () => {
  fc.assert(
    fc.property(modelEntries, fc.array(fc.nat(), { maxLength: 12 }), (entries, cuts) => {
      const bytes = writeFile(entries);
      const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) =>
        a - b
      );
      const read: RdbEntry[] = [];
      const reader = new RdbReader((entry) => read.push(entry));
      let from = 0;
      for (const point of [...points, bytes.length]) {
        // A reused buffer: the reader must not keep the caller's chunk.
        const chunk = bytes.slice(from, point);
        reader.push(chunk);
        chunk.fill(0xee);
        from = point;
      }
      reader.end();
      deepStrictEqual(read, entries.map(expected));
    }),
    { numRuns: 200 },
  );
});

Deno.test("RdbReader fed one byte at a time reads a large sorted set", () => {
  const pairs: Pair[] = Array.from({ length: 3000 }, (_, i) => [`member:${i}`, i * 1.5 - 700]);
  const entries: ModelEntry[] = [{ key: "big", value: pairs }, { key: "after", value: "x" }];
  const bytes = writeFile(entries);
  const read: RdbEntry[] = [];
  const reader = new RdbReader((entry) => read.push(entry));
  for (let i = 0; i < bytes.length; i++) reader.push(bytes.subarray(i, i + 1));
  reader.end();
  deepStrictEqual(read, entries.map(expected));
});

Deno.test("RdbWriter accepts a SortedSet and writes its members with exact scores", () => {
  const zset = new SortedSet();
  for (let i = 0; i < 1000; i++) zset.add(`m${i}`, (i % 7) / 3);
  zset.add("top", Infinity);
  zset.add("bottom", -Infinity);
  zset.add("bytes", 0.1 + 0.2);
  const writer = new RdbWriter();
  writer.header();
  writer.selectDb(0, 1, 0);
  writer.writeEntry(ALL_BYTES, zset);
  writer.finish();
  const [entry] = readAll(concatBytes(writer.takeChunks()));
  deepStrictEqual(entry?.key, ALL_BYTES);
  deepStrictEqual(entry?.value, [...zset.entries()]);
});

Deno.test("RdbWriter encodes lengths and integer strings exactly as Redis does", () => {
  const encode = (value: string): number[] => {
    const writer = new RdbWriter({ aux: {}, compression: false });
    writer.writeEntry("k", value);
    return Array.from(valueBytes(writer));
  };
  deepStrictEqual(encode("ab"), [2, 97, 98]);
  deepStrictEqual(encode("0"), [0xc0, 0]);
  deepStrictEqual(encode("-1"), [0xc0, 0xff]);
  deepStrictEqual(encode("127"), [0xc0, 127]);
  deepStrictEqual(encode("128"), [0xc1, 128, 0]);
  deepStrictEqual(encode("-32768"), [0xc1, 0x00, 0x80]);
  deepStrictEqual(encode("32768"), [0xc2, 0x00, 0x80, 0, 0]);
  deepStrictEqual(encode("-2147483648"), [0xc2, 0, 0, 0, 0x80]);
  deepStrictEqual(encode("2147483648").slice(0, 1), [10]); // beyond int32: raw
  deepStrictEqual(encode("007").slice(0, 1), [3]); // not canonical: raw
  deepStrictEqual(encode("-0").slice(0, 1), [2]);
  deepStrictEqual(encode("x".repeat(63)).slice(0, 1), [63]);
  deepStrictEqual(encode("x".repeat(64)).slice(0, 2), [0x40, 64]);
  deepStrictEqual(encode("x".repeat(16383)).slice(0, 2), [0x7f, 0xff]);
  deepStrictEqual(encode("x".repeat(16384)).slice(0, 5), [0x80, 0, 0, 0x40, 0]);
});

Deno.test("RdbWriter compresses long repetitive strings with LZF only when it saves 4 bytes", () => {
  const encode = (value: string, compression: boolean): Uint8Array => {
    const writer = new RdbWriter({ aux: {}, compression });
    writer.writeEntry("k", value);
    return valueBytes(writer);
  };
  strictEqual(encode("a".repeat(21), true)[0], 0xc3);
  strictEqual(encode("a".repeat(20), true)[0], 20); // Redis compresses only above 20 bytes
  strictEqual(encode("a".repeat(21), false)[0], 21);
  strictEqual(encode(ALL_BYTES, true)[0], 0x41); // incompressible: raw, 14-bit length
});

Deno.test("RdbWriter writes the header, aux fields, SELECTDB and RESIZEDB", () => {
  const writer = new RdbWriter({ aux: { ctime: 1700000000, "used-mem": 123456 } });
  writer.header();
  writer.selectDb(0, 3, 1);
  writer.finish();
  const info = readRdb(concatBytes(writer.takeChunks()), () => {});
  strictEqual(info.version, 10);
  deepStrictEqual([...info.aux], [
    ["redis-ver", "7.0.15"],
    ["redis-bits", "64"],
    ["aof-base", "0"],
    ["ctime", "1700000000"],
    ["used-mem", "123456"],
  ]);
});

Deno.test("RdbWriter chunks each own their bytes, stay near chunkSize and add up to the file", () => {
  const writer = new RdbWriter({ chunkSize: 256, compression: false });
  writer.header();
  writer.selectDb(0, 50, 0);
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < 50; i++) {
    writer.writeEntry(`key:${i}`, "v".repeat(i * 10));
    const pending = writer.bufferedBytes;
    const taken = writer.takeChunks();
    ok(pending - taken.reduce((sum, chunk) => sum + chunk.length, 0) <= 499);
    chunks.push(...taken);
  }
  writer.finish();
  chunks.push(...writer.takeChunks());
  strictEqual(writer.bufferedBytes, 0);
  strictEqual(new Set(chunks.map((chunk) => chunk.buffer)).size, chunks.length);
  // A chunk outgrows chunkSize only to hold one large string (at most 490 bytes + 9 of length).
  for (const chunk of chunks) ok(chunk.length <= 499, `${chunk.length}`);
  strictEqual(readRdb(concatBytes(chunks), () => {}).keys, 50);
  throws(() => writer.writeEntry("late", "v"), /finish\(\) was already called/);
});

Deno.test("RdbWriter skips empty sorted sets and rejects a set whose size lies", () => {
  const writer = new RdbWriter();
  writer.header();
  writer.writeEntry("empty", new Map());
  throws(() =>
    writer.writeEntry("liar", {
      size: 2,
      entries: () => [["only", 1] as const],
    }), /reported 2 members but yielded 1/);
});

Deno.test("RdbReader reads expiries in milliseconds and in seconds (old files)", () => {
  const file = withTrailer(concatBytes([
    header(7),
    new Uint8Array([0xfe, 0]),
    new Uint8Array([0xfc, 0x10, 0x32, 0x54, 0x76, 0x98, 0x01, 0, 0]),
    new Uint8Array([0]),
    rawString("ms"),
    rawString("a"),
    new Uint8Array([0xfd, 0x00, 0xf1, 0x53, 0x65]),
    new Uint8Array([0]),
    rawString("s"),
    rawString("b"),
    new Uint8Array([0]),
    rawString("none"),
    rawString("c"),
  ]));
  deepStrictEqual(readAll(file), [
    { db: 0, key: "ms", value: "a", expiresAtMs: 0x019876543210 },
    { db: 0, key: "s", value: "b", expiresAtMs: 0x6553f100 * 1000 },
    { db: 0, key: "none", value: "c", expiresAtMs: undefined },
  ]);
});

Deno.test("RdbReader reads sorted sets with text scores (type 3)", () => {
  const file = withTrailer(concatBytes([
    header(6),
    new Uint8Array([3]),
    rawString("z"),
    new Uint8Array([4]),
    rawString("a"),
    new Uint8Array([3]),
    stringToCodes("1.5"),
    rawString("b"),
    new Uint8Array([254]),
    rawString("c"),
    new Uint8Array([255]),
    rawString("d"),
    new Uint8Array([5]),
    stringToCodes("-1e10"),
  ]));
  deepStrictEqual(readAll(file), [{
    db: 0,
    key: "z",
    value: [["a", 1.5], ["b", Infinity], ["c", -Infinity], ["d", -1e10]],
    expiresAtMs: undefined,
  }]);
});

Deno.test("RdbReader reads listpack (type 17) and ziplist (type 12) sorted sets", () => {
  const elements = ["a", "1", "b", "2.5", "123", "-inf", ALL_BYTES, "inf", "c", "-4097"];
  const pairs: Pair[] = [["a", 1], ["b", 2.5], ["123", -Infinity], [ALL_BYTES, Infinity], [
    "c",
    -4097,
  ]];
  for (const [type, bytes] of [[17, encodeListpack(elements)], [12, encodeZiplist(elements)]]) {
    const file = withTrailer(concatBytes([
      header(type === 17 ? 10 : 9),
      new Uint8Array([type as number]),
      rawString("z"),
      blob(bytes as Uint8Array),
    ]));
    deepStrictEqual(readAll(file), [{ db: 0, key: "z", value: pairs, expiresAtMs: undefined }]);
  }
});

Deno.test("RdbReader skips IDLE and FREQ metadata and keeps the key", () => {
  const file = withTrailer(concatBytes([
    header(),
    new Uint8Array([0xf8, 0x40, 0x90, 0xf9, 7, 0]),
    rawString("k"),
    rawString("v"),
  ]));
  deepStrictEqual(readAll(file), [{ db: 0, key: "k", value: "v", expiresAtMs: undefined }]);
});

Deno.test("RdbReader skips empty sorted sets as Redis does", () => {
  const file = withTrailer(concatBytes([
    header(),
    new Uint8Array([5]),
    rawString("empty"),
    new Uint8Array([0]),
    new Uint8Array([17]),
    rawString("emptylp"),
    blob(encodeListpack([])),
  ]));
  const info = readRdb(file, () => {
    throw new Error("no entry expected");
  });
  strictEqual(info.emptyKeysSkipped, 2);
  strictEqual(info.keys, 0);
});

Deno.test("RdbReader names the type, key and offset of values Kache cannot hold", () => {
  const file = withTrailer(concatBytes([
    header(),
    new Uint8Array([0]),
    rawString("ok"),
    rawString("v"),
    // Redis 7.2's STREAM_LISTPACKS_3, which Kache does not read.
    new Uint8Array([21]),
    rawString("mystream"),
    new Uint8Array([1]),
    rawString("x"),
  ]));
  throws(
    () => readAll(file),
    rdbError(/^Unsupported value type 21 for key "mystream" \(a stream;.* at offset 15$/, 15),
  );
  const unknown = withTrailer(concatBytes([header(), new Uint8Array([42]), rawString("k")]));
  throws(() => readAll(unknown), rdbError(/value type 42 for key "k" \(unknown/, 9));
});

Deno.test("RdbReader rejects functions and module data with the opcode's offset", () => {
  const functions = withTrailer(concatBytes([header(), new Uint8Array([0xf5]), rawString("code")]));
  throws(() => readAll(functions), rdbError(/opcode 245 \(a function library/, 9));
  const module = withTrailer(concatBytes([header(), new Uint8Array([0xf7, 1])]));
  throws(() => readAll(module), rdbError(/opcode 247 \(module/, 9));
});

Deno.test("RdbReader gives each key the database of the SELECTDB before it", () => {
  const file = withTrailer(concatBytes([
    header(),
    new Uint8Array([0]),
    rawString("a"),
    rawString("0"),
    new Uint8Array([0xfe, 3, 0xfb, 1, 0, 0]),
    rawString("b"),
    rawString("3"),
    new Uint8Array([0xfe, 15, 0]),
    rawString("c"),
    rawString("15"),
  ]));
  deepStrictEqual(readAll(file), [
    { db: 0, key: "a", value: "0", expiresAtMs: undefined },
    { db: 3, key: "b", value: "3", expiresAtMs: undefined },
    { db: 15, key: "c", value: "15", expiresAtMs: undefined },
  ]);
});

Deno.test("RdbReader refuses a database past the server's count with Redis's text", () => {
  const file = withTrailer(concatBytes([
    header(),
    new Uint8Array([0xfe, 16, 0]),
    rawString("k"),
    rawString("v"),
  ]));
  const reader = new RdbReader(() => {}, { databases: 16 });
  throws(
    () => reader.push(file),
    rdbError(
      /FATAL: Data file was created with a Redis server configured to handle more than 16 databases/,
      9,
    ),
  );
});

Deno.test("RdbReader verifies the CRC-64 and accepts a zero checksum as disabled", () => {
  const body = concatBytes([header(), new Uint8Array([0]), rawString("k"), rawString("v")]);
  strictEqual(readRdb(withTrailer(body), () => {}).checksum, "verified");
  strictEqual(readRdb(withTrailer(body, false), () => {}).checksum, "disabled");
  const flipped = withTrailer(body);
  flipped[flipped.length - 12] = flipped[flipped.length - 12]! ^ 1; // the value byte "v"
  throws(() => readAll(flipped), rdbError(/checksum mismatch/, flipped.length - 8));
  const old = concatBytes([
    header(4),
    new Uint8Array([0]),
    rawString("k"),
    rawString("v"),
    new Uint8Array([0xff]),
  ]);
  strictEqual(readRdb(old, () => {}).checksum, "absent");
});

Deno.test("RdbReader reports a file cut anywhere with the offset where it ends", () => {
  const entries: ModelEntry[] = [
    { key: "s", value: "x".repeat(100), expiresAtMs: 1_900_000_000_000 },
    { key: "z", value: [["a", 1], ["b", 2]] },
    { key: "n", value: "12345" },
  ];
  const bytes = writeFile(entries);
  for (let length = 0; length < bytes.length; length++) {
    throws(
      () => readAll(bytes.subarray(0, length)),
      rdbError(/truncated|ends before its EOF/, length),
      `cut at ${length}`,
    );
  }
});

Deno.test("RdbReader names the key a truncated value belongs to", () => {
  const bytes = writeFile(
    [{ key: "first", value: "1" }, { key: "second", value: "y".repeat(50) }],
    {
      compression: false,
    },
  );
  throws(
    () => readAll(bytes.subarray(0, bytes.length - 20)),
    rdbError(/truncated inside key "second" \(which starts at offset \d+\)/),
  );
});

Deno.test("RdbReader throws only RdbErrors on corrupt files", () => {
  fc.assert(
    fc.property(
      modelEntries,
      fc.boolean(),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), {
        minLength: 1,
        maxLength: 4,
      }),
      (entries, checksum, flips) => {
        const bytes = writeFile(entries, { checksum }).slice();
        for (const [at, value] of flips) bytes[at % bytes.length] = value;
        try {
          readAll(bytes);
        } catch (error) {
          ok(error instanceof RdbError, String(error));
          ok(error.offset >= 0 && error.offset <= bytes.length, error.message);
        }
      },
    ),
    { numRuns: 1000 },
  );
});

Deno.test("RdbReader rejects what is not an RDB file, or a version it does not know", () => {
  throws(() => readAll(stringToCodes("RESP0010")), rdbError(/truncated inside the header/, 8));
  throws(() => readAll(stringToCodes("NOTREDIS0")), rdbError(/Not an RDB file/, 0));
  throws(() => readAll(stringToCodes("REDIS00x1")), rdbError(/is not a number/, 5));
  throws(() => readAll(withTrailer(header(12))), rdbError(/RDB version 12 is not supported/, 5));
  throws(() => readAll(withTrailer(header(0))), rdbError(/RDB version 0 is not supported/, 5));
  strictEqual(readRdb(withTrailer(header(11)), () => {}).version, 11);
});

Deno.test("RdbReader rejects bytes after the trailer unless told to allow them", () => {
  const bytes = writeFile([{ key: "k", value: "v" }]);
  const extended = concatBytes([bytes, stringToCodes("*1\r\n$4\r\nPING\r\n")]);
  throws(() => readAll(extended), rdbError(/14 unexpected bytes/, bytes.length));
  const info = readRdb(extended, () => {}, { allowTrailingData: true });
  strictEqual(info.length, bytes.length);
  const reader = new RdbReader(() => {});
  reader.push(bytes);
  throws(() => reader.push(new Uint8Array([1])), rdbError(/1 unexpected bytes/, bytes.length));
});

Deno.test("RdbReader rejects NaN scores, duplicate members and corrupt packed sets", () => {
  const nan = withTrailer(concatBytes([
    header(),
    new Uint8Array([3]),
    rawString("z"),
    new Uint8Array([1]),
    rawString("m"),
    new Uint8Array([253]),
  ]));
  throws(() => readAll(nan), rdbError(/NaN score for member "m" of key "z"/));
  const duplicate = withTrailer(concatBytes([
    header(),
    new Uint8Array([17]),
    rawString("z"),
    blob(encodeListpack(["m", "1", "m", "2"])),
  ]));
  throws(() => readAll(duplicate), rdbError(/Duplicate member "m" in sorted set "z"/));
  const odd = withTrailer(concatBytes([
    header(),
    new Uint8Array([17]),
    rawString("z"),
    blob(encodeListpack(["m", "1", "n"])),
  ]));
  throws(() => readAll(odd), rdbError(/odd number \(3\)/));
  const badScore = withTrailer(concatBytes([
    header(),
    new Uint8Array([17]),
    rawString("z"),
    blob(encodeListpack(["m", "x1"])),
  ]));
  throws(() => readAll(badScore), rdbError(/Invalid score "x1" for key "z"/));
  const corrupt = encodeListpack(["m", "1"]);
  corrupt[0] = 99;
  throws(
    () =>
      readAll(
        withTrailer(concatBytes([header(), new Uint8Array([17]), rawString("z"), blob(corrupt)])),
      ),
    rdbError(/Corrupt listpack of key "z": listpack header says 99 bytes/, 12),
  );
});

Deno.test("RdbReader quotes binary keys in messages and elides long ones", () => {
  const key = '\x00"\xff' + "k".repeat(100);
  // Type 7 (a module value) is one Kache refuses, so the reader names the key.
  const file = withTrailer(concatBytes([
    header(),
    new Uint8Array([7, 0x40, key.length]),
    stringToCodes(key),
  ]));
  throws(() => readAll(file), rdbError(/key "\\x00\\"\\xffk{61}"… \(103 bytes\)/));
});

Deno.test("RdbReader rejects a corrupt LZF string with its offset", () => {
  const file = withTrailer(concatBytes([
    header(),
    new Uint8Array([0]),
    rawString("k"),
    new Uint8Array([0xc3, 3, 30, 0, 97, 0x20]),
  ]));
  throws(() => readAll(file), rdbError(/Corrupt LZF string/, 12));
  const impossible = withTrailer(concatBytes([
    header(),
    new Uint8Array([0]),
    rawString("k"),
    new Uint8Array([0xc3, 1, 0x80, 0x10, 0, 0, 0, 0]),
  ]));
  throws(() => readAll(impossible), rdbError(/1 compressed bytes cannot expand to 268435456/, 12));
});
