import assert from "node:assert/strict";
import { TtlHeap } from "../../lib/ttl_heap.ts";
import { seededRandom as prng } from "../../lib/random.ts";

function minimumOf(model: Map<string, number>): number | undefined {
  let minimum: number | undefined;
  for (const deadline of model.values()) {
    if (minimum === undefined || deadline < minimum) minimum = deadline;
  }
  return minimum;
}

/** Checks everything observable about the heap against the model. */
function assertMatchesModel(heap: TtlHeap, model: Map<string, number>, keySpace: number): void {
  assert.equal(heap.size, model.size);
  const minimum = minimumOf(model);
  assert.equal(heap.peekDeadline(), minimum);
  const top = heap.peekKey();
  if (minimum === undefined) {
    assert.equal(top, undefined);
  } else {
    assert.equal(model.get(top!), minimum);
  }
  for (let i = 0; i < keySpace; i++) {
    const key = `k${i}`;
    assert.equal(heap.get(key), model.get(key));
    assert.equal(heap.has(key), model.has(key));
  }
  assert.deepEqual(new Map(heap.entries()), model);
}

Deno.test("TtlHeap matches a Map model under random set, move, delete, pop and peek", () => {
  for (let seed = 1; seed <= 25; seed++) {
    const random = prng(seed);
    const heap = new TtlHeap();
    const model = new Map<string, number>();
    // Small key and deadline spaces force moves, ties and re-inserts.
    const keySpace = 5 + Math.floor(random() * 60);
    const deadlineSpace = 1 + Math.floor(random() * 200);
    for (let step = 0; step < 600; step++) {
      const key = `k${Math.floor(random() * keySpace)}`;
      const roll = random();
      if (roll < 0.5) {
        const deadline = Math.floor(random() * deadlineSpace) - deadlineSpace / 2;
        heap.set(key, deadline);
        model.set(key, deadline);
      } else if (roll < 0.7) {
        assert.equal(heap.delete(key), model.delete(key), `seed ${seed} step ${step}`);
      } else if (roll < 0.85) {
        const minimum = minimumOf(model);
        const popped = heap.pop();
        if (minimum === undefined) {
          assert.equal(popped, undefined);
        } else {
          assert.equal(model.get(popped!), minimum, `seed ${seed} step ${step}`);
          model.delete(popped!);
        }
      } else if (roll < 0.99) {
        assert.equal(heap.peekDeadline(), minimumOf(model), `seed ${seed} step ${step}`);
      } else {
        heap.clear();
        model.clear();
      }
      assertMatchesModel(heap, model, keySpace);
    }
  }
});

Deno.test("TtlHeap.pop returns keys in deadline order", () => {
  const random = prng(7);
  const heap = new TtlHeap();
  for (let i = 0; i < 2000; i++) heap.set(`k${i}`, Math.floor(random() * 500));
  // Move half of them, both earlier and later, before draining.
  for (let i = 0; i < 2000; i += 2) heap.set(`k${i}`, Math.floor(random() * 1000) - 250);
  let previous = -Infinity;
  let count = 0;
  while (heap.size > 0) {
    const deadline = heap.peekDeadline()!;
    const key = heap.peekKey()!;
    assert.equal(heap.get(key), deadline);
    assert.equal(heap.pop(), key);
    assert.ok(deadline >= previous, `${deadline} after ${previous}`);
    assert.equal(heap.has(key), false);
    previous = deadline;
    count++;
  }
  assert.equal(count, 2000);
  assert.equal(heap.pop(), undefined);
  assert.equal(heap.peekDeadline(), undefined);
  assert.equal(heap.peekKey(), undefined);
});

Deno.test("TtlHeap.set moves an existing key instead of adding a second entry", () => {
  const heap = new TtlHeap();
  heap.set("a", 100);
  heap.set("b", 50);
  heap.set("a", 10);
  assert.equal(heap.size, 2);
  assert.equal(heap.peekKey(), "a");
  heap.set("a", 1000);
  assert.equal(heap.peekKey(), "b");
  assert.equal(heap.get("a"), 1000);
  assert.equal(heap.size, 2);
});

Deno.test("TtlHeap.delete reports whether the key had a deadline", () => {
  const heap = new TtlHeap();
  heap.set("a", 1);
  assert.equal(heap.delete("missing"), false);
  assert.equal(heap.delete("a"), true);
  assert.equal(heap.delete("a"), false);
  assert.equal(heap.size, 0);
});

Deno.test("TtlHeap accepts infinite deadlines and orders them at the ends", () => {
  const heap = new TtlHeap();
  heap.set("late", Infinity);
  heap.set("mid", 0);
  heap.set("early", -Infinity);
  assert.deepEqual([heap.pop(), heap.pop(), heap.pop()], ["early", "mid", "late"]);
});

Deno.test("TtlHeap.set rejects NaN and leaves the heap unchanged", () => {
  const heap = new TtlHeap();
  heap.set("a", 5);
  heap.set("b", 7);
  assert.throws(() => heap.set("a", NaN), RangeError);
  assert.throws(() => heap.set("new", NaN), RangeError);
  assert.equal(heap.size, 2);
  assert.equal(heap.get("a"), 5);
  assert.equal(heap.has("new"), false);
  assert.equal(heap.peekDeadline(), 5);
});

Deno.test("TtlHeap.clear empties the heap and keeps it usable", () => {
  const heap = new TtlHeap();
  heap.set("a", 1);
  heap.set("b", 2);
  heap.clear();
  assert.equal(heap.size, 0);
  assert.equal(heap.get("a"), undefined);
  heap.set("b", 3);
  assert.equal(heap.peekKey(), "b");
  assert.equal(heap.size, 1);
});

Deno.test("TtlHeap.countDue counts exactly the deadlines at or before now", () => {
  const heap = new TtlHeap();
  assert.equal(heap.countDue(100), 0);
  const deadlines = [50, 10, 300, 100, 99, 101, 7, 1000, 100, 2];
  deadlines.forEach((deadline, index) => heap.set(`k${index}`, deadline));
  for (const now of [0, 2, 9, 50, 100, 101, 999, 1000, 5000]) {
    assert.equal(heap.countDue(now), deadlines.filter((d) => d <= now).length, `now=${now}`);
  }
});
