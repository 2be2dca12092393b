/**
 * Every command family, gathered into the one list the table is built from.
 * Adding a command is adding an entry to its family's file.
 *
 * @module
 */
import { BITMAP_COMMANDS } from "./bitmap.ts";
import { BLOCKING_COMMANDS } from "./blocking.ts";
import { CONNECTION_COMMANDS } from "./connection.ts";
import { DEBUG_COMMANDS } from "./debug.ts";
import { DUMP_COMMANDS } from "./dump.ts";
import { HASH_COMMANDS } from "./hash.ts";
import { HYPERLOGLOG_COMMANDS } from "./hyperloglog.ts";
import { FUNCTION_COMMANDS } from "./functions.ts";
import { GEO_COMMANDS } from "./geo.ts";
import { KEY_COMMANDS } from "./keys.ts";
import { LATENCY_COMMANDS } from "./latency.ts";
import { LIST_COMMANDS } from "./list.ts";
import { PUBSUB_COMMANDS } from "./pubsub.ts";
import { REPLICAOF_COMMANDS } from "./replicaof.ts";
import { REPLICATION_COMMANDS } from "./replication.ts";
import { SCRIPTING_COMMANDS } from "./scripting.ts";
import { SERVER_COMMANDS } from "./server.ts";
import { SET_COMMANDS } from "./set.ts";
import { SLOWLOG_COMMANDS } from "./slowlog.ts";
import { STREAM_COMMANDS } from "./stream.ts";
import { STREAM_GROUP_COMMANDS } from "./stream_group.ts";
import { STRING_COMMANDS } from "./strings.ts";
import { TRANSACTION_COMMANDS } from "./transactions.ts";
import type { CommandSpec } from "./types.ts";
import { SORTED_SET_COMMANDS } from "./zset.ts";

export const ALL_COMMANDS: readonly CommandSpec[] = [
  ...CONNECTION_COMMANDS,
  ...KEY_COMMANDS,
  ...DUMP_COMMANDS,
  ...STRING_COMMANDS,
  ...BITMAP_COMMANDS,
  ...SORTED_SET_COMMANDS,
  ...GEO_COMMANDS,
  ...LIST_COMMANDS,
  ...BLOCKING_COMMANDS,
  ...HASH_COMMANDS,
  ...SET_COMMANDS,
  ...HYPERLOGLOG_COMMANDS,
  ...STREAM_COMMANDS,
  ...STREAM_GROUP_COMMANDS,
  ...SERVER_COMMANDS,
  ...REPLICATION_COMMANDS,
  ...SLOWLOG_COMMANDS,
  ...LATENCY_COMMANDS,
  ...DEBUG_COMMANDS,
  ...PUBSUB_COMMANDS,
  ...TRANSACTION_COMMANDS,
  ...SCRIPTING_COMMANDS,
  ...FUNCTION_COMMANDS,
  ...REPLICAOF_COMMANDS,
];
