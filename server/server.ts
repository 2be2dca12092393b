/**
 * The running server: listeners on the RESP and binary ports sharing the
 * databases and the command table, the connections, the active expiry timer, the
 * idle-client sweep, graceful shutdown, and persistence (server/persistence.ts).
 *
 * @module
 */
import { ALL_COMMANDS } from "../lib/commands/mod.ts";
import { CommandTable } from "../lib/commands/table.ts";
import { ChangeStream } from "../lib/change_stream.ts";
import { SessionContext } from "../lib/commands/context.ts";
import type { ClientOutputLimits } from "../lib/client_output_limits.ts";
import { type Config, outputLimitsOf } from "../lib/config.ts";
import { Eviction, type EvictionPolicy, isLfuPolicy } from "../lib/eviction.ts";
import { Databases } from "../lib/databases.ts";
import type { KeyspaceObserver } from "../lib/keyspace.ts";
import { NotifyingObserver } from "../lib/notify.ts";
import { NotifyClass, PubSub } from "../lib/pubsub.ts";
import { Session, type WireProtocol } from "../lib/session.ts";
import { Tracking } from "../lib/tracking.ts";
import { WatchRegistry } from "../lib/watch.ts";
import { scriptingFor } from "../lib/commands/scripting.ts";
import { ActiveExpiry } from "./active_expiry.ts";
import { BlockingTimer } from "./blocking_timer.ts";
import { Connection, type Wire } from "./connection.ts";
import { clientInfoLine } from "../lib/commands/connection.ts";
import { KacheWire } from "./kache_wire.ts";
import { KacheEncoder } from "../lib/protocol/kache.ts";
import { error } from "../lib/reply.ts";
import { Logger } from "./log.ts";
import { combineObservers } from "./observers.ts";
import { Persistence } from "./persistence.ts";
import { ReplicationMaster } from "./replication/master.ts";
import {
  deniedByProtectedMode,
  isLoopbackAddress,
  PROTECTED_MODE_DENIED,
} from "../lib/protection.ts";
import { Replica, type ReplicationHistory } from "./replica.ts";
import { RespWire } from "./resp_wire.ts";
import { ServerState } from "./server_state.ts";
import { listenTls, tlsListenOptions } from "./tls.ts";
import { getHeapStatistics } from "node:v8";
import { maxmemoryWarning } from "../lib/heap_limit.ts";
import { type HttpView, startHttpView } from "./http_view.ts";
import { MigrateConnections } from "./migrate.ts";
import { epollUnavailable, listenEpoll } from "./epoll.ts";
import { monotonicMicros } from "./clock.ts";
import type { StreamConn, StreamListener } from "./stream.ts";
import { INSTANTANEOUS_PERIOD_MS, InstantaneousMetric, RecentPeak } from "../lib/instantaneous.ts";

export interface ListeningPorts {
  /** The RESP port actually bound, or undefined when disabled. */
  readonly resp?: number;
  /** The binary port actually bound, or undefined when disabled. */
  readonly kache?: number;
  /** The RESP-over-TLS port actually bound, or undefined when disabled. */
  readonly tls?: number;
  /** The HTTP view's port (/metrics and the live page), or undefined when disabled. */
  readonly http?: number;
}

export class KacheServer {
  readonly config: Config;
  readonly log: Logger;
  /** The `databases` keyspaces; a session's SELECT picks one, the binary protocol uses 0. */
  readonly databases: Databases;
  readonly commands = new CommandTable(ALL_COMMANDS);
  /** Sessions' WATCHed keys; the keyspace reports every change to it. */
  readonly watches = new WatchRegistry();
  /** Subscriptions, PUBLISH fan-out and keyspace notifications. */
  readonly pubsub = new PubSub();
  /** CLIENT TRACKING: observes the keyspace only while some client tracks (lib/tracking.ts). */
  readonly tracking = new Tracking();
  /** maxmemory and its policy; the command table consults it only while maxmemory is set. */
  readonly eviction: Eviction;
  readonly state: ServerState;
  /** What the AOF and replicas receive: every change, in order (lib/change_stream.ts). */
  readonly stream = new ChangeStream();
  /** Snapshots, the append-only file, and loading them at startup. */
  readonly persistence: Persistence;
  /** Following a master (REPLICAOF, `replicaof`): the link and what it changes (server/replica.ts). */
  readonly replica: Replica;
  /** Replicas attached to this server: SYNC/PSYNC, the backlog, WAIT (server/replication/). */
  readonly replication: ReplicationMaster;
  /** used_memory before loading and before any client: INFO's `used_memory_startup`. */
  readonly usedMemoryStartup: number;
  /** MIGRATE's cached connections to targets, in a worker the command waits for. */
  readonly migrations = new MigrateConnections();
  /**
   * The config file the server was started with, as an absolute path (INFO's
   * `config_file`, the file CONFIG REWRITE rewrites); undefined without one.
   */
  configFile: string | undefined;
  /** Resolves when SHUTDOWN asks the process to exit (cli/serve.ts waits for it). */
  readonly exitRequested: Promise<void>;
  #requestExit!: () => void;
  /** WATCH, or notifications wrapping WATCH: the observer besides persistence's. */
  #changeObserver: KeyspaceObserver = this.watches;
  readonly #connections = new Set<Connection>();
  readonly #listeners: StreamListener[] = [];
  readonly #acceptLoops: Promise<void>[] = [];
  readonly #connectionLoops = new Set<Promise<void>>();
  readonly #expiry: ActiveExpiry;
  /** Times out clients blocked in BLPOP and friends. */
  readonly #blockingTimer = new BlockingTimer(this.commands.blocking);
  #housekeeping: ReturnType<typeof setInterval> | undefined;
  /** The HTTP listener for /metrics and the live page, while http-port is set. */
  #httpView: HttpView | undefined;
  /** The `unixsocket` file this server created, removed again at shutdown. */
  #unixSocketPath: string | undefined;
  #nextClientId = 1;
  #stopping: Promise<void> | undefined;
  /** client-output-buffer-limit, parsed once per change rather than per message. */
  #outputLimits: ClientOutputLimits;
  /** What every connection's buffers hold beyond their base, replica links' included. */
  #clientBufferBytes = 0;
  /** Of those, what replica links hold (INFO's mem_clients_slaves; the rest is mem_clients_normal). */
  #replicaBufferBytes = 0;
  /** The RESP port bound, announced to a master with REPLCONF listening-port. */
  #respPort = 0;
  /** INFO's instantaneous_ops_per_sec, _input_kbps and _output_kbps, sampled by the cron. */
  readonly instantaneous = {
    ops: new InstantaneousMetric(),
    input: new InstantaneousMetric(),
    output: new InstantaneousMetric(),
  };
  /** When the instantaneous metrics were last sampled (every 100 ms at most, as Redis). */
  #lastInstantaneousSample = -Infinity;
  /** client_recent_max_input_buffer and _output_buffer, sampled by the cron. */
  readonly recentClientPeaks = { input: new RecentPeak(), output: new RecentPeak() };

  constructor(config: Config, log = new Logger()) {
    this.config = config;
    this.log = log;
    this.databases = new Databases(config.number("databases"));
    this.eviction = new Eviction(this.databases);
    this.state = new ServerState(this);
    this.databases.shared.observer = this.watches;
    this.stream.onActiveChange = (active) => {
      this.commands.onWrite = active
        ? (argv, context) => this.stream.write(argv, context)
        : undefined;
      this.#installObservers();
    };
    this.exitRequested = new Promise((resolve) => this.#requestExit = resolve);
    this.persistence = new Persistence({
      config,
      databases: this.databases,
      commands: this.commands,
      log,
      loadingContext: () =>
        new SessionContext(
          this.databases,
          new Session({
            id: 0,
            wire: "resp",
            address: "aof-loading",
            localAddress: "",
            createdAt: Date.now(),
            authenticated: true,
            mustObey: true,
          }),
          this.state,
          this.commands,
        ),
      functionCodes: () => [...scriptingFor(this.state).libraries.values()].map((l) => l.code),
      loadFunction: (code) => scriptingFor(this.state).restoreLibrary(code),
      requestExit: () => {
        this.#requestExit();
        void this.shutdown();
      },
      stream: this.stream,
      snapshotAux: () => this.replica.snapshotAux(),
    });
    this.replication = new ReplicationMaster({
      config,
      log,
      stream: this.stream,
      commands: this.commands,
      connectionOf: (session) =>
        [...this.#connections].find((connection) => connection.session === session),
      bgsaveForReplication: (atCut) => this.persistence.bgsaveForReplication(atCut),
      snapshotToReplicas: (stream, atCut) => this.persistence.snapshotToReplicas(stream, atCut),
      replicaOutputLimit: () => this.#outputLimits.replica,
    });
    this.replica = new Replica({
      config,
      databases: this.databases,
      commands: this.commands,
      log,
      history: this.#replicationHistory(),
      roleChanged: () => {
        this.replication.replicaOf = this.replica.following ? this.replica : undefined;
      },
      listeningPort: () => this.#respPort,
      masterContext: (address) => this.#masterContext(address),
      beforeBatch: () => this.persistence.beforeBatch(),
      afterBatch: () => void this.#afterBatch(),
      replaceFunctions: (codes) => {
        const scripting = scriptingFor(this.state);
        scripting.flushFunctions();
        for (const code of codes) {
          const problem = scripting.restoreLibrary(code);
          if (problem !== undefined) {
            log.warning(`Function library from the master refused: ${problem}`);
          }
        }
      },
      afterFullSync: () => {
        if (this.persistence.aofEnabled) this.persistence.admin(["bgrewriteaof"]);
      },
    });
    this.#expiry = new ActiveExpiry(this.databases, config.number("active-expire-batch"));
    // A replica never expires keys itself: its master sends the DELs (lib/keyspace.ts's expiry).
    this.#expiry.paused = () =>
      this.commands.busy !== undefined || this.databases.shared.expiry !== "delete";
    this.#outputLimits = outputLimitsOf(config.string("client-output-buffer-limit"));
    this.#applyNotifyFlags(config.number("notify-keyspace-events"));
    this.tracking.maxKeys = Number(config.string("tracking-table-max-keys"));
    this.tracking.onActiveChange = (active) => {
      this.commands.tracking = active ? this.tracking : undefined;
      this.#installObservers();
    };
    // Changes outside any batch (the expiry timer) still reach BCAST clients promptly.
    this.tracking.onBroadcastPending = () => setTimeout(() => this.tracking.flushBroadcasts(), 0);
    // Replica links' unsent stream is left out, as Redis's freeMemoryGetNotCountedMemory leaves
    // it: a slow replica must not make the master evict keys (INFO mem_not_counted_for_evict).
    this.eviction.clientMemory = () => this.#clientBufferBytes - this.#replicaBufferBytes;
    this.#applyMemoryLimits();
    // Redis's used_memory_startup: used_memory once set up, before any data is loaded or any
    // client connects. By Kache's definition of used_memory (data, eviction bookkeeping, client
    // buffers) that is the CLOCK table of an LRU policy, else 0: the runtime is not counted.
    this.usedMemoryStartup = this.eviction.usedMemory;
    // Microseconds from the monotonic clock: commands are timed for commandstats and SLOWLOG.
    this.commands.clock = monotonicMicros();
    this.commands.slowLog.slowerThanMicros = config.number("slowlog-log-slower-than");
    this.commands.slowLog.maxLength = config.number("slowlog-max-len");
    this.commands.latency.thresholdMillis = Number(config.string("latency-monitor-threshold"));
    this.commands.latencyTracking = config.boolean("latency-tracking");
    this.#expiry.onSweep = (millis) =>
      this.commands.latency.addSampleIfNeeded(
        "expire-cycle",
        millis,
        Math.floor(Date.now() / 1000),
      );
    config.onChange((name, value) => {
      if (name === "latency-monitor-threshold") {
        this.commands.latency.thresholdMillis = Number(value);
      }
      if (name === "latency-tracking") this.commands.latencyTracking = value as boolean;
      if (name === "slowlog-log-slower-than") {
        this.commands.slowLog.slowerThanMicros = value as number;
      }
      if (name === "slowlog-max-len") this.commands.slowLog.maxLength = value as number;
      if (name.startsWith("maxmemory") || name.startsWith("lfu-")) this.#applyMemoryLimits();
      if (name === "loglevel") this.log.level = value as Logger["level"];
      if (name === "active-expire-batch") this.#expiry.batchSize = value as number;
      if (name === "notify-keyspace-events") this.#applyNotifyFlags(value as number);
      if (name === "tracking-table-max-keys") this.tracking.maxKeys = Number(value);
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
    this.databases.shared.reportNewKeys = (effective & NotifyClass.newKey) !== 0;
  }

  /** The databases' one observer slot, fanned out to everyone who listens (server/observers.ts). */
  #installObservers(): void {
    this.databases.shared.observer = combineObservers([
      this.#changeObserver,
      this.stream.active ? this.stream.observer : undefined,
      this.commands.tracking,
    ]);
  }

  /** The maxmemory last checked against the heap limit, so each value is warned about once. */
  #checkedMaxmemory = 0;

  /** maxmemory 0 (without an LFU policy) takes eviction out of the command path entirely. */
  #applyMemoryLimits(): void {
    const maxmemory = this.config.number("maxmemory");
    this.eviction.configure({
      maxmemory,
      policy: this.config.string("maxmemory-policy") as EvictionPolicy,
      samples: this.config.number("maxmemory-samples"),
      lfuLogFactor: this.config.number("lfu-log-factor"),
      lfuDecayTime: this.config.number("lfu-decay-time"),
    });
    if (maxmemory !== this.#checkedMaxmemory) {
      this.#checkedMaxmemory = maxmemory;
      const warning = maxmemoryWarning(maxmemory, getHeapStatistics().heap_size_limit);
      if (warning !== undefined) this.log.warning(warning);
    }
    // An LFU policy counts accesses even without a limit, for OBJECT FREQ (as Redis).
    const counting = isLfuPolicy(this.config.string("maxmemory-policy"));
    this.commands.eviction = maxmemory > 0 || counting ? this.eviction : undefined;
  }

  /** Binds the configured ports and starts accepting; returns the ports bound. */
  listen(): ListeningPorts {
    const addresses = parseBindAddresses(this.config.string("bind"));
    const hostnames = addresses.map((address) => address.hostname);
    const exposed = hostnames.filter((hostname) => !isLoopbackName(hostname));
    if (
      exposed.length > 0 && this.config.boolean("protected-mode") &&
      this.config.string("requirepass") === ""
    ) {
      this.log.warning(
        `Protected mode is on and no password is set: clients connecting to ` +
          `${exposed.join(" ")} from other hosts will be answered -DENIED. Set --requirepass ` +
          `<password>, or --protected-mode no if the network is trusted.`,
      );
    }
    // Checked before binding anything, so a bad TLS setting leaves no port half open.
    const tls = tlsListenOptions(this.config, (text) => this.log.warning(text));
    const epoll = this.config.string("tcp-backend") === "epoll";
    const epollMissing = epoll ? epollUnavailable() : undefined;
    if (epollMissing !== undefined) {
      throw new Error(`tcp-backend epoll cannot run: it ${epollMissing}`);
    }
    const ports: { resp?: number; kache?: number; tls?: number; http?: number } = {};
    // RESP over TLS: the same wire and connection loop; the handshake runs on the first read.
    if (tls !== undefined) {
      ports.tls = this.#bindEach(
        addresses,
        "resp",
        (hostname, port) => listenTls(hostname, port ?? tls.port, tls),
      );
      this.log.notice(`RESP over TLS on port ${ports.tls}`);
    }
    for (const wire of ["resp", "kache"] as const) {
      const configured = this.config.number(wire === "resp" ? "port" : "kache-port");
      if (configured === 0) continue;
      ports[wire] = this.#bindEach(
        addresses,
        wire,
        (hostname, port) =>
          epoll
            ? listenEpoll(hostname, port ?? configured)
            : Deno.listen({ hostname, port: port ?? configured, transport: "tcp" }),
      );
    }
    const unixPath = this.config.string("unixsocket");
    if (unixPath !== "") this.#listenUnix(unixPath);
    this.#respPort = ports.resp ?? ports.tls ?? 0;
    this.replica.start(this.persistence.loadedAux);
    const httpPort = this.config.number("http-port");
    if (httpPort !== 0) {
      // One address, the first bind names: loopback unless the operator opened the server.
      const hostname = addresses[0]?.hostname ?? "127.0.0.1";
      this.#httpView = startHttpView(this, hostname, httpPort);
      ports.http = this.#httpView.port;
      this.log.notice(`HTTP view (/metrics, live page) on http://${hostname}:${ports.http}/`);
    }
    this.#startHousekeeping();
    this.config.onChange((name) => {
      if (name === "hz") this.#startHousekeeping();
    });
    return ports;
  }

  /**
   * Listens on every bound address with one port (the first listener's, so port 0 picks one
   * ephemeral port for all) and starts accepting; returns that port.
   */
  #bindEach(
    addresses: { hostname: string; optional: boolean }[],
    wire: WireProtocol,
    listen: (hostname: string, port: number | undefined) => StreamListener,
  ): number | undefined {
    let bound: number | undefined;
    for (const { hostname, optional } of addresses) {
      let listener: StreamListener;
      try {
        listener = listen(hostname, bound);
      } catch (cause) {
        // `bind -::1`: Redis skips an optional address the host does not have (no IPv6).
        if (!optional || !isAddressUnavailable(cause)) throw cause;
        this.log.warning(`Could not bind optional address ${hostname}: ${cause}`);
        continue;
      }
      bound = (listener.addr as Deno.NetAddr).port;
      this.#listeners.push(listener);
      this.#acceptLoops.push(this.#accept(listener, wire));
    }
    return bound;
  }

  /** RESP on a Unix socket, as redis.conf's `unixsocket`; a stale file from a crash is replaced. */
  #listenUnix(path: string): void {
    try {
      Deno.removeSync(path);
    } catch {
      // No stale socket.
    }
    const listener = Deno.listen({ transport: "unix", path });
    const permissions = this.config.number("unixsocketperm");
    if (permissions !== 0) Deno.chmodSync(path, permissions);
    this.#unixSocketPath = path;
    this.#listeners.push(listener);
    this.#acceptLoops.push(this.#accept(listener, "resp"));
  }

  /**
   * Redis's serverCron runs `hz` times a second; here it closes clients idle
   * past `timeout`, samples the instantaneous rates and client buffer peaks,
   * and the memory peak, so `hz` sets how promptly each happens.
   */
  #startHousekeeping(): void {
    clearInterval(this.#housekeeping);
    this.#housekeeping = setInterval(() => this.#cron(), 1000 / this.config.number("hz"));
  }

  #cron(): void {
    this.#closeIdleClients();
    const now = Date.now();
    this.state.peakMemory = Math.max(this.state.peakMemory, this.eviction.usedMemory);
    let input = 0;
    let output = 0;
    for (const connection of this.#connections) {
      // The peaks since the last turn: a big request is often served and its buffer shrunk
      // between two turns.
      const buffers = connection.session.buffers;
      if (buffers.queryCapacityPeak > input) input = buffers.queryCapacityPeak;
      if (buffers.outputPeak > output) output = buffers.outputPeak;
      buffers.queryCapacityPeak = buffers.queryCapacity;
      buffers.outputPeak = buffers.output;
    }
    this.recentClientPeaks.input.sample(input, now);
    this.recentClientPeaks.output.sample(output, now);
    if (now - this.#lastInstantaneousSample < INSTANTANEOUS_PERIOD_MS) return;
    this.#lastInstantaneousSample = now;
    this.instantaneous.ops.sample(this.commands.totalCalls, now);
    this.instantaneous.input.sample(this.state.netInputBytes, now);
    this.instantaneous.output.sample(this.state.netOutputBytes, now);
  }

  /** Expiry sweeps that stopped at their batch limit with keys still due. */
  get expiryCapReached(): number {
    return this.#expiry.capReached;
  }

  /** CONFIG RESETSTAT's share of the cron's statistics. */
  resetCronStats(): void {
    this.state.peakMemory = this.eviction.usedMemory;
    this.recentClientPeaks.input.reset();
    this.recentClientPeaks.output.reset();
    this.#expiry.capReached = 0;
  }

  /** Bytes the clients' buffers hold beyond their base: input buffers and unsent output. */
  get clientBufferBytes(): number {
    return this.#clientBufferBytes;
  }

  /** Of {@link clientBufferBytes}, what replica links hold (the stream not yet sent to them). */
  get replicaBufferBytes(): number {
    return this.#replicaBufferBytes;
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

  /** DEBUG SET-ACTIVE-EXPIRE: turns the background expiry sweep off or back on. */
  setActiveExpire(enabled: boolean): void {
    this.#expiry.enabled = enabled;
  }

  async #shutdown(): Promise<void> {
    this.replica.close();
    for (const listener of this.#listeners) {
      try {
        listener.close();
      } catch {
        // Already closed.
      }
    }
    this.#expiry.stop();
    this.#blockingTimer.stop();
    this.replication.stop();
    this.migrations.close();
    clearInterval(this.#housekeeping);
    await this.#httpView?.close();
    if (this.#unixSocketPath !== undefined) {
      try {
        Deno.removeSync(this.#unixSocketPath);
      } catch {
        // Already gone.
      }
    }
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
  async #accept(listener: StreamListener, wire: WireProtocol): Promise<void> {
    let pause = 0;
    while (this.#stopping === undefined) {
      let conn: StreamConn;
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
      this.#open(conn, wire);
    }
  }

  #open(conn: StreamConn, wireName: WireProtocol): void {
    if (this.#connections.size >= this.config.number("maxclients")) {
      this.#refuse(conn, wireName, "ERR max number of clients reached");
      return;
    }
    if (conn.remoteAddr.transport === "tcp") {
      try {
        conn.setNoDelay?.(true);
      } catch {
        // The peer may already be gone; the read loop will notice.
      }
    }
    const local = describeAddress(conn.localAddr);
    // A Unix socket peer has no name of its own: Redis shows the socket's path for both.
    const remote = conn.remoteAddr.transport === "tcp" ? describeAddress(conn.remoteAddr) : local;
    // A Unix socket client is on this host, as Redis counts it for protected mode.
    const loopback = conn.remoteAddr.transport === "unix" || isLoopbackAddress(remote.hostname);
    this.log.verbose(
      conn.remoteAddr.transport === "unix"
        ? `Accepted connection to ${remote.hostname}`
        : `Accepted ${remote.hostname}:${remote.port}`,
    );
    // Checked per connection as Redis does, so CONFIG SET requirepass '' cannot open the port.
    const passwordSet = this.config.string("requirepass") !== "";
    if (
      deniedByProtectedMode(
        { protectedMode: this.config.boolean("protected-mode"), passwordSet },
        loopback,
      )
    ) {
      this.#refuse(conn, wireName, PROTECTED_MODE_DENIED);
      return;
    }
    const session = new Session({
      id: this.#nextClientId++,
      wire: wireName,
      address: `${remote.hostname}:${remote.port}`,
      localAddress: `${local.hostname}:${local.port}`,
      createdAt: Date.now(),
      authenticated: !passwordSet,
      local: loopback,
      unixSocket: conn.remoteAddr.transport === "unix" ? local.hostname : undefined,
    });
    const context = new SessionContext(this.databases, session, this.state, this.commands);
    const wire: Wire = wireName === "kache"
      ? new KacheWire(context, {
        maxFrameLength: this.config.number("kache-max-frame"),
        maxArgs: this.config.number("kache-max-args"),
      })
      : new RespWire(context, { maxBulkLength: this.config.number("proto-max-bulk-len") });
    // A connection turns into a replica link midway (PSYNC), so the bytes it holds are counted
    // where it stood when they were reported, and moved along when it changes sides.
    let heldBytes = 0;
    let countedAsReplica = false;
    const connection = new Connection(conn, session, wire, {
      beforeBatch: () => this.persistence.beforeBatch(),
      afterBatch: () => this.#afterBatch(),
      prefetch: (requests) => context.keyspace.prefetch(requests),
      queryBufferLimit: () => this.config.number("client-query-buffer-limit"),
      log: (text) => this.log.verbose(text),
      outputLimit: (client) =>
        client.replica
          ? this.#outputLimits.replica
          : client.subscriptions === undefined
          ? this.#outputLimits.normal
          : this.#outputLimits.pubsub,
      warn: (text) => this.log.warning(text),
      peerClosed: () => {
        if (this.log.level !== "debug" && this.log.level !== "verbose") return;
        const info = clientInfoLine(session, Date.now(), { tracking: this.tracking });
        this.log.verbose(`Client closed connection ${info}`);
      },
      bufferBytesChanged: (delta) => {
        this.#clientBufferBytes += delta;
        if (session.replica !== countedAsReplica) {
          countedAsReplica = session.replica;
          this.#replicaBufferBytes += countedAsReplica ? heldBytes : -heldBytes;
        }
        heldBytes += delta;
        if (countedAsReplica) this.#replicaBufferBytes += delta;
      },
      received: (bytes) => {
        this.state.netInputBytes += bytes;
        this.state.readsProcessed++;
      },
      sent: (bytes) => {
        this.state.netOutputBytes += bytes;
      },
      written: () => {
        this.state.writesProcessed++;
      },
    });
    session.push = (message) => connection.push(message);
    session.wake = (reply) => connection.wake(reply);
    this.#connections.add(connection);
    this.state.connectionsReceived++;
    const loop = connection.serve().finally(() => {
      this.commands.blocking.cancel(session);
      session.closed = true;
      this.tracking.disable(session);
      // The tracking table may still name this session: let it hold no connection alive.
      session.push = undefined;
      this.watches.unwatch(session);
      this.pubsub.unsubscribeAll(session);
      this.commands.monitors.remove(session);
      this.replication.detach(session);
      this.#connections.delete(connection);
      this.#connectionLoops.delete(loop);
    });
    this.#connectionLoops.add(loop);
  }

  /** The shared replication state (lib/replication/state.ts) as the replica side changes it. */
  #replicationHistory(): ReplicationHistory {
    const replication = this.replication;
    return {
      get replid() {
        return replication.state.replid;
      },
      get offset() {
        return replication.state.masterReplOffset;
      },
      adoptMaster: (replid, offset) => replication.adoptMaster(replid, offset),
      masterIdChanged: (replid) => replication.masterIdChanged(replid),
      feed: (bytes) => replication.feedFromMaster(bytes),
      promote: () => replication.promoted(),
    };
  }

  /** What follows each batch of commands, a client's or the master's. */
  #afterBatch(): Promise<void> | undefined {
    this.#expiry.reschedule();
    this.#blockingTimer.reschedule();
    this.tracking.flushBroadcasts();
    // A transaction's MULTI … EXEC wrap ends with the batch; its stream goes to replicas.
    this.stream.closeTransaction();
    this.replication.afterBatch();
    // With appendfsync always, the batch's replies wait for the AOF fsync.
    return this.persistence.afterBatch();
  }

  /** The session that applies a master's stream: authenticated, never blocked, no replies sent. */
  #masterContext(address: string): SessionContext {
    const session = new Session({
      id: this.#nextClientId++,
      wire: "resp",
      address,
      localAddress: "",
      createdAt: Date.now(),
      authenticated: true,
    });
    session.master = true;
    return new SessionContext(this.databases, session, this.state, this.commands);
  }

  /** Answers one error and closes, without ever reading from the connection. */
  #refuse(conn: StreamConn, wireName: WireProtocol, message: string): void {
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
      if (connection.lastActivity < cutoff && connection.session.idleTimeoutApplies) {
        connection.close();
      }
    }
  }
}

/** Redis's wildcard `bind` names: every IPv4 address, every IPv6 address. */
const WILDCARDS: Record<string, string> = { "*": "0.0.0.0", "::*": "::" };

/**
 * `bind 127.0.0.1 -::1`: a leading `-` marks an address skipped when the
 * host lacks it; `* -::*` is Redis's "every address".
 */
export function parseBindAddresses(text: string): { hostname: string; optional: boolean }[] {
  return text.split(/\s+/).filter(Boolean).map((word) => {
    const optional = word.startsWith("-");
    const name = optional ? word.slice(1) : word;
    return { hostname: WILDCARDS[name] ?? name, optional };
  });
}

/** Redis skips an optional address on EADDRNOTAVAIL (and on EAFNOSUPPORT, no IPv6 at all). */
function isAddressUnavailable(cause: unknown): boolean {
  return cause instanceof Deno.errors.AddrNotAvailable ||
    /Address family not supported|Cannot assign requested address/.test(String(cause));
}

/** CLIENT LIST's `addr`/`laddr` parts; a Unix socket client is `path:0`, as in Redis. */
function describeAddress(addr: Deno.Addr): { hostname: string; port: number } {
  if (addr.transport === "tcp" || addr.transport === "udp") {
    return { hostname: addr.hostname, port: addr.port };
  }
  return { hostname: (addr as Deno.UnixAddr).path ?? "", port: 0 };
}

/** A `bind` name that only loopback clients can reach. */
function isLoopbackName(hostname: string): boolean {
  return hostname === "localhost" || isLoopbackAddress(hostname);
}

function encodeKacheError(message: string): Uint8Array {
  const encoder = new KacheEncoder(64);
  encoder.writeReply(error(message));
  return encoder.take().slice();
}
