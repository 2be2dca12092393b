/**
 * What replication commands (lib/commands/replication.ts) ask of the server:
 * the typed seam between the pure command table and server/replication/,
 * which owns the sockets, the snapshots sent to replicas and the timers.
 *
 * @module
 */
import type { CommandContext } from "../commands/types.ts";
import type { Reply } from "../reply.ts";
import type { Session } from "../session.ts";
import type { ReplicationView } from "./report.ts";

export interface ReplicationControl {
  /** What ROLE and INFO replication show now. */
  view(): ReplicationView;
  /**
   * SYNC (`psync` undefined) or PSYNC replid offset from `session`: its
   * connection becomes a replica link, fed an RDB or the backlog and then
   * the command stream. Returns an error reply when it cannot.
   */
  attachReplica(
    session: Session,
    psync: { readonly replid: string; readonly offset: number } | undefined,
  ): Reply;
  /** REPLCONF option value … (listening-port, ip-address, capa, ack, getack). */
  replconf(session: Session, argv: readonly string[]): Reply;
  /**
   * WAIT: the number of replicas that acknowledged the session's last write,
   * at once when `numReplicas` already did; else blocks the session until
   * they do or `timeoutMs` passes (0 = no limit) and returns a placeholder
   * the wire never sends (the session's `blocked` state tells it to wait).
   */
  wait(context: CommandContext, numReplicas: number, timeoutMs: number): Reply;
}
