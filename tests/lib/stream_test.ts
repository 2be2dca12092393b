import assert from "node:assert/strict";
import { Stream } from "../../lib/stream.ts";
import {
  compareIds,
  formatId,
  MAX_ID,
  MIN_ID,
  nextId,
  parseId,
  previousId,
  type StreamId,
  UINT64_MAX,
} from "../../lib/stream_id.ts";
import {
  loadStreamNode,
  streamNodeBlob,
  streamNodeKey,
} from "../../lib/persistence/stream_listpack.ts";
import { stringToBytes } from "../../lib/bytes.ts";
import { ConsumerGroup, IdOrderedList } from "../../lib/stream_group.ts";

/** A deterministic pseudo-random generator, so failures reproduce. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

Deno.test("parseId reads Redis's forms and refuses the rest", () => {
  assert.deepEqual(parseId("5", { missingSeq: 0 }), { ms: 5, seq: 0, seqGiven: true });
  assert.deepEqual(parseId("5", { missingSeq: UINT64_MAX }), {
    ms: 5,
    seq: UINT64_MAX,
    seqGiven: true,
  });
  assert.deepEqual(parseId("18446744073709551615-0", { missingSeq: 0 })?.ms, UINT64_MAX);
  assert.equal(parseId("18446744073709551616-0", { missingSeq: 0 }), undefined);
  assert.equal(parseId("-1", { missingSeq: 0 }), undefined);
  assert.equal(parseId("1-x", { missingSeq: 0 }), undefined);
  assert.equal(parseId("1-*", { missingSeq: 0 }), undefined);
  assert.equal(parseId("+", { missingSeq: 0, strict: true }), undefined);
  // strtoull's leniency, which Redis inherits: a leading + and zeros.
  assert.deepEqual(parseId("+007-01", { missingSeq: 0 }), { ms: 7, seq: 1, seqGiven: true });
});

Deno.test("nextId and previousId carry across the sequence and stop at the ends", () => {
  assert.deepEqual(nextId({ ms: 1, seq: UINT64_MAX }), { ms: 2, seq: 0 });
  assert.equal(nextId(MAX_ID), undefined);
  assert.deepEqual(previousId({ ms: 2, seq: 0 }), { ms: 1, seq: UINT64_MAX });
  assert.equal(previousId(MIN_ID), undefined);
  assert.deepEqual(nextId({ ms: 1, seq: 2 ** 53 - 1 }), { ms: 1, seq: 2n ** 53n });
});

Deno.test("Stream matches a sorted-array model under random adds, deletes, ranges and trims", () => {
  const next = random(7);
  for (let round = 0; round < 20; round++) {
    const stream = new Stream();
    const model: { id: StreamId; fields: string[] }[] = [];
    let now = 1;
    const limits = {
      maxBytes: 200 + Math.floor(next() * 400),
      maxEntries: 2 + Math.floor(next() * 10),
    };
    for (let step = 0; step < 400; step++) {
      const choice = next();
      if (choice < 0.6) {
        now += Math.floor(next() * 3);
        const fields = next() < 0.5
          ? ["a", String(step)]
          : ["a", String(step), "b", "x".repeat(step % 70)];
        const result = stream.add(fields, { now, limits });
        assert.ok(result.ok);
        model.push({ id: result.id, fields });
      } else if (choice < 0.75 && model.length > 0) {
        const index = Math.floor(next() * model.length);
        assert.equal(stream.delete(model[index]!.id), true);
        assert.equal(stream.delete(model[index]!.id), false);
        model.splice(index, 1);
      } else if (choice < 0.8) {
        const maxlen = Math.floor(next() * model.length);
        const removed = stream.trim({
          strategy: { kind: "maxlen", maxlen },
          approximate: false,
          limit: 0,
        });
        assert.equal(removed, Math.max(0, model.length - maxlen));
        model.splice(0, removed);
      } else if (choice < 0.85 && model.length > 0) {
        const minid = model[Math.floor(next() * model.length)]!.id;
        const removed = stream.trim({
          strategy: { kind: "minid", minid },
          approximate: true,
          limit: 0,
        });
        // Approximate: only whole nodes go, never an entry at or above the threshold.
        assert.ok(model.slice(0, removed).every((entry) => compareIds(entry.id, minid) < 0));
        model.splice(0, removed);
      } else if (model.length > 0) {
        const a = model[Math.floor(next() * model.length)]!.id;
        const b = model[Math.floor(next() * model.length)]!.id;
        const [start, end] = compareIds(a, b) <= 0 ? [a, b] : [b, a];
        const count = Math.floor(next() * 5);
        const expected = model.filter((e) =>
          compareIds(e.id, start) >= 0 && compareIds(e.id, end) <= 0
        );
        const forward = count === 0 ? expected : expected.slice(0, count);
        const backward = count === 0
          ? [...expected].reverse()
          : [...expected].reverse().slice(0, count);
        assert.deepEqual(
          stream.range(start, end, count).map((e) => formatId(e.id)),
          forward.map((e) => formatId(e.id)),
        );
        assert.deepEqual(
          stream.range(start, end, count, true).map((e) => formatId(e.id)),
          backward.map((e) => formatId(e.id)),
        );
      }
      stream.checkInvariants();
      assert.equal(stream.size, model.length);
      assert.deepEqual(stream.firstId, model[0]?.id ?? MIN_ID);
    }
    assert.deepEqual(
      stream.range(MIN_ID, MAX_ID),
      model.map((e) => ({ id: e.id, fields: e.fields })),
    );
    for (const node of stream.nodes) {
      assert.ok(node.total <= limits.maxEntries);
    }
  }
});

Deno.test("Stream nodes survive the listpack encoding, tombstones and node bytes included", () => {
  const stream = new Stream();
  for (let i = 1; i <= 250; i++) stream.add([`f${i % 3}`, `v${i}`, "n", String(i)], { now: i });
  stream.delete({ ms: 5, seq: 0 });
  stream.delete({ ms: 150, seq: 0 });
  const loaded = new Stream();
  for (const node of stream.nodes) {
    const blob = streamNodeBlob(node);
    loadStreamNode(loaded, streamNodeKey(node), stringToBytes(blob));
  }
  loaded.setMetadata({ lastId: stream.lastId, entriesAdded: stream.entriesAdded });
  loaded.checkInvariants();
  assert.deepEqual(loaded.range(MIN_ID, MAX_ID), stream.range(MIN_ID, MAX_ID));
  assert.deepEqual(
    loaded.nodes.map((node) => [node.total, node.live]),
    stream.nodes.map((node) => [node.total, node.live]),
  );
});

Deno.test("Stream keeps IDs beyond 2^53 exact", () => {
  const stream = new Stream();
  const big = { ms: 2n ** 60n + 1n, seq: UINT64_MAX };
  assert.ok(stream.add(["a", "1"], { now: 0, id: big }).ok);
  const after = stream.add(["a", "2"], { now: 0 });
  assert.ok(after.ok);
  assert.equal(formatId(after.id), `${2n ** 60n + 2n}-0`);
  assert.equal(stream.range(MIN_ID, MAX_ID).length, 2);
  assert.equal(stream.get(big)?.fields[1], "1");
});

Deno.test("IdOrderedList matches a sorted-map model under random inserts, deletes and walks", () => {
  const next = random(3);
  const list = new IdOrderedList<{ id: StreamId }>();
  const model = new Map<string, StreamId>();
  const key = (id: StreamId) =>
    `${String(id.ms).padStart(6, "0")}-${String(id.seq).padStart(3, "0")}`;
  for (let step = 0; step < 5000; step++) {
    const id = { ms: Math.floor(next() * 2000), seq: Math.floor(next() * 3) };
    if (next() < 0.6) {
      assert.equal(list.insert({ id }), !model.has(key(id)));
      model.set(key(id), id);
    } else {
      assert.equal(list.delete(id) !== undefined, model.delete(key(id)));
    }
    if (step % 250 === 0) {
      const sorted = [...model.keys()].sort();
      assert.deepEqual([...list].map((item) => key(item.id)), sorted);
      assert.equal(list.size, model.size);
      const from = { ms: Math.floor(next() * 2000), seq: 0 };
      assert.deepEqual(
        [...list.from(from)].map((item) => key(item.id)),
        sorted.filter((k) => k >= key(from)),
      );
      assert.equal(list.get(from) !== undefined, model.has(key(from)));
    }
  }
});

Deno.test("ConsumerGroup moves pending entries between consumers and forgets a deleted consumer's", () => {
  const group = new ConsumerGroup("g", MIN_ID, 0);
  const alice = group.createConsumer("alice", 1);
  const bob = group.createConsumer("bob", 1);
  group.deliver({ ms: 1, seq: 0 }, alice, 10);
  group.deliver({ ms: 2, seq: 0 }, alice, 10);
  const again = group.deliver({ ms: 1, seq: 0 }, bob, 20);
  assert.equal(again.consumer, bob);
  assert.equal(again.deliveryCount, 1);
  assert.equal(alice.pending.size, 1);
  group.assign(group.pending.get({ ms: 2, seq: 0 })!, bob);
  assert.equal(alice.pending.size, 0);
  assert.equal(bob.pending.size, 2);
  assert.equal(group.acknowledge({ ms: 1, seq: 0 }), true);
  assert.equal(group.acknowledge({ ms: 1, seq: 0 }), false);
  assert.equal(group.deleteConsumer(bob), 1);
  assert.equal(group.pending.size, 0);
  assert.deepEqual(group.sortedConsumers().map((c) => c.name), ["alice"]);
});

Deno.test("radixTreeNodes counts Redis's rax nodes for the node keys", () => {
  // Values read from redis-server 7.0's XINFO STREAM for the same node keys.
  const stream = new Stream();
  assert.equal(stream.radixTreeNodes(), 1);
  stream.add(["f", "v"], { now: 0, id: { ms: 1, seq: 1 } });
  assert.equal(stream.radixTreeNodes(), 2);
  const limits = { maxBytes: 4096, maxEntries: 1 };
  stream.add(["f", "v"], { now: 0, id: { ms: 1, seq: 2 }, limits });
  // Keys share 15 bytes: one compressed node, one branch, two leaves.
  assert.equal(stream.radixTreeNodes(), 4);
});
