/**
 * TCP through Linux's epoll and libc, called over Deno's FFI: the opt-in
 * transport `tcp-backend epoll` for the RESP and binary ports.
 *
 * Why it exists: a request that comes alone (no pipelining) costs a round
 * trip through Deno's async socket ops — a read op, a write op, the event
 * loop's turn — whose CPU per round trip is 1.1–1.3× a C++ server's whole
 * work (docs/transport.md). Here a connection's `read` and `write` are plain
 * system calls made from JavaScript, and one poller waits for all sockets,
 * as Redis's event loop does: it first polls with a zero timeout on the main
 * thread (under load the next request is usually there) and only then parks
 * in `epoll_wait` on Deno's blocking thread pool, which leaves the event loop
 * free for timers, the other listeners and workers while the sockets are
 * quiet.
 *
 * Connections and listeners have the shape of the `Deno.Conn` and
 * `Deno.Listener` members the server uses ({@link StreamConn},
 * {@link StreamListener}), with the same errors (`Deno.errors.*`), so the
 * connection loop, its backpressure and its error handling are unchanged.
 * Sockets are registered edge-triggered: a read that comes back short (or
 * with EAGAIN) marks the socket drained, and the next event marks it
 * readable again; writability is only watched while a write waits for room.
 *
 * @module
 */

import { monotonicMicros } from "./clock.ts";
import type { StreamConn, StreamListener } from "./stream.ts";

/** The libc calls the transport makes (bench/transport_floor.ts binds the same). */
export const LIBC = {
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"], result: "i32" },
  bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  listen: { parameters: ["i32", "i32"], result: "i32" },
  accept4: { parameters: ["i32", "pointer", "pointer", "i32"], result: "i32" },
  getsockname: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  getpeername: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  inet_pton: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  inet_ntop: { parameters: ["i32", "buffer", "buffer", "u32"], result: "pointer" },
  epoll_create1: { parameters: ["i32"], result: "i32" },
  epoll_ctl: { parameters: ["i32", "i32", "i32", "buffer"], result: "i32" },
  epoll_wait: { parameters: ["i32", "buffer", "i32", "i32"], result: "i32" },
  // The same call on Deno's blocking thread pool: the park when no socket is ready.
  epoll_wait_parked: {
    name: "epoll_wait",
    parameters: ["i32", "buffer", "i32", "i32"],
    result: "i32",
    nonblocking: true,
  },
  eventfd: { parameters: ["u32", "i32"], result: "i32" },
  // ssize_t results read as i32: a transfer is capped at MAX_TRANSFER bytes.
  read: { parameters: ["i32", "buffer", "usize"], result: "i32" },
  send: { parameters: ["i32", "buffer", "usize", "i32"], result: "i32" },
  write: { parameters: ["i32", "buffer", "usize"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  __errno_location: { parameters: [], result: "pointer" },
} as const;

type Libc = Deno.DynamicLibrary<typeof LIBC>["symbols"];

const AF_INET = 2;
const AF_INET6 = 10;
const SOCK_STREAM = 1;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SO_REUSEADDR = 2;
const IPPROTO_TCP = 6;
const TCP_NODELAY = 1;
const IPPROTO_IPV6 = 41;
const IPV6_V6ONLY = 26;
const MSG_NOSIGNAL = 0x4000;
const EFD_NONBLOCK = 0o4000;
const EFD_CLOEXEC = 0o2000000;

const EPOLLIN = 0x001;
const EPOLLOUT = 0x004;
const EPOLLERR = 0x008;
const EPOLLHUP = 0x010;
const EPOLLRDHUP = 0x2000;
const EPOLLET = 1 << 31;
const EPOLL_CTL_ADD = 1;
const EPOLL_CTL_DEL = 2;
const EPOLL_CTL_MOD = 3;

const EINTR = 4;
const EAGAIN = 11;
const ECONNABORTED = 103;

/** One read or write moves at most this much, so its count fits the i32 result. */
const MAX_TRANSFER = 1 << 30;
/**
 * Zero-timeout polls on the main thread before parking in the blocking pool,
 * at most; a spin that finds nothing halves the next one (down to one poll),
 * one that finds a socket restores it, so a lightly loaded server parks
 * after one poll instead of 64 that find nothing (docs/transport.md).
 */
const SPIN_POLLS = 64;
/** Under constant load the poller still yields to the event loop this often (µs). */
const YIELD_EVERY_MICROS = 1000;
const MAX_EVENTS = 256;

/** The events a connection watches while it only waits to read. */
const WATCH_READ = EPOLLIN | EPOLLRDHUP | EPOLLET;

/**
 * `struct epoll_event`: a u32 mask then a u64 of user data, packed (12
 * bytes) on x86-64 and naturally aligned (16) elsewhere. The data is the fd.
 */
const EVENT_SIZE = Deno.build.arch === "x86_64" ? 12 : 16;
const EVENT_DATA = Deno.build.arch === "x86_64" ? 4 : 8;

/** What the epoll transport lacks in this process ("needs …"), or undefined when it can run. */
export function epollUnavailable(): string | undefined {
  if (Deno.build.os !== "linux") return `needs Linux (this is ${Deno.build.os})`;
  if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") {
    return "needs Deno's --allow-ffi permission";
  }
  return undefined;
}

/** strerror's text for the errno values these calls meet, and the `Deno.errors` class for each. */
const ERRNO: Record<number, [string, new (message: string) => Error]> = {
  [EINTR]: ["Interrupted system call", Deno.errors.Interrupted],
  9: ["Bad file descriptor", Deno.errors.BadResource],
  13: ["Permission denied", Deno.errors.PermissionDenied],
  23: ["Too many open files in system", Error],
  24: ["Too many open files", Error],
  32: ["Broken pipe", Deno.errors.BrokenPipe],
  97: ["Address family not supported by protocol", Deno.errors.AddrNotAvailable],
  98: ["Address already in use", Deno.errors.AddrInUse],
  99: ["Cannot assign requested address", Deno.errors.AddrNotAvailable],
  [ECONNABORTED]: ["Software caused connection abort", Deno.errors.ConnectionAborted],
  104: ["Connection reset by peer", Deno.errors.ConnectionReset],
  107: ["Transport endpoint is not connected", Deno.errors.NotConnected],
  110: ["Connection timed out", Deno.errors.TimedOut],
};

/** An error worded as Deno's own: "<strerror> (os error <errno>)". */
function errnoError(errno: number): Error {
  const [text, ErrorClass] = ERRNO[errno] ?? ["Unknown error", Error];
  return new ErrorClass(`${text} (os error ${errno})`);
}

function closedError(): Error {
  return new Deno.errors.BadResource("Bad resource ID");
}

/**
 * The process's one epoll instance and the loop that waits on it. It runs
 * while anything is registered and ends (no pending op left) once the last
 * socket is gone.
 */
class Poller {
  readonly libc: Libc;
  readonly #errno: Deno.UnsafePointerView;
  readonly #epollFd: number;
  /** Written to end a parked wait when the last socket leaves. */
  readonly #wakeFd: number;
  readonly #events = new Uint8Array(EVENT_SIZE * MAX_EVENTS);
  readonly #eventsView = new DataView(this.#events.buffer);
  readonly #event = new Uint8Array(EVENT_SIZE);
  readonly #eventView = new DataView(this.#event.buffer);
  readonly #handlers = new Map<number, (events: number) => void>();
  #running = false;
  /** Polls the next spin may make (see SPIN_POLLS). */
  #spinBudget = SPIN_POLLS;
  /** Read twice per turn of the loop: the cheap clock (server/clock.ts), not an op. */
  readonly #clock = monotonicMicros();

  constructor() {
    this.libc = Deno.dlopen("libc.so.6", LIBC).symbols;
    // The main thread's errno: every synchronous call here runs on it.
    this.#errno = new Deno.UnsafePointerView(this.libc.__errno_location()!);
    this.#epollFd = this.libc.epoll_create1(SOCK_CLOEXEC);
    if (this.#epollFd < 0) throw errnoError(this.errno());
    this.#wakeFd = this.libc.eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (this.#wakeFd < 0) throw errnoError(this.errno());
    this.#control(EPOLL_CTL_ADD, this.#wakeFd, EPOLLIN);
  }

  /** The errno of the last failed call on the main thread. */
  errno(): number {
    return this.#errno.getInt32(0);
  }

  /** Watches `fd` for `events`; when epoll refuses it (out of watches), closes it and throws. */
  watch(fd: number, events: number, handler: (events: number) => void): void {
    try {
      this.#control(EPOLL_CTL_ADD, fd, events);
    } catch (cause) {
      this.libc.close(fd);
      throw cause;
    }
    this.#handlers.set(fd, handler);
    if (!this.#running) {
      this.#running = true;
      this.#run().catch((cause) => {
        // Not expected (the calls here report errors as values); say so rather than hang.
        console.error(`epoll transport stopped: ${cause}`);
      });
    }
  }

  /** Changes what `fd` waits for; with EPOLLET this also reports a state that already holds. */
  modify(fd: number, events: number): void {
    this.#control(EPOLL_CTL_MOD, fd, events);
  }

  /** Forgets `fd` and closes it. */
  release(fd: number): void {
    this.#handlers.delete(fd);
    this.#control(EPOLL_CTL_DEL, fd, 0);
    this.libc.close(fd);
    if (this.#handlers.size === 0) {
      // Ends a parked wait so the loop sees it has nothing left to watch.
      this.libc.write(this.#wakeFd, new BigUint64Array([1n]), 8n);
    }
  }

  #control(operation: number, fd: number, events: number): void {
    this.#eventView.setUint32(0, events >>> 0, true);
    this.#eventView.setUint32(EVENT_DATA, fd, true);
    this.#eventView.setUint32(EVENT_DATA + 4, 0, true);
    if (this.libc.epoll_ctl(this.#epollFd, operation, fd, this.#event) !== 0) {
      throw errnoError(this.errno());
    }
  }

  async #run(): Promise<void> {
    const libc = this.libc;
    const clock = this.#clock;
    let yielded = clock();
    while (this.#handlers.size > 0) {
      let ready = 0;
      const mustYield = clock() - yielded >= YIELD_EVERY_MICROS;
      if (!mustYield) {
        for (let poll = 0; poll < this.#spinBudget && ready === 0; poll++) {
          // Lets the connections resolved by the last dispatch run (and write) between polls.
          await null;
          ready = libc.epoll_wait(this.#epollFd, this.#events, MAX_EVENTS, 0);
        }
        this.#spinBudget = ready > 0 ? SPIN_POLLS : Math.max(1, this.#spinBudget >> 1);
      }
      if (ready <= 0) {
        // Through the blocking pool, which is also a turn of the event loop for everything else.
        ready = await libc.epoll_wait_parked(
          this.#epollFd,
          this.#events,
          MAX_EVENTS,
          mustYield ? 0 : -1,
        );
        yielded = clock();
      }
      for (let index = 0; index < ready; index++) {
        const at = index * EVENT_SIZE;
        const fd = this.#eventsView.getUint32(at + EVENT_DATA, true);
        if (fd === this.#wakeFd) {
          libc.read(this.#wakeFd, new Uint8Array(8), 8n);
          continue;
        }
        this.#handlers.get(fd)?.(this.#eventsView.getUint32(at, true));
      }
    }
    this.#running = false;
  }
}

let poller: Poller | undefined;

function thePoller(): Poller {
  return poller ??= new Poller();
}

/**
 * A socket address as `struct sockaddr_in` / `sockaddr_in6` bytes. A name
 * (`bind localhost`, a host name) is resolved as `Deno.listen` resolves it:
 * by binding an ephemeral port with it once and reading the address bound.
 */
function socketAddress(libc: Libc, hostname: string, port: number): Uint8Array {
  const numeric = numericAddress(libc, hostname, port);
  if (numeric !== undefined) return numeric;
  const probe = Deno.listen({ hostname, port: 0, transport: "tcp" });
  const resolved = (probe.addr as Deno.NetAddr).hostname;
  probe.close();
  const address = numericAddress(libc, resolved, port);
  if (address === undefined) {
    throw new Deno.errors.AddrNotAvailable(`"${hostname}" resolved to "${resolved}"`);
  }
  return address;
}

/** `struct sockaddr_in` and `sockaddr_in6`: family, their size, where the address bytes begin. */
const SOCKADDR_LAYOUTS = [[AF_INET, 16, 4], [AF_INET6, 28, 8]] as const;

/** `hostname` as socket address bytes when it is a numeric IPv4 or IPv6 address. */
function numericAddress(libc: Libc, hostname: string, port: number): Uint8Array | undefined {
  const name = new TextEncoder().encode(`${hostname}\0`);
  for (const [family, size, at] of SOCKADDR_LAYOUTS) {
    const address = new Uint8Array(size);
    if (libc.inet_pton(family, name, address.subarray(at)) !== 1) continue;
    const view = new DataView(address.buffer);
    view.setUint16(0, family, true);
    view.setUint16(2, port, false);
    return address;
  }
  return undefined;
}

/** getsockname / getpeername as a `Deno.NetAddr`. */
function netAddress(libc: Libc, fd: number, peer: boolean): Deno.NetAddr {
  const address = new Uint8Array(28);
  const length = new Uint32Array([address.length]);
  const result = peer
    ? libc.getpeername(fd, address, new Uint8Array(length.buffer))
    : libc.getsockname(fd, address, new Uint8Array(length.buffer));
  if (result !== 0) return { transport: "tcp", hostname: "", port: 0 };
  const view = new DataView(address.buffer);
  const family = view.getUint16(0, true);
  const port = view.getUint16(2, false);
  const text = new Uint8Array(64);
  const source = family === AF_INET6 ? address.subarray(8, 24) : address.subarray(4, 8);
  if (libc.inet_ntop(family, source, text, text.length) === null) {
    return { transport: "tcp", hostname: "", port };
  }
  const hostname = new TextDecoder().decode(text.subarray(0, text.indexOf(0)));
  return { transport: "tcp", hostname, port };
}

/** A read or write waiting for its socket: a count, or null for a read at the end of stream. */
interface Waiter {
  readonly bytes: Uint8Array;
  resolve(count: number | null): void;
  reject(cause: Error): void;
}

/** One accepted TCP connection; see the module's notes. */
class EpollConn implements StreamConn {
  readonly localAddr: Deno.NetAddr;
  readonly remoteAddr: Deno.NetAddr;
  readonly #poller: Poller;
  readonly #fd: number;
  /** False once a read came back short or with EAGAIN; an event sets it again. */
  #readable = true;
  /**
   * Set by an event that reported the peer's end (or an error): a state, not
   * an arrival, so a short read that took the last bytes before it must not
   * mark the socket drained — no new edge will come for the end of stream.
   */
  #hungUp = false;
  #reader: Waiter | undefined;
  #writer: Waiter | undefined;
  #closed = false;

  constructor(poller: Poller, fd: number) {
    this.#poller = poller;
    this.#fd = fd;
    this.localAddr = netAddress(poller.libc, fd, false);
    this.remoteAddr = netAddress(poller.libc, fd, true);
    poller.watch(fd, WATCH_READ, (events) => this.#ready(events));
  }

  read(target: Uint8Array): Promise<number | null> {
    if (this.#closed) return Promise.reject(closedError());
    if (this.#reader !== undefined) {
      return Promise.reject(new Deno.errors.Busy("A read is already pending"));
    }
    if (this.#readable) {
      try {
        const count = this.#tryRead(target);
        if (count !== undefined) return Promise.resolve(count);
      } catch (cause) {
        return Promise.reject(cause);
      }
    }
    return new Promise((resolve, reject) => {
      this.#reader = { bytes: target, resolve, reject };
    });
  }

  write(bytes: Uint8Array): Promise<number> {
    if (this.#closed) return Promise.reject(closedError());
    if (this.#writer !== undefined) {
      return Promise.reject(new Deno.errors.Busy("A write is already pending"));
    }
    try {
      const count = this.#trySend(bytes);
      if (count !== undefined) return Promise.resolve(count);
    } catch (cause) {
      return Promise.reject(cause);
    }
    return new Promise((resolve, reject) => {
      // A send resolves with a count, never null (that is a read's end of stream).
      this.#writer = { bytes, resolve: resolve as (count: number | null) => void, reject };
      this.#poller.modify(this.#fd, WATCH_READ | EPOLLOUT);
    });
  }

  setNoDelay(noDelay = true): void {
    const value = new Int32Array([noDelay ? 1 : 0]);
    this.#poller.libc.setsockopt(
      this.#fd,
      IPPROTO_TCP,
      TCP_NODELAY,
      new Uint8Array(value.buffer),
      4,
    );
  }

  close(): void {
    if (this.#closed) throw closedError();
    this.#closed = true;
    this.#poller.release(this.#fd);
    const reader = this.#reader;
    const writer = this.#writer;
    this.#reader = this.#writer = undefined;
    reader?.reject(closedError());
    writer?.reject(closedError());
  }

  /** Bytes read, null at the end of the stream, undefined when none are there yet; throws on errors. */
  #tryRead(target: Uint8Array): number | null | undefined {
    for (;;) {
      const count = this.#poller.libc.read(
        this.#fd,
        target,
        BigInt(Math.min(target.length, MAX_TRANSFER)),
      );
      if (count > 0) {
        // Short: the socket is drained (bytes arriving after the call raise a new edge).
        if (count < target.length && !this.#hungUp) this.#readable = false;
        return count;
      }
      if (count === 0) return target.length === 0 ? 0 : null;
      const errno = this.#poller.errno();
      if (errno === EINTR) continue;
      if (errno === EAGAIN) {
        this.#readable = false;
        return undefined;
      }
      throw errnoError(errno);
    }
  }

  /** Bytes sent, or undefined when the socket has no room; throws on errors. */
  #trySend(bytes: Uint8Array): number | undefined {
    for (;;) {
      const length = Math.min(bytes.length, MAX_TRANSFER);
      const count = this.#poller.libc.send(this.#fd, bytes, BigInt(length), MSG_NOSIGNAL);
      if (count >= 0) return count;
      const errno = this.#poller.errno();
      if (errno === EINTR) continue;
      if (errno === EAGAIN) return undefined;
      throw errnoError(errno);
    }
  }

  #ready(events: number): void {
    if ((events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) !== 0) this.#hungUp = true;
    if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) !== 0) {
      this.#readable = true;
      const reader = this.#reader;
      if (reader !== undefined) this.#settle(reader, true);
    }
    const writer = this.#writer;
    if (writer !== undefined && (events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) !== 0) {
      this.#settle(writer, false);
    }
  }

  /** Retries a waiting read or write; ends its wait unless the socket is still not ready. */
  #settle(waiter: Waiter, reading: boolean): void {
    let result: number | null | undefined;
    try {
      result = reading ? this.#tryRead(waiter.bytes) : this.#trySend(waiter.bytes);
      if (result === undefined) return;
    } catch (cause) {
      this.#endWait(reading);
      waiter.reject(cause as Error);
      return;
    }
    this.#endWait(reading);
    waiter.resolve(result);
  }

  #endWait(reading: boolean): void {
    if (reading) {
      this.#reader = undefined;
    } else {
      this.#writer = undefined;
      if (!this.#closed) this.#poller.modify(this.#fd, WATCH_READ);
    }
  }
}

/** A listening TCP socket on the poller. */
class EpollListener implements StreamListener {
  readonly addr: Deno.NetAddr;
  readonly #poller: Poller;
  readonly #fd: number;
  #acceptor: { resolve(conn: StreamConn): void; reject(cause: Error): void } | undefined;
  #closed = false;

  constructor(poller: Poller, fd: number) {
    this.#poller = poller;
    this.#fd = fd;
    this.addr = netAddress(poller.libc, fd, false);
    poller.watch(fd, EPOLLIN | EPOLLET, () => this.#ready());
  }

  accept(): Promise<StreamConn> {
    if (this.#closed) return Promise.reject(closedError());
    if (this.#acceptor !== undefined) {
      return Promise.reject(new Deno.errors.Busy("An accept is already pending"));
    }
    try {
      const conn = this.#tryAccept();
      if (conn !== undefined) return Promise.resolve(conn);
    } catch (cause) {
      return Promise.reject(cause);
    }
    return new Promise((resolve, reject) => {
      this.#acceptor = { resolve, reject };
    });
  }

  close(): void {
    if (this.#closed) throw closedError();
    this.#closed = true;
    this.#poller.release(this.#fd);
    const acceptor = this.#acceptor;
    this.#acceptor = undefined;
    acceptor?.reject(closedError());
  }

  #tryAccept(): StreamConn | undefined {
    const libc = this.#poller.libc;
    for (;;) {
      const fd = libc.accept4(this.#fd, null, null, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd >= 0) return new EpollConn(this.#poller, fd);
      const errno = this.#poller.errno();
      // A connection reset while it waited in the backlog: take the next one.
      if (errno === EINTR || errno === ECONNABORTED) continue;
      if (errno === EAGAIN) return undefined;
      throw errnoError(errno);
    }
  }

  #ready(): void {
    const acceptor = this.#acceptor;
    if (acceptor === undefined) return;
    let conn: StreamConn | undefined;
    try {
      conn = this.#tryAccept();
      if (conn === undefined) return;
    } catch (cause) {
      this.#acceptor = undefined;
      acceptor.reject(cause as Error);
      return;
    }
    this.#acceptor = undefined;
    acceptor.resolve(conn);
  }
}

/**
 * Listens on `hostname:port` (a numeric address; port 0 picks one) through
 * epoll. Like Redis, an IPv6 socket takes IPv6 only, and SO_REUSEADDR lets a
 * restarted server bind while old connections linger in TIME_WAIT.
 */
export function listenEpoll(hostname: string, port: number): StreamListener {
  const poller = thePoller();
  const libc = poller.libc;
  const address = socketAddress(libc, hostname, port);
  const family = address.length === 16 ? AF_INET : AF_INET6;
  const fd = libc.socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw errnoError(poller.errno());
  const one = new Uint8Array(new Int32Array([1]).buffer);
  libc.setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, one, 4);
  if (family === AF_INET6) libc.setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, one, 4);
  if (libc.bind(fd, address, address.length) !== 0 || libc.listen(fd, 511) !== 0) {
    const errno = poller.errno();
    libc.close(fd);
    throw errnoError(errno);
  }
  return new EpollListener(poller, fd);
}
