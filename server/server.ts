/**
 * The running server: listeners on the RESP and binary ports sharing one
 * keyspace and command table, the connections, the active expiry timer, the
 * idle-client sweep, and graceful shutdown.
 *
 * @module
 */
import { ALL_COMMANDS } from "../lib/commands/mod.ts";
import { CommandTable } from "../lib/commands/table.ts";
import type { CommandContext } from "../lib/commands/types.ts";
import type { Config } from "../lib/config.ts";
import { Keyspace } from "../lib/keyspace.ts";
import { Session, type WireProtocol } from "../lib/session.ts";
import { WatchRegistry } from "../lib/watch.ts";
import { ActiveExpiry } from "./active_expiry.ts";
import { Connection, type Wire } from "./connection.ts";
import { KacheWire } from "./kache_wire.ts";
import { KacheEncoder } from "../lib/protocol/kache.ts";
import { error } from "../lib/reply.ts";
import { Logger } from "./log.ts";
import { RespWire } from "./resp_wire.ts";
import { ServerState } from "./server_state.ts";

export interface ListeningPorts {
  /** The RESP port actually bound, or undefined when disabled. */
  readonly resp?: number;
  /** The binary port actually bound, or undefined when disabled. */
  readonly kache?: number;
}

export class KacheServer {
  readonly config: Config;
  readonly log: Logger;
  readonly keyspace = new Keyspace();
  readonly commands = new CommandTable(ALL_COMMANDS);
  /** Sessions' WATCHed keys; the keyspace reports every change to it. */
  readonly watches = new WatchRegistry();
  readonly state: ServerState;
  readonly #connections = new Set<Connection>();
  readonly #listeners: Deno.Listener[] = [];
  readonly #acceptLoops: Promise<void>[] = [];
  readonly #connectionLoops = new Set<Promise<void>>();
  readonly #expiry: ActiveExpiry;
  #housekeeping: ReturnType<typeof setInterval> | undefined;
  #nextClientId = 1;
  #stopping: Promise<void> | undefined;

  constructor(config: Config, log = new Logger()) {
    this.config = config;
    this.log = log;
    this.state = new ServerState(this);
    this.keyspace.observer = this.watches;
    this.#expiry = new ActiveExpiry(this.keyspace, config.number("active-expire-batch"));
    config.onChange((name, value) => {
      if (name === "loglevel") this.log.level = value as Logger["level"];
      if (name === "active-expire-batch") this.#expiry.batchSize = value as number;
    });
  }

  /** Binds the configured ports and starts accepting; returns the ports bound. */
  listen(): ListeningPorts {
    const hostnames = this.config.string("bind").split(/\s+/).filter(Boolean);
    const exposed = hostnames.filter((hostname) => !isLoopback(hostname));
    if (
      exposed.length > 0 && this.config.boolean("protected-mode") &&
      this.config.string("requirepass") === ""
    ) {
      throw new Error(
        `Refusing to listen on ${exposed.join(" ")} without a password: anyone who can reach it ` +
          `could read and change every key. Set --requirepass <password>, or pass ` +
          `--protected-mode no if the network is trusted.`,
      );
    }
    const ports: { resp?: number; kache?: number } = {};
    for (const wire of ["resp", "kache"] as const) {
      const port = this.config.number(wire === "resp" ? "port" : "kache-port");
      if (port === 0) continue;
      for (const hostname of hostnames) {
        const listener = Deno.listen({ hostname, port: ports[wire] ?? port, transport: "tcp" });
        ports[wire] = (listener.addr as Deno.NetAddr).port;
        this.#listeners.push(listener);
        this.#acceptLoops.push(this.#accept(listener, wire));
      }
    }
    this.#housekeeping = setInterval(() => this.#closeIdleClients(), 1000);
    return ports;
  }

  get connections(): ReadonlySet<Connection> {
    return this.#connections;
  }

  /**
   * Stops accepting, lets every connection finish the batch it is answering,
   * then closes them all. Resolves once every loop has ended.
   */
  shutdown(): Promise<void> {
    this.#stopping ??= this.#shutdown();
    return this.#stopping;
  }

  async #shutdown(): Promise<void> {
    for (const listener of this.#listeners) {
      try {
        listener.close();
      } catch {
        // Already closed.
      }
    }
    this.#expiry.stop();
    clearInterval(this.#housekeeping);
    for (const connection of this.#connections) connection.closeWhenIdle();
    const drained = Promise.all([...this.#connectionLoops]);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const patience = new Promise<void>((resolve) => timer = setTimeout(resolve, 3000));
    await Promise.race([drained, patience]);
    clearTimeout(timer);
    for (const connection of this.#connections) connection.close();
    await Promise.allSettled(this.#acceptLoops);
  }

  async #accept(listener: Deno.Listener, wire: WireProtocol): Promise<void> {
    try {
      for await (const conn of listener) this.#open(conn as Deno.TcpConn, wire);
    } catch (cause) {
      if (this.#stopping === undefined) this.log.warning(`Accept failed: ${cause}`);
    }
  }

  #open(conn: Deno.TcpConn, wireName: WireProtocol): void {
    if (this.#connections.size >= this.config.number("maxclients")) {
      this.#refuse(conn, wireName, "ERR max number of clients reached");
      return;
    }
    try {
      conn.setNoDelay(true);
    } catch {
      // The peer may already be gone; the read loop will notice.
    }
    const remote = conn.remoteAddr as Deno.NetAddr;
    const local = conn.localAddr as Deno.NetAddr;
    const session = new Session({
      id: this.#nextClientId++,
      wire: wireName,
      address: `${remote.hostname}:${remote.port}`,
      localAddress: `${local.hostname}:${local.port}`,
      createdAt: Date.now(),
      authenticated: this.config.string("requirepass") === "",
    });
    const context: CommandContext = {
      keyspace: this.keyspace,
      session,
      server: this.state,
      commands: this.commands,
    };
    const wire: Wire = wireName === "kache"
      ? new KacheWire(context, {
        maxFrameLength: this.config.number("kache-max-frame"),
        maxArgs: this.config.number("kache-max-args"),
      })
      : new RespWire(context, { maxBulkLength: this.config.number("proto-max-bulk-len") });
    const connection = new Connection(conn, session, wire, {
      beforeBatch: () => {},
      afterBatch: () => this.#expiry.reschedule(),
      queryBufferLimit: () => this.config.number("client-query-buffer-limit"),
      log: (text) => this.log.verbose(text),
    });
    this.#connections.add(connection);
    this.state.connectionsReceived++;
    const loop = connection.serve().finally(() => {
      this.watches.unwatch(session);
      this.#connections.delete(connection);
      this.#connectionLoops.delete(loop);
    });
    this.#connectionLoops.add(loop);
  }

  /** Answers one error and closes, without ever reading from the connection. */
  #refuse(conn: Deno.TcpConn, wireName: WireProtocol, message: string): void {
    this.state.rejectedConnections++;
    const bytes = wireName === "kache"
      ? encodeKacheError(message)
      : new TextEncoder().encode(`-${message}\r\n`);
    conn.write(bytes).catch(() => {}).finally(() => {
      try {
        conn.close();
      } catch {
        // Already closed by the peer.
      }
    });
  }

  #closeIdleClients(): void {
    const timeout = this.config.number("timeout");
    if (timeout <= 0) return;
    const cutoff = Date.now() - timeout * 1000;
    for (const connection of this.#connections) {
      if (connection.lastActivity < cutoff) connection.close();
    }
  }
}

function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || hostname === "::1" || /^127\./.test(hostname);
}

function encodeKacheError(message: string): Uint8Array {
  const encoder = new KacheEncoder(64);
  encoder.writeReply(error(message));
  return encoder.take().slice();
}
