/**
 * What ZSCAN, HSCAN and SSCAN share: `key cursor [MATCH pattern]
 * [COUNT count]` read in Redis's order, a small collection answered whole in
 * one page (cursor 0), and a larger one walked through its `ScanIndex`
 * (lib/collection.ts's `ScannedCollection`). Each command only says what a
 * key contributes to the reply (a member; a field and its value; a member
 * and its score).
 *
 * @module
 */
import type { CollectionClass, ScannedCollection } from "../collection.ts";
import type { CollectionValue, Keyspace } from "../keyspace.ts";
import { array, bulk, EMPTY_ARRAY, type Reply } from "../reply.ts";
import { parseScanCursor, parseScanOptions } from "../scan.ts";

/**
 * Collections this small reply in one page, as Redis does for its compact
 * encodings (`hash-max-listpack-entries` and `zset-max-listpack-entries` are
 * 128 by default; an intset holds up to 512 members, and 128 keeps pages
 * modest).
 */
const ONE_PAGE_SCAN = 128;

/** How one scan command turns keys of its collection into reply items. */
export interface ScanReplies<T> {
  /**
   * The items for every key of a small collection that `matches`, in the
   * order the command lists the whole collection (a sorted set's is by score).
   */
  wholePage(collection: T, matches: (key: string) => boolean): Reply[];
  /** Appends the items for `key`, one key of a scan step, to `items`. */
  pushKey(collection: T, key: string, items: Reply[]): void;
}

/** Answers `argv` (ZSCAN, HSCAN or SSCAN) over the `type` collection at `argv[1]`: [next cursor, items]. */
export function scanCollection<T extends CollectionValue & ScannedCollection>(
  keyspace: Keyspace,
  argv: readonly string[],
  options: { type: CollectionClass<T>; replies: ScanReplies<T> },
): Reply {
  // Redis reads the cursor, then the key, and only then the options.
  const cursor = parseScanCursor(argv[2]!);
  const collection = keyspace.getCollection(argv[1]!, options.type);
  if (collection === undefined) return array([bulk("0"), EMPTY_ARRAY]);
  const { match, count } = parseScanOptions(argv, { from: 3, allowType: false });
  const matches = (key: string) => match === undefined || match.test(key);
  if (collection.size <= ONE_PAGE_SCAN) {
    return array([bulk("0"), array(options.replies.wholePage(collection, matches))]);
  }
  const step = collection.scan(cursor, count);
  const items: Reply[] = [];
  for (const key of step.keys) {
    if (matches(key)) options.replies.pushKey(collection, key, items);
  }
  return array([bulk(String(step.cursor)), array(items)]);
}
