/**
 * Helpers for replication tests with real processes: a seeded write load of
 * every type (strings with TTLs, hashes, lists, sets, sorted sets), a
 * per-key digest (TYPE, value, absolute deadline) to compare a master with
 * its replica, and bounded waiting.
 */
import type { Redis } from "ioredis";
import { seededRandom } from "../../lib/random.ts";

/** Waits until `condition` holds, polling every 50 ms; throws after `timeoutMs` with `what`. */
export async function waitFor(
  what: string,
  condition: () => Promise<boolean> | boolean,
  timeoutMs = 20_000,
): Promise<void> {
  const started = Date.now();
  while (!(await condition())) {
    if (Date.now() - started > timeoutMs) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** INFO `section` as a name → value map. */
export async function infoFields(client: Redis, section: string): Promise<Map<string, string>> {
  const text = await client.info(section);
  const fields = new Map<string, string>();
  for (const line of text.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon > 0 && !line.startsWith("#")) fields.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return fields;
}

/**
 * Runs `count` random writes on `client`, over `keys` keys of every type,
 * with long TTLs on some (none expires while a test runs).
 */
export async function writeLoad(client: Redis, count: number, seed: number, keys = 200) {
  const random = seededRandom(seed);
  const pick = (n: number) => Math.floor(random() * n);
  const pipeline = client.pipeline();
  for (let i = 0; i < count; i++) {
    const n = pick(keys);
    switch (pick(8)) {
      case 0:
        pipeline.set(`s:${n}`, `v${i}`, "EX", 600 + pick(600));
        break;
      case 1:
        pipeline.set(`s:${n}`, `v${i}`);
        pipeline.incrby(`c:${n}`, pick(100));
        break;
      case 2:
        pipeline.hset(`h:${n}`, `f${pick(20)}`, `v${i}`);
        if (pick(4) === 0) pipeline.hdel(`h:${n}`, `f${pick(20)}`);
        break;
      case 3:
        pipeline.rpush(`l:${n}`, `v${i}`, `w${i}`);
        if (pick(3) === 0) pipeline.lpop(`l:${n}`);
        break;
      case 4:
        pipeline.sadd(`t:${n}`, `m${pick(30)}`, `m${pick(30)}`);
        if (pick(3) === 0) pipeline.srem(`t:${n}`, `m${pick(30)}`);
        break;
      case 5:
        pipeline.zadd(`z:${n}`, random() * 1000, `m${pick(30)}`);
        if (pick(3) === 0) pipeline.zincrby(`z:${n}`, 1.5, `m${pick(30)}`);
        break;
      case 6:
        pipeline.pexpire(`h:${n}`, 300_000 + pick(300_000));
        break;
      default:
        pipeline.del(`t:${pick(keys)}`);
    }
    if (i % 500 === 499) await pipeline.exec();
  }
  await pipeline.exec();
}

/** One key as a digest holds it. */
export interface KeyDigest {
  readonly type: string;
  readonly value: unknown;
  /** PEXPIRETIME: the absolute deadline in Unix ms (-1 without one), the same whenever read. */
  readonly deadline: number;
}

/** Every key of database 0 with its type, value (collections in a canonical order) and deadline. */
export async function digest(client: Redis): Promise<Map<string, KeyDigest>> {
  const keys = (await client.keys("*")).sort();
  const result = new Map<string, KeyDigest>();
  for (const key of keys) {
    const type = await client.type(key);
    let value: unknown;
    if (type === "string") value = await client.get(key);
    else if (type === "hash") value = Object.entries(await client.hgetall(key)).sort();
    else if (type === "list") value = await client.lrange(key, 0, -1);
    else if (type === "set") value = (await client.smembers(key)).sort();
    else if (type === "zset") {
      // Scores as numbers: Redis 7.0 prints %.17g, Kache the shortest round-trip form (as 7.2).
      const flat = await client.zrange(key, 0, -1, "WITHSCORES");
      value = flat.map((item, index) => index % 2 === 1 ? Number(item) : item);
    } else if (type === "none") continue;
    else value = `unsupported type ${type}`;
    result.set(key, { type, value, deadline: await client.call("PEXPIRETIME", key) as number });
  }
  return result;
}

/**
 * The differences between two digests (empty when equal): keys missing on
 * either side, other types, values or deadlines.
 */
export function digestDifferences(
  master: Map<string, KeyDigest>,
  replica: Map<string, KeyDigest>,
): string[] {
  const differences: string[] = [];
  for (const [key, expected] of master) {
    const actual = replica.get(key);
    if (actual === undefined) {
      differences.push(`${key}: missing on the replica`);
      continue;
    }
    if (actual.type !== expected.type) {
      differences.push(`${key}: type ${actual.type}, expected ${expected.type}`);
    } else if (JSON.stringify(actual.value) !== JSON.stringify(expected.value)) {
      differences.push(
        `${key}: ${JSON.stringify(actual.value)}, expected ${JSON.stringify(expected.value)}`,
      );
    }
    if (actual.deadline !== expected.deadline) {
      differences.push(`${key}: deadline ${actual.deadline}, expected ${expected.deadline}`);
    }
  }
  for (const key of replica.keys()) {
    if (!master.has(key)) differences.push(`${key}: only on the replica`);
  }
  return differences;
}
