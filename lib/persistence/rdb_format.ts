/**
 * The numbers of the RDB file format (Redis's `rdb.h`) that both the writer
 * and the reader use: version, opcodes, value types, string encodings.
 *
 * @module
 */

/** The version Kache writes: Redis 7.0's. */
export const RDB_VERSION = 10;
/** The newest version Kache reads: Redis 7.2's (its additions are all types Kache rejects). */
export const RDB_VERSION_MAX_READ = 11;
/** The first version with a CRC-64 trailer after the EOF opcode. */
export const RDB_VERSION_CHECKSUM = 5;
/** "REDIS" followed by the version as four ASCII digits. */
export const RDB_MAGIC = "REDIS";

/** Opcodes: bytes that stand where a value type would, announcing something else. */
export const RDB_OPCODE = {
  /** Function library (Redis 7.0 GA); followed by the library code. */
  FUNCTION2: 245,
  /** Function library as Redis 7.0 release candidates wrote it. */
  FUNCTION_PRE_GA: 246,
  /** Data a module saves outside keys. */
  MODULE_AUX: 247,
  /** LRU idle time of the next key: one length. */
  IDLE: 248,
  /** LFU counter of the next key: one byte. */
  FREQ: 249,
  /** Auxiliary field: two strings (name, value). */
  AUX: 250,
  /** Size hints for the current database: two lengths (keys, keys with expiry). */
  RESIZEDB: 251,
  /** Expiry of the next key: absolute Unix milliseconds, int64 LE. */
  EXPIRETIME_MS: 252,
  /** Expiry of the next key: absolute Unix seconds, int32 LE (old files). */
  EXPIRETIME: 253,
  /** Switch database: one length. */
  SELECTDB: 254,
  /** End of the data; the CRC-64 follows from version 5 on. */
  EOF: 255,
} as const;

/** Value types Kache reads (the others only get a name in errors). */
export const RDB_TYPE = {
  STRING: 0,
  /** List as a plain sequence of strings (Redis < 3.2). */
  LIST: 1,
  /** Set: a length, then that many member strings. */
  SET: 2,
  /** Sorted set with scores as text (Redis < 3.2 files). */
  ZSET: 3,
  /** Sorted set with binary float64 scores. */
  ZSET_2: 5,
  /** Hash: a length, then that many field and value strings. */
  HASH: 4,
  /** Hash as one zipmap blob (Redis < 2.6). */
  HASH_ZIPMAP: 9,
  /** Set of integers as one intset blob. */
  SET_INTSET: 11,
  /** Sorted set as one ziplist blob (Redis < 7.0). */
  ZSET_ZIPLIST: 12,
  /** Hash as one ziplist blob (Redis < 7.0). */
  HASH_ZIPLIST: 13,
  /** Hash as one listpack blob (Redis ≥ 7.0). */
  HASH_LISTPACK: 16,
  /** Sorted set as one listpack blob (Redis ≥ 7.0). */
  ZSET_LISTPACK: 17,
  /** List as one ziplist blob (Redis < 3.2). */
  LIST_ZIPLIST: 10,
  /** List as ziplist nodes (Redis 3.2 to 6.2). */
  LIST_QUICKLIST: 14,
  /** List as nodes with a container type, listpacks (Redis ≥ 7.0). */
  LIST_QUICKLIST_2: 18,
  /** Set as one listpack blob (Redis ≥ 7.2). */
  SET_LISTPACK: 20,
  /** Stream as listpack nodes, groups without entries-read (Redis 5.0 to 6.2). */
  STREAM_LISTPACKS: 15,
  /** Stream as listpack nodes with first/max-deleted IDs, entries-added and entries-read (Redis 7.0). */
  STREAM_LISTPACKS_2: 19,
} as const;

/** What each value type number holds, for error messages. */
export const RDB_TYPE_NAMES: Readonly<Record<number, string>> = {
  0: "string",
  1: "list",
  2: "set",
  3: "sorted set",
  4: "hash",
  5: "sorted set",
  6: "module value",
  7: "module value",
  9: "hash (zipmap)",
  10: "list (ziplist)",
  11: "set (intset)",
  12: "sorted set (ziplist)",
  13: "hash (ziplist)",
  14: "list (quicklist)",
  15: "stream",
  16: "hash (listpack)",
  17: "sorted set (listpack)",
  18: "list (quicklist)",
  19: "stream",
  20: "set (listpack)",
  21: "stream",
};

/** The top two bits of a length's first byte. */
export const RDB_LENGTH_6BIT = 0;
export const RDB_LENGTH_14BIT = 1;
/** 0x80 + u32 BE, or 0x81 + u64 BE. */
export const RDB_LENGTH_32BIT = 0x80;
export const RDB_LENGTH_64BIT = 0x81;
/** 0b11xxxxxx: not a length but a special string encoding in the low six bits. */
export const RDB_ENCODED = 3;
export const RDB_ENCODING_INT8 = 0;
export const RDB_ENCODING_INT16 = 1;
export const RDB_ENCODING_INT32 = 2;
export const RDB_ENCODING_LZF = 3;
