/**
 * INFO's replication section and ROLE's reply, with the fields and order
 * Redis 7.0 prints (server.c genRedisInfoString, replication.c
 * roleCommand). The master's half is filled from {@link ReplicationState}
 * and the attached replicas; a replica's own fields (master_host …
 * replica_announced) come from {@link ReplicationView.replicaOf}, which the
 * replica side provides, and take Redis's place right after `role`.
 *
 * @module
 */
import { array, bulk, integer, type Reply } from "../reply.ts";
import type { ReplicationState } from "./state.ts";

/** Where a replica attached to this server is in its sync (Redis's replstateToString). */
export type AttachedReplicaState = "wait_bgsave" | "send_bulk" | "online";

/** A replica attached to this server, as INFO and ROLE show it. */
export interface AttachedReplica {
  /** REPLCONF ip-address, else the connection's peer address. */
  readonly ip: string;
  /** REPLCONF listening-port (0 when never sent). */
  readonly port: number;
  readonly state: AttachedReplicaState;
  /** The offset of its last REPLCONF ACK. */
  readonly ackOffset: number;
  /** Unix ms of its last REPLCONF ACK. */
  readonly ackTime: number;
}

/** A replica's own link to its master: ROLE's items and INFO's fields after `role`. */
export interface ReplicaOfView {
  readonly masterHost: string;
  readonly masterPort: number;
  /** ROLE's state word: connect, connecting, handshake, sync, connected. */
  readonly linkState: string;
  /** The offset processed from the master, -1 when not connected (ROLE's last item). */
  readonly processedOffset: number;
  /** INFO rows from master_host to replica_announced, in Redis's order. */
  infoFields(now: number): [string, string | number][];
}

/** Everything the section and ROLE are made of. */
export interface ReplicationView {
  readonly state: ReplicationState;
  /** Replicas attached to this server, in attach order. */
  readonly replicas: readonly AttachedReplica[];
  /** Set on a replica (REPLICAOF host port); undefined on a master. */
  readonly replicaOf?: ReplicaOfView;
  /** `min-replicas-to-write` and `min-replicas-max-lag` both set: the good replicas now. */
  readonly goodReplicas?: number;
  /** Redis's failover state word (FAILOVER command); "no-failover" without one. */
  readonly failoverState?: string;
}

/**
 * INFO replication's rows at Unix ms `now`.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { ReplicationState } from "./state.ts";
 * const rows = replicationInfo({ state: new ReplicationState(), replicas: [] }, 0);
 * strictEqual(rows[0]![1], "master");
 * strictEqual(rows.find(([name]) => name === "repl_backlog_active")![1], 0);
 * ```
 */
export function replicationInfo(view: ReplicationView, now: number): [string, string | number][] {
  const { state, replicas, replicaOf } = view;
  const rows: [string, string | number][] = [[
    "role",
    replicaOf === undefined ? "master" : "slave",
  ]];
  if (replicaOf !== undefined) rows.push(...replicaOf.infoFields(now));
  rows.push(["connected_slaves", replicas.length]);
  if (view.goodReplicas !== undefined) rows.push(["min_slaves_good_slaves", view.goodReplicas]);
  replicas.forEach((replica, index) => {
    const lag = replica.state === "online" ? Math.floor((now - replica.ackTime) / 1000) : 0;
    rows.push([
      `slave${index}`,
      `ip=${replica.ip},port=${replica.port},state=${replica.state},` +
      `offset=${replica.ackOffset},lag=${lag}`,
    ]);
  });
  const backlog = state.backlog;
  rows.push(
    ["master_failover_state", view.failoverState ?? "no-failover"],
    ["master_replid", state.replid],
    ["master_replid2", state.replid2],
    ["master_repl_offset", state.masterReplOffset],
    ["second_repl_offset", state.secondReplOffset],
    ["repl_backlog_active", backlog === undefined ? 0 : 1],
    ["repl_backlog_size", state.backlogSize],
    ["repl_backlog_first_byte_offset", backlog?.firstByteOffset ?? 0],
    ["repl_backlog_histlen", backlog?.histlen ?? 0],
  );
  return rows;
}

/**
 * ROLE: `master`, the offset and the online replicas (ip, port, acked
 * offset, all as bulk strings), or `slave`, the master, the link state and
 * the processed offset.
 */
export function roleReply(view: ReplicationView): Reply {
  const replicaOf = view.replicaOf;
  if (replicaOf !== undefined) {
    return array([
      bulk("slave"),
      bulk(replicaOf.masterHost),
      integer(replicaOf.masterPort),
      bulk(replicaOf.linkState),
      integer(replicaOf.processedOffset),
    ]);
  }
  const online = view.replicas.filter((replica) => replica.state === "online");
  return array([
    bulk("master"),
    integer(view.state.masterReplOffset),
    array(
      online.map((replica) =>
        array([bulk(replica.ip), bulk(String(replica.port)), bulk(String(replica.ackOffset))])
      ),
    ),
  ]);
}
