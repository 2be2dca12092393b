/**
 * The server an application test runs against: Kache, or redis-server when
 * `KACHE_E2E_TARGET=redis` is set, to check that the test itself expects what
 * Redis does (run once by hand after changing such a test).
 *
 * @module
 */
import { startRedis } from "./redis_process.ts";
import { startServer } from "./server_process.ts";

/** What the tests in this run talk to, for their names. */
export const TARGET_NAME: "Kache" | "redis-server" = Deno.env.get("KACHE_E2E_TARGET") === "redis"
  ? "redis-server"
  : "Kache";

export interface RunningTarget {
  readonly port: number;
  stop(): Promise<unknown>;
}

/** Starts the target server on a free loopback port; `stop` always stops it. */
export async function startTarget(): Promise<RunningTarget> {
  if (TARGET_NAME === "redis-server") {
    const redis = await startRedis();
    return { port: redis.port, stop: () => redis.stop() };
  }
  const server = await startServer();
  return { port: server.respPort, stop: () => server.stop() };
}
