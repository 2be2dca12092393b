import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import { MemberSet } from "../../lib/member_set.ts";
import { memberSetBytes } from "../../lib/memory.ts";
import { seededRandom } from "../../lib/random.ts";

Deno.test("MemberSet.add and remove report whether anything changed", () => {
  const set = new MemberSet();
  strictEqual(set.add("a"), true);
  strictEqual(set.add("a"), false);
  strictEqual(set.add("b"), true);
  strictEqual(set.remove("c"), false);
  strictEqual(set.remove("a"), true);
  deepStrictEqual(set.memberList(), ["b"]);
  set.checkInvariants();
});

Deno.test("MemberSet.popAt removes in O(1) by moving the last member", () => {
  const set = MemberSet.of(["a", "b", "c", "d", "a"]);
  strictEqual(set.size, 4);
  strictEqual(set.popAt(0), "a");
  deepStrictEqual(set.memberList(), ["d", "b", "c"]);
  strictEqual(set.at(0), "d");
  throws(() => set.at(3), RangeError);
  throws(() => set.popAt(-1), RangeError);
  set.checkInvariants();
});

Deno.test("MemberSet.byteSize returns to the empty size when emptied", () => {
  const set = new MemberSet();
  const empty = set.byteSize;
  strictEqual(empty, memberSetBytes(0, 0));
  set.add("x".repeat(100));
  strictEqual(set.takeByteDelta(), set.byteSize);
  set.popAt(0);
  strictEqual(set.byteSize, empty);
});

Deno.test("MemberSet agrees with a Set model over random operations", () => {
  for (const seed of [11, 12, 13]) {
    const random = seededRandom(seed);
    const set = new MemberSet();
    const model = new Set<string>();
    for (let step = 0; step < 5000; step++) {
      const member = String(Math.floor(random() * 80));
      const choice = random();
      if (choice < 0.45) {
        strictEqual(set.add(member), !model.has(member));
        model.add(member);
      } else if (choice < 0.75) {
        strictEqual(set.remove(member), model.delete(member));
      } else if (set.size > 0) {
        const popped = set.popAt(Math.floor(random() * set.size));
        strictEqual(model.delete(popped), true);
      }
      strictEqual(set.has(member), model.has(member));
      strictEqual(set.size, model.size);
      if (step % 500 === 0) set.checkInvariants();
    }
    set.checkInvariants();
    deepStrictEqual(new Set(set.members()), model);
    const scanned = new Set<string>();
    let cursor: number | bigint = 0;
    do {
      const step = set.scan(cursor, 50);
      step.keys.forEach((member) => scanned.add(member));
      cursor = step.cursor;
    } while (cursor !== 0);
    deepStrictEqual(scanned, model);
  }
});
