/**
 * The running server: listeners on the RESP and binary ports sharing one
 * keyspace and command table, the connections, the active expiry timer, the
 * idle-client sweep, graceful shutdown, and persistence (server/persistence.ts).
 *
 * @module
 */
import { ALL_COMMANDS } from "../lib/commands/mod.ts";
import { CommandTable } from "../lib/commands/table.ts";
import type { CommandContext } from "../lib/commands/types.ts";
import type { ClientOutputLimits } from "../lib/client_output_limits.ts";
import { type Config, outputLimitsOf } from "../lib/config.ts";
import { Eviction, type EvictionPolicy } from "../lib/eviction.ts";
import { Keyspace, type KeyspaceObserver } from "../lib/keyspace.ts";
import { NotifyingObserver } from "../lib/notify.ts";
import { NotifyClass, PubSub } from "../lib/pubsub.ts";
import { Session, type WireProtocol } from "../lib/session.ts";
import { WatchRegistry } from "../lib/watch.ts";
import { scriptingFor } from "../lib/commands/scripting.ts";
import { ActiveExpiry } from "./active_expiry.ts";
import { Connection, type Wire } from "./connection.ts";
import { KacheWire } from "./kache_wire.ts";
import { KacheEncoder } from "../lib/protocol/kache.ts";
import { error } from "../lib/reply.ts";
import { Logger } from "./log.ts";
import { combineObservers } from "./observers.ts";
import { Persistence } from "./persistence.ts";
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
  /** Subscriptions, PUBLISH fan-out and keyspace notifications. */
  readonly pubsub = new PubSub();
  /** maxmemory and its policy; the command table consults it only while maxmemory is set. */
  readonly eviction = new Eviction(this.keyspace);
  readonly state: ServerState;
  /** Snapshots, the append-only file, and loading them at startup. */
  readonly persistence: Persistence;
  /** Resolves when SHUTDOWN asks the process to exit (cli/serve.ts waits for it). */
  readonly exitRequested: Promise<void>;
  #requestExit!: () => void;
  /** WATCH, or notifications wrapping WATCH: the observer besides persistence's. */
  #changeObserver: KeyspaceObserver = this.watches;
  readonly #connections = new Set<Connection>();
  readonly #listeners: Deno.Listener[] = [];
  readonly #acceptLoops: Promise<void>[] = [];
  readonly #connectionLoops = new Set<Promise<void>>();
  readonly #expiry: ActiveExpiry;
  #housekeeping: ReturnType<typeof setInterval> | undefined;
  #nextClientId = 1;
  #stopping: Promise<void> | undefined;
  /** client-output-buffer-limit, parsed once per change rather than per message. */
  #outputLimits: ClientOutputLimits;

  constructor(config: Config, log = new Logger()) {
    this.config = config;
    this.log = log;
    this.state = new ServerState(this);
    this.keyspace.observer = this.watches;
    this.exitRequested = new Promise((resolve) => this.#requestExit = resolve);
    this.persistence = new Persistence({
      config,
      keyspace: this.keyspace,
      commands: this.commands,
      log,
      loadingContext: () => ({
        keyspace: this.keyspace,
        session: new Session({
          id: 0,
          wire: "resp",
          address: "aof-loading",
          localAddress: "",
          createdAt: Date.now(),
          authenticated: true,
        }),
        server: this.state,
        commands: this.commands,
      }),
      functionCodes: () => [...scriptingFor(this.state).libraries.values()].map((l) => l.code),
      loadFunction: (code) => scriptingFor(this.state).restoreLibrary(code),
      requestExit: () => {
        this.#requestExit();
        void this.shutdown();
      },
      observersChanged: () => this.#installObservers(),
    });
    this.#expiry = new ActiveExpiry(this.keyspace, config.number("active-expire-batch"));
    this.#expiry.paused = () => this.commands.busy !== undefined;
    this.#outputLimits = outputLimitsOf(config.string("client-output-buffer-limit"));
    this.#applyNotifyFlags(config.number("notify-keyspace-events"));
    this.#applyMemoryLimits();
    config.onChange((name, value) => {
      if (name.startsWith("maxmemory")) this.#applyMemoryLimits();
      if (name === "loglevel") this.log.level = value as Logger["level"];
      if (name === "active-expire-batch") this.#expiry.batchSize = value as number;
      if (name === "notify-keyspace-events") this.#applyNotifyFlags(value as number);
      if (name === "client-output-buffer-limit") {
        this.#outputLimits = outputLimitsOf(value as string);
      }
    });
  }

  /**
   * Notifications on: the keyspace reports expired and new keys through a
   * notifying observer. Off: the plain WATCH registry again, so writes pay nothing.
   */
  #applyNotifyFlags(flags: number): void {
    this.pubsub.setNotifyFlags(flags);
    const effective = this.pubsub.notifyFlags;
    this.#changeObserver = effective === 0
      ? this.watches
      : new NotifyingObserver(this.watches, this.pubsub);
    this.#installObservers();
    this.keyspace.reportNewKeys = (effective & NotifyClass.newKey) !== 0;
  }

  /** The keyspace's one observer slot, fanned out to everyone who listens (server/observers.ts). */
  #installObservers(): void {
    this.keyspace.observer = combineObservers([
      this.#changeObserver,
      this.persistence.aofEnabled ? this.persistence.observer : undefined,
    ]);
  }

  /** maxmemory 0 takes eviction out of the command path entirely. */
  #applyMemoryLimits(): void {
    const maxmemory = this.config.number("maxmemory");
    this.eviction.configure({
      maxmemory,
      policy: this.config.string("maxmemory-policy") as EvictionPolicy,
      samples: this.config.number("maxmemory-samples"),
    });
    this.commands.eviction = maxmemory > 0 ? this.eviction : undefined;
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
    const patience = new Promise<void>((resolve) => timer = setTimeout(resolve, 2000));
    await Promise.race([drained, patience]);
    clearTimeout(timer);
    for (const connection of this.#connections) connection.close();
    await Promise.allSettled(this.#acceptLoops);
  }

  /**
   * Accepts until shutdown. A failed accept() never ends the loop: out of
   * descriptors (EMFILE/ENFILE) the pending connection stays in the listen
   * backlog, so the loop pauses (10 ms doubling to 1 s, not to spin on the
   * same error) and retries, and the port comes back once clients leave.
   */
  async #accept(listener: Deno.Listener, wire: WireProtocol): Promise<void> {
    let pause = 0;
    while (this.#stopping === undefined) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch (cause) {
        if (this.#stopping !== undefined || cause instanceof Deno.errors.BadResource) return;
        if (pause === 0) this.log.warning(`Accept failed, retrying until it succeeds: ${cause}`);
        pause = Math.min(Math.max(pause * 2, 10), 1000);
        await new Promise((resolve) => setTimeout(resolve, pause));
        continue;
      }
      if (pause !== 0) this.log.notice("Accepting connections again");
      pause = 0;
      this.#open(conn as Deno.TcpConn, wire);
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
      afterBatch: () => {
        this.#expiry.reschedule();
        // With appendfsync always, the batch's replies wait for the AOF fsync.
        return this.persistence.afterBatch();
      },
      queryBufferLimit: () => this.config.number("client-query-buffer-limit"),
      log: (text) => this.log.verbose(text),
      outputLimit: (subscriber) =>
        subscriber.subscriptions === undefined
          ? this.#outputLimits.normal
          : this.#outputLimits.pubsub,
      warn: (text) => this.log.warning(text),
    });
    session.push = (message) => connection.push(message);
    this.#connections.add(connection);
    this.state.connectionsReceived++;
    const loop = connection.serve().finally(() => {
      this.watches.unwatch(session);
      this.pubsub.unsubscribeAll(session);
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
