/**
 * MIGRATE's network side, in a Web Worker so the main thread can wait for it
 * synchronously (Atomics.wait), as Redis's MIGRATE blocks its one thread:
 * nothing changes the keys between their DUMP and their DEL.
 *
 * It keeps Redis's cache of connections to targets (`migrateGetSocket`):
 * one per `host:port` as written, at most 64 (a random one is closed to make
 * room), each remembering the database its last SELECT chose, closed after
 * 10 seconds unused (`migrateCloseTimedoutSockets`). Every connect, write and
 * reply line gets the command's timeout. The number of cached connections
 * is kept in a shared counter for INFO's `migrate_cached_sockets`.
 *
 * @module
 */
import { encodeRespRequest } from "../lib/protocol/resp_reply.ts";
import type { MigrateExchangeMessage, MigrateWorkerMessage } from "./migrate.ts";

/** Redis's MIGRATE_SOCKET_CACHE_ITEMS. */
const CACHE_ITEMS = 64;
/** Redis's MIGRATE_SOCKET_CACHE_TTL, in ms: closed once unused for longer. */
const CACHE_TTL_MS = 10_000;
/** Redis writes the request in 64 KB pieces, each with the timeout. */
const WRITE_PIECE = 64 * 1024;
/** Redis reads each reply line into a 1024-byte buffer. */
const MAX_LINE = 1023;

interface CachedConnection {
  readonly conn: Deno.Conn;
  /** The database the last successful exchange selected; -1 forces a SELECT. */
  lastDb: number;
  lastUse: number;
  /** Bytes read and not yet consumed as lines. */
  pending: Uint8Array;
}

class Timeout extends Error {}

const cache = new Map<string, CachedConnection>();
let cachedCount: Int32Array | undefined;

function publishCount(): void {
  if (cachedCount !== undefined) Atomics.store(cachedCount, 0, cache.size);
}

function closeCached(name: string): void {
  const cached = cache.get(name);
  if (cached === undefined) return;
  cache.delete(name);
  try {
    cached.conn.close();
  } catch {
    // Already closed.
  }
  publishCount();
}

/** Settles with `work`, or rejects with {@link Timeout} after `ms` and runs `onTimeout`. */
async function within<T>(work: Promise<T>, ms: number, onTimeout: () => void): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout();
      reject(new Timeout());
    }, ms);
  });
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The cached connection to `host:port`, or a new one; "refused" when the
 * target refused it, undefined when none could be made otherwise (no answer
 * in time, an unknown host).
 */
async function connection(
  host: string,
  port: string,
  timeoutMs: number,
): Promise<CachedConnection | "refused" | undefined> {
  const name = `${host}:${port}`;
  const cached = cache.get(name);
  if (cached !== undefined) {
    cached.lastUse = Date.now();
    return cached;
  }
  if (cache.size === CACHE_ITEMS) {
    const names = [...cache.keys()];
    closeCached(names[Math.floor(Math.random() * names.length)]!);
  }
  const portNumber = Number(port);
  if (!/^[0-9]+$/.test(port) || portNumber > 65535) return undefined;
  const connecting = Deno.connect({ hostname: host, port: portNumber });
  let conn: Deno.TcpConn;
  try {
    conn = await within(connecting, timeoutMs, () => {
      connecting.then((late) => late.close(), () => {});
    });
  } catch (cause) {
    return cause instanceof Deno.errors.ConnectionRefused ? "refused" : undefined;
  }
  conn.setNoDelay(true);
  const fresh: CachedConnection = {
    conn,
    lastDb: -1,
    lastUse: Date.now(),
    pending: new Uint8Array(0),
  };
  cache.set(name, fresh);
  publishCount();
  return fresh;
}

async function writeAll(cached: CachedConnection, bytes: Uint8Array, timeoutMs: number) {
  for (let offset = 0; offset < bytes.length;) {
    const piece = bytes.subarray(offset, Math.min(offset + WRITE_PIECE, bytes.length));
    let written = 0;
    while (written < piece.length) {
      written += await within(
        cached.conn.write(piece.subarray(written)),
        timeoutMs,
        () => cached.conn.close(),
      );
    }
    offset += piece.length;
  }
}

/** One reply line without its CRLF, cut at Redis's 1023 bytes; throws when the connection fails. */
async function readLine(cached: CachedConnection, timeoutMs: number): Promise<string> {
  const buffer = new Uint8Array(16 * 1024);
  for (;;) {
    const end = cached.pending.indexOf(0x0a);
    if (end !== -1) {
      const line = cached.pending.subarray(0, end);
      cached.pending = cached.pending.slice(end + 1);
      const text = line.length > 0 && line[line.length - 1] === 0x0d
        ? line.subarray(0, line.length - 1)
        : line;
      let out = "";
      for (let i = 0; i < Math.min(text.length, MAX_LINE); i++) {
        out += String.fromCharCode(text[i]!);
      }
      return out;
    }
    const count = await within(cached.conn.read(buffer), timeoutMs, () => cached.conn.close());
    if (count === null) throw new Error("connection closed by the target");
    const joined = new Uint8Array(cached.pending.length + count);
    joined.set(cached.pending);
    joined.set(buffer.subarray(0, count), cached.pending.length);
    cached.pending = joined;
  }
}

/**
 * One MIGRATE exchange, Redis's `try_again` loop: a failure before any
 * RESTORE reply was read closes the connection and tries once more on a new
 * one, unless it was a timeout.
 */
async function exchange(message: MigrateExchangeMessage): Promise<unknown> {
  const { host, port, db, timeoutMs, auth, restores, count } = message;
  const name = `${host}:${port}`;
  for (let attempt = 0;; attempt++) {
    const cached = await connection(host, port, timeoutMs);
    if (cached === undefined) return { kind: "connect-failed" };
    // Redis's non-blocking connect "succeeds" against a refusing port; its first write fails.
    if (cached === "refused") {
      if (attempt === 0) continue;
      return { kind: "io-error", writing: true };
    }
    const select = cached.lastDb !== db;
    let writing = true;
    try {
      if (auth !== undefined) await writeAll(cached, auth, timeoutMs);
      if (select) await writeAll(cached, encodeRespRequest(["SELECT", String(db)]), timeoutMs);
      await writeAll(cached, restores, timeoutMs);
      writing = false;
      const authLine = auth === undefined ? undefined : await readLine(cached, timeoutMs);
      const selectLine = select ? await readLine(cached, timeoutMs) : undefined;
      const lines: string[] = [];
      try {
        for (let i = 0; i < count; i++) lines.push(await readLine(cached, timeoutMs));
      } catch (cause) {
        // Part way through the replies: what was read stands, the connection goes.
        if (lines.length === 0) throw cause;
        closeCached(name);
        return { kind: "replies", auth: authLine, select: selectLine, restores: lines };
      }
      const failed = [authLine, selectLine, ...lines].some((line) => line?.startsWith("-"));
      cached.lastDb = failed ? -1 : db;
      return { kind: "replies", auth: authLine, select: selectLine, restores: lines };
    } catch (cause) {
      closeCached(name);
      if (attempt === 0 && !(cause instanceof Timeout)) continue;
      return { kind: "io-error", writing };
    }
  }
}

self.onmessage = async (event: MessageEvent<MigrateWorkerMessage>) => {
  const message = event.data;
  if (message.type === "init") {
    cachedCount = new Int32Array(message.count);
    return;
  }
  if (message.type === "forget") {
    closeCached(`${message.host}:${message.port}`);
    return;
  }
  let result: unknown;
  try {
    result = await exchange(message);
  } catch (cause) {
    result = { kind: "io-error", writing: false, detail: String(cause) };
  }
  const text = new TextEncoder().encode(JSON.stringify(result));
  const shared = message.result;
  const state = new Int32Array(shared, 0, 2);
  if (8 + text.length > shared.byteLength) shared.grow(8 + text.length);
  new Uint8Array(shared, 8, text.length).set(text);
  Atomics.store(state, 1, text.length);
  Atomics.store(state, 0, 1);
  Atomics.notify(state, 0);
};

setInterval(() => {
  const now = Date.now();
  for (const [name, cached] of cache) {
    if (now - cached.lastUse > CACHE_TTL_MS) closeCached(name);
  }
}, 1000);
