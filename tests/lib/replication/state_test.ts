import assert from "node:assert/strict";
import {
  MIN_BACKLOG_SIZE,
  NO_REPLID,
  randomReplid,
  ReplicationBacklog,
  ReplicationState,
} from "../../../lib/replication/state.ts";
import { replicationInfo, roleReply } from "../../../lib/replication/report.ts";
import { seededRandom } from "../../../lib/random.ts";

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (data: Uint8Array) => new TextDecoder().decode(data);

Deno.test("randomReplid is 40 lower-case hex characters, different each time", () => {
  const first = randomReplid();
  assert.match(first, /^[0-9a-f]{40}$/);
  assert.notEqual(first, randomReplid());
});

Deno.test("ReplicationBacklog keeps the last size bytes across wraps, as a model string does", () => {
  const random = seededRandom(15);
  const size = 37;
  const backlog = new ReplicationBacklog(size, 1);
  let model = "";
  for (let round = 0; round < 500; round++) {
    const length = Math.floor(random() * 60);
    const chunk = Array.from({ length }, () => String.fromCharCode(97 + Math.floor(random() * 26)))
      .join("");
    backlog.append(bytes(chunk));
    model += chunk;
    const kept = model.slice(-size);
    assert.equal(backlog.histlen, kept.length);
    assert.equal(backlog.firstByteOffset, model.length - kept.length + 1);
    const from = backlog.firstByteOffset + Math.floor(random() * (kept.length + 1));
    assert.equal(text(backlog.from(from)), model.slice(from - 1));
  }
});

Deno.test("ReplicationBacklog.holds takes the end (nothing to send) and refuses outside", () => {
  const backlog = new ReplicationBacklog(4, 11);
  assert.ok(backlog.holds(11));
  assert.ok(!backlog.holds(12));
  backlog.append(bytes("abcdef"));
  assert.equal(backlog.firstByteOffset, 13);
  assert.ok(backlog.holds(17));
  assert.ok(!backlog.holds(12));
  assert.ok(!backlog.holds(18));
  assert.throws(() => backlog.from(12), RangeError);
});

Deno.test("ReplicationBacklog.resized keeps the newest bytes", () => {
  const backlog = new ReplicationBacklog(8, 1);
  backlog.append(bytes("0123456789"));
  const smaller = backlog.resized(3);
  assert.equal(text(smaller.from(smaller.firstByteOffset)), "789");
  assert.equal(smaller.firstByteOffset, 8);
  const bigger = backlog.resized(100);
  assert.equal(text(bigger.from(bigger.firstByteOffset)), "23456789");
});

Deno.test("ReplicationState counts offsets and feeds the backlog only once it exists", () => {
  const state = new ReplicationState({ backlogSize: MIN_BACKLOG_SIZE });
  state.feed(bytes("before"));
  assert.equal(state.masterReplOffset, 6);
  state.createBacklog();
  assert.equal(state.backlog!.firstByteOffset, 7);
  state.feed(bytes("after"));
  assert.equal(state.masterReplOffset, 11);
  assert.equal(text(state.backlogFrom(7)), "after");
});

Deno.test("ReplicationState raises a backlog size below 16kb to 16kb", () => {
  assert.equal(new ReplicationState({ backlogSize: 10 }).backlogSize, MIN_BACKLOG_SIZE);
});

Deno.test("decidePsync continues within the backlog and refuses outside it or another ID", () => {
  const ids = ["a".repeat(40), "b".repeat(40), "c".repeat(40)];
  const state = new ReplicationState({ newReplid: () => ids.shift()! });
  state.createBacklog();
  state.feed(bytes("x".repeat(100)));
  assert.deepEqual(state.decidePsync("a".repeat(40), 101), { kind: "continue", offset: 101 });
  assert.deepEqual(state.decidePsync("A".repeat(40), 1), { kind: "continue", offset: 1 });
  assert.equal(state.decidePsync("a".repeat(40), 102).kind, "fullresync");
  assert.match(
    (state.decidePsync("a".repeat(40), 102) as { reason: string }).reason,
    /lack of backlog \(Replica request was: 102\)/,
  );
  assert.deepEqual(state.decidePsync("?", -1), { kind: "fullresync" });
  const mismatch = state.decidePsync("f".repeat(40), 50);
  assert.match(
    (mismatch as { reason: string }).reason,
    /^Replication ID mismatch \(Replica asked for 'f{40}', my replication IDs are 'a{40}' and '0{40}'\)$/,
  );
});

Deno.test("shiftReplicationId lets the old ID continue up to the promotion, not beyond (PSYNC2)", () => {
  const ids = ["a".repeat(40), "b".repeat(40)];
  const state = new ReplicationState({ newReplid: () => ids.shift()! });
  state.createBacklog();
  state.feed(bytes("y".repeat(50)));
  state.shiftReplicationId();
  assert.equal(state.replid, "b".repeat(40));
  assert.equal(state.replid2, "a".repeat(40));
  assert.equal(state.secondReplOffset, 51);
  state.feed(bytes("z".repeat(10)));
  // A replica of the old master that saw everything asks for 51: continued under the new ID.
  assert.deepEqual(state.decidePsync("a".repeat(40), 51), { kind: "continue", offset: 51 });
  assert.deepEqual(state.decidePsync("a".repeat(40), 20), { kind: "continue", offset: 20 });
  const beyond = state.decidePsync("a".repeat(40), 55);
  assert.match(
    (beyond as { reason: string }).reason,
    /^Requested offset for second ID was 55, but I can reply up to 51$/,
  );
  state.clearReplicationId2();
  assert.equal(state.replid2, NO_REPLID);
  assert.equal(state.secondReplOffset, -1);
  assert.equal(state.decidePsync("a".repeat(40), 51).kind, "fullresync");
});

Deno.test("replicationInfo prints Redis 7.0's master fields in order, replica lines included", () => {
  const state = new ReplicationState({ newReplid: () => "d".repeat(40) });
  state.createBacklog();
  state.feed(bytes("*1\r\n$4\r\nPING\r\n"));
  const rows = replicationInfo({
    state,
    replicas: [
      { ip: "10.0.0.2", port: 6380, state: "online", ackOffset: 14, ackTime: 1_000 },
      { ip: "10.0.0.3", port: 0, state: "wait_bgsave", ackOffset: 0, ackTime: 0 },
    ],
    goodReplicas: 1,
  }, 3_500);
  assert.deepEqual(rows, [
    ["role", "master"],
    ["connected_slaves", 2],
    ["min_slaves_good_slaves", 1],
    ["slave0", "ip=10.0.0.2,port=6380,state=online,offset=14,lag=2"],
    ["slave1", "ip=10.0.0.3,port=0,state=wait_bgsave,offset=0,lag=0"],
    ["master_failover_state", "no-failover"],
    ["master_replid", "d".repeat(40)],
    ["master_replid2", NO_REPLID],
    ["master_repl_offset", 14],
    ["second_repl_offset", -1],
    ["repl_backlog_active", 1],
    ["repl_backlog_size", 1048576],
    ["repl_backlog_first_byte_offset", 1],
    ["repl_backlog_histlen", 14],
  ]);
});

Deno.test("replicationInfo puts a replica's own fields right after role", () => {
  const rows = replicationInfo({
    state: new ReplicationState(),
    replicas: [],
    replicaOf: {
      masterHost: "127.0.0.1",
      masterPort: 6379,
      linkState: "connected",
      processedOffset: 5,
      infoFields: () => [["master_host", "127.0.0.1"], ["master_port", 6379]],
    },
  }, 0);
  assert.deepEqual(rows.slice(0, 4), [
    ["role", "slave"],
    ["master_host", "127.0.0.1"],
    ["master_port", 6379],
    ["connected_slaves", 0],
  ]);
});

Deno.test("roleReply lists only online replicas, with bulk strings as Redis does", () => {
  const state = new ReplicationState();
  state.feed(bytes("abc"));
  const reply = roleReply({
    state,
    replicas: [
      { ip: "h1", port: 1, state: "online", ackOffset: 3, ackTime: 0 },
      { ip: "h2", port: 2, state: "send_bulk", ackOffset: 0, ackTime: 0 },
    ],
  });
  assert.deepEqual(reply, {
    kind: "array",
    items: [
      { kind: "bulk", value: "master" },
      { kind: "integer", value: 3 },
      {
        kind: "array",
        items: [{
          kind: "array",
          items: [
            { kind: "bulk", value: "h1" },
            { kind: "bulk", value: "1" },
            { kind: "bulk", value: "3" },
          ],
        }],
      },
    ],
  });
});
