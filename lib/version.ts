/**
 * Version strings, in one place so the CLI, INFO and HELLO agree.
 *
 * @module
 */

export const KACHE_VERSION = "0.1.0";
/**
 * The Redis version Kache reports (INFO, HELLO, Lua's redis.REDIS_VERSION, the RDB header) to
 * tools that gate features on it: the release its differential tests run against.
 */
export const REDIS_COMPATIBLE_VERSION = "7.0.15";
