/**
 * Runs commands straight through the command table with an injected clock,
 * no sockets: the fixture for every command family's unit tests.
 */
import type { MemoryFigures } from "../../lib/memory_doctor.ts";
import { ALL_COMMANDS } from "../../lib/commands/mod.ts";
import { CommandTable } from "../../lib/commands/table.ts";
import { SessionContext } from "../../lib/commands/context.ts";
import { Config } from "../../lib/config.ts";
import { globToRegExp } from "../../lib/glob.ts";
import { Databases } from "../../lib/databases.ts";
import type { Keyspace } from "../../lib/keyspace.ts";
import { PubSub } from "../../lib/pubsub.ts";
import { error, materialize, type Reply } from "../../lib/reply.ts";
import type { ServerControl } from "../../lib/server_control.ts";
import { Session, type WireProtocol } from "../../lib/session.ts";
import { combineObservers } from "../../server/observers.ts";
import { Tracking } from "../../lib/tracking.ts";
import { WatchRegistry } from "../../lib/watch.ts";

/** A ServerControl with fixed answers, enough for commands that ask the server things. */
export class FakeServer implements ServerControl {
  readonly databases = new Databases(16);
  readonly watches = new WatchRegistry();
  readonly pubsub = new PubSub();
  readonly tracking = new Tracking();
  nowMicros = 1_700_000_000_000_000;
  sessionList: Session[] = [];
  /** The real configuration table, so CONFIG tests see real validation. */
  readonly config = new Config();
  resetCount = 0;
  clockMicros(): number {
    return this.nowMicros;
  }
  random(): number {
    return Math.random();
  }
  info(sections: readonly string[]): string {
    return `# Server\r\nredis_version:7.0.15\r\nsections:${sections.join(",")}\r\n`;
  }
  configGet(patterns: readonly string[]): [string, string][] {
    const matchers = patterns.map((pattern) => globToRegExp(pattern.toLowerCase()));
    return this.config.get((name) => matchers.some((matcher) => matcher.test(name)));
  }
  configSet(name: string, value: string): string | undefined {
    return this.config.set(name, value, { startup: false });
  }
  resetStats(): void {
    this.resetCount++;
  }
  memoryFigures(): MemoryFigures {
    return {
      used: this.databases.usedMemory,
      peak: this.databases.usedMemory,
      rssGrowth: 0,
      heapUsed: 0,
      heapReserved: 0,
      clientBuffers: 0,
      clients: this.sessionList.length,
      cachedScripts: 0,
    };
  }
  configRewrite(): string | undefined {
    return "ERR The server is running without a config file";
  }
  sessions(): Iterable<Session> {
    return this.sessionList;
  }
  kill(session: Session): void {
    session.closeRequested = true;
    this.sessionList = this.sessionList.filter((other) => other !== session);
    this.watches.unwatch(session);
  }
  checkPassword(_user: string, password: string): boolean | undefined {
    const expected = this.config.string("requirepass");
    return expected === "" ? undefined : password === expected;
  }
  lastSave(): number {
    return 1_700_000_000;
  }
  admin(argv: readonly string[]): Reply {
    return error(`ERR ${argv[0]} not available in tests`);
  }
}

export interface Harness {
  /** Database 0, where sessions start. */
  readonly keyspace: Keyspace;
  readonly databases: Databases;
  readonly commands: CommandTable;
  readonly server: FakeServer;
  readonly session: Session;
  /** Runs one command at the current clock; strings are one-byte strings. */
  run(...argv: string[]): Reply;
  /** Moves the injected clock (Unix ms). */
  setNow(milliseconds: number): void;
  /**
   * Another client of the same server (WATCH, CLIENT tests), on the RESP wire
   * unless told; `local`: on loopback.
   */
  newSession(
    options?: { wire?: WireProtocol; local?: boolean },
  ): { session: Session; run(...argv: string[]): Reply };
}

export function createHarness(now = 1_700_000_000_000): Harness {
  const commands = new CommandTable(ALL_COMMANDS);
  const server = new FakeServer();
  const keyspace = server.databases.at(0);
  keyspace.now = now;
  // Tracking always listens here, so command tests see invalidations without a server.
  server.databases.shared.observer = combineObservers([server.watches, server.tracking]);
  commands.tracking = server.tracking;
  let nextId = 1;
  const makeSession = (options: { wire?: WireProtocol; local?: boolean } = {}) => {
    const wire = options.wire ?? "resp";
    const id = nextId++;
    const session = new Session({
      id,
      wire,
      // Distinct peer ports, so CLIENT KILL ADDR can tell the clients apart.
      address: `127.0.0.1:${50000 + id}`,
      localAddress: "127.0.0.1:6379",
      createdAt: keyspace.now,
      authenticated: true,
      local: options.local,
    });
    server.sessionList.push(session);
    const context = new SessionContext(server.databases, session, server, commands);
    const run = (...argv: string[]) => {
      // Materialized at once, as a wire encodes a reply before anything else runs.
      const reply = materialize(commands.execute(context, argv));
      // As the wires do once the reply is written: messages held for the caller go out now.
      session.flushDeferredPushes();
      return reply;
    };
    return { session, run };
  };
  const first = makeSession();
  return {
    keyspace,
    databases: server.databases,
    commands,
    server,
    session: first.session,
    run: first.run,
    setNow(milliseconds) {
      keyspace.now = milliseconds;
      server.nowMicros = milliseconds * 1000;
    },
    newSession: makeSession,
  };
}
