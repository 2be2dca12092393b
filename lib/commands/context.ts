/**
 * The {@link CommandContext} of a session: `keyspace` is always the
 * session's selected database, read per access, so SELECT (also inside
 * MULTI/EXEC) takes effect for the very next command without anyone
 * keeping a reference up to date.
 *
 * @module
 */
import type { Databases } from "../databases.ts";
import type { Keyspace } from "../keyspace.ts";
import type { ServerControl } from "../server_control.ts";
import type { Session } from "../session.ts";
import type { CommandTable } from "./table.ts";
import type { CommandContext } from "./types.ts";

/**
 * @example The keyspace follows SELECT
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { Databases } from "../databases.ts";
 * import { Session } from "../session.ts";
 * const databases = new Databases(16);
 * const session = new Session({
 *   id: 1, wire: "resp", address: "", localAddress: "", createdAt: 0, authenticated: true,
 * });
 * const context = new SessionContext(databases, session, undefined!, undefined!);
 * session.db = 2;
 * strictEqual(context.keyspace, databases.at(2));
 * ```
 */
export class SessionContext implements CommandContext {
  readonly session: Session;
  readonly server: ServerControl;
  readonly commands: CommandTable;
  readonly #databases: Databases;

  constructor(
    databases: Databases,
    session: Session,
    server: ServerControl,
    commands: CommandTable,
  ) {
    this.#databases = databases;
    this.session = session;
    this.server = server;
    this.commands = commands;
  }

  /** The session's selected database. */
  get keyspace(): Keyspace {
    return this.#databases.at(this.session.db);
  }
}
