/**
 * What the server needs of a connection and a listener: the members of
 * `Deno.Conn` and `Deno.Listener` it uses, which `Deno.listen`'s sockets,
 * TLS and Unix sockets, and the epoll transport (./epoll.ts) all give.
 *
 * @module
 */

/** A byte stream to a client; its errors are `Deno.errors.*`, as `Deno.Conn`'s. */
export interface StreamConn {
  read(target: Uint8Array): Promise<number | null>;
  write(bytes: Uint8Array): Promise<number>;
  close(): void;
  readonly localAddr: Deno.Addr;
  readonly remoteAddr: Deno.Addr;
  /** TCP connections only (a Unix socket has no Nagle delay). */
  setNoDelay?(noDelay?: boolean): void;
}

/** The members of `Deno.Listener` the server uses. */
export interface StreamListener {
  accept(): Promise<StreamConn>;
  close(): void;
  readonly addr: Deno.Addr;
}
