/**
 * The pure parts of `kache client`'s redis-cli modes: redis-cli's hash table
 * order for the `--bigkeys` summary, its `%05.2f` percentages, and the
 * `--stat` line read from INFO. Expected values were recorded from redis-cli
 * 7.0.15 (`--bigkeys` on databases of 0, 1 and 7 keys; `--stat` against
 * redis-server 7.0.15).
 */
import assert from "node:assert/strict";
import { RedisCliDict, sipHash12 } from "../../cli/redis_cli_dict.ts";
import { formatPercent } from "../../cli/keyspace_modes.ts";
import { bytesToHuman, formatStatLine, infoNumber } from "../../cli/stat_mode.ts";

/** redis-cli's type table after `lookups` TYPE replies were looked up in it. */
function summaryOrder(lookups: number): string[] {
  const types = new RedisCliDict<string>();
  for (const name of ["string", "list", "set", "hash", "zset", "stream"]) types.add(name, name);
  for (let i = 0; i < lookups; i++) types.find("string");
  return [...types.values()];
}

Deno.test("RedisCliDict lists types in redis-cli's --bigkeys summary order, which moves with rehashing", () => {
  assert.deepEqual(summaryOrder(0), ["hash", "list", "string", "stream", "set", "zset"]);
  assert.deepEqual(summaryOrder(1), ["string", "list", "hash", "stream", "set", "zset"]);
  assert.deepEqual(summaryOrder(7), ["list", "hash", "string", "stream", "set", "zset"]);
  // Rehashing is over after a few lookups: the order stays put from then on.
  assert.deepEqual(summaryOrder(1000), summaryOrder(7));
});

Deno.test("RedisCliDict finds what it holds, before, during and after a rehash", () => {
  const dict = new RedisCliDict<number>();
  for (let i = 0; i < 40; i++) {
    dict.add(`type${i}`, i);
    for (let j = 0; j <= i; j++) assert.equal(dict.find(`type${j}`), j);
    assert.equal(dict.find("absent"), undefined);
  }
  assert.deepEqual(
    [...dict.values()].sort((a, b) => a - b),
    Array.from({ length: 40 }, (_, i) => i),
  );
});

Deno.test("sipHash12 gives Redis's siphash() with the all-zero seed", () => {
  // Computed by Redis 7.0.15's src/siphash.c, compiled with a zero key.
  assert.equal(sipHash12(""), 0x3204eeb59b3cccddn);
  assert.equal(sipHash12("string"), 0xc391c348a44be472n);
  assert.equal(sipHash12("stream"), 0x6e9114de832ddc5an);
  assert.equal(sipHash12("0123456789abcdef!"), 0xa759058d3244ed81n); // two blocks and a tail
});

Deno.test("formatPercent prints %05.2f as glibc does", () => {
  assert.equal(formatPercent(0), "00.00");
  assert.equal(formatPercent(14.285714285714286), "14.29");
  assert.equal(formatPercent(5.5), "05.50");
  assert.equal(formatPercent(100), "100.00");
  assert.equal(formatPercent(NaN), "  nan");
  assert.equal(formatPercent(Infinity), "  inf");
});

/** The INFO fields --stat reads, as redis-server 7.0 prints them. */
const INFO = [
  "# Clients",
  "connected_clients:3",
  "blocked_clients:1",
  "# Memory",
  "used_memory:1530000",
  "used_memory_human:1.46M",
  "# Persistence",
  "loading:0",
  "rdb_bgsave_in_progress:1",
  "aof_rewrite_in_progress:0",
  "# Stats",
  "total_connections_received:17",
  "total_commands_processed:80",
  "# Keyspace",
  "db0:keys=9,expires=0,avg_ttl=0",
  "db3:keys=2,expires=1,avg_ttl=100",
  "",
].join("\r\n");

Deno.test("formatStatLine lays out redis-cli's --stat columns from INFO", () => {
  assert.equal(
    formatStatLine(INFO, 0),
    "11         1.46M    3       1       80 (+0)             17          SAVE\n",
  );
  assert.equal(
    formatStatLine(INFO, 75),
    "11         1.46M    3       1       80 (+5)             17          SAVE\n",
  );
});

Deno.test("infoNumber reads the first occurrence of a field, up to ',' or CR", () => {
  assert.equal(infoNumber(INFO, "db3:keys"), 2);
  // As redis-cli's strstr: `used_memory` is found before `used_memory_human`.
  assert.equal(infoNumber(INFO, "used_memory"), 1530000);
  assert.equal(infoNumber(INFO, "bgsave_in_progress"), 1);
  assert.equal(infoNumber(INFO, "db1:keys"), undefined);
});

Deno.test("bytesToHuman prints redis-cli's B/K/M/G", () => {
  assert.equal(bytesToHuman(0), "0B");
  assert.equal(bytesToHuman(1023), "1023B");
  assert.equal(bytesToHuman(1024), "1.00K");
  assert.equal(bytesToHuman(5 * 1024 ** 3), "5.00G");
  assert.equal(bytesToHuman(-2048), "-2.00K");
});
