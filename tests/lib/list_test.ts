/**
 * Model-based checks of the List deque: random operations applied to a List
 * and to a plain array must agree after every step, including the byte
 * estimate, across growth, shrinking and wrap-around of the ring buffer.
 */
import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { List } from "../../lib/list.ts";
import { listBytes, stringBytes } from "../../lib/memory.ts";

/** A deterministic pseudo-random generator, so failures reproduce. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function check(list: List, model: string[], step: string): void {
  strictEqual(list.size, model.length, step);
  deepStrictEqual([...list.values()], model, step);
  const elementBytes = model.reduce((sum, value) => sum + stringBytes(value.length), 0);
  // The slot count is internal; the estimate must be the base plus some power-of-two slots.
  const slots = (list.byteSize - listBytes(0, elementBytes)) / 8;
  strictEqual(Number.isInteger(Math.log2(slots)) && slots >= model.length, true, step);
}

Deno.test("List agrees with an array model under random pushes, pops, sets, inserts, removes and trims", () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    const next = random(seed);
    const list = new List();
    const model: string[] = [];
    for (let step = 0; step < 3000; step++) {
      const choice = next();
      const value = "v".repeat(Math.floor(next() * 3)) + String(Math.floor(next() * 8));
      // Bias towards growth first, then shrinking, so both resizes happen.
      const grow = step < 1500 ? 0.6 : 0.3;
      let label: string;
      if (choice < grow / 2) {
        label = `pushFront ${value}`;
        list.pushFront(value);
        model.unshift(value);
      } else if (choice < grow) {
        label = `pushBack ${value}`;
        list.pushBack(value);
        model.push(value);
      } else if (choice < grow + 0.1) {
        label = "popFront";
        strictEqual(list.popFront(), model.shift(), label);
      } else if (choice < grow + 0.2) {
        label = "popBack";
        strictEqual(list.popBack(), model.pop(), label);
      } else if (choice < grow + 0.25 && model.length > 0) {
        const index = Math.floor(next() * model.length);
        label = `set ${index} ${value}`;
        list.set(index, value);
        model[index] = value;
      } else if (choice < grow + 0.3) {
        const index = Math.floor(next() * (model.length + 1));
        label = `insertAt ${index} ${value}`;
        list.insertAt(index, value);
        model.splice(index, 0, value);
      } else if (choice < grow + 0.33) {
        const count = Math.floor(next() * 5) - 2;
        label = `remove ${value} ${count}`;
        const expected = removeFromModel(model, value, count);
        strictEqual(list.remove(value, count), expected, label);
      } else if (choice < grow + 0.35 && model.length > 0) {
        const start = Math.floor(next() * model.length);
        const stop = start + Math.floor(next() * (model.length - start));
        label = `trim ${start} ${stop}`;
        list.trim(start, stop);
        model.splice(stop + 1);
        model.splice(0, start);
      } else {
        const index = Math.floor(next() * (model.length + 2)) - 1;
        label = `at ${index}`;
        strictEqual(list.at(index), model[index], label);
        continue;
      }
      check(list, model, `seed ${seed} step ${step}: ${label}`);
    }
  }
});

function removeFromModel(model: string[], value: string, count: number): number {
  const limit = count === 0 ? Infinity : Math.abs(count);
  let removed = 0;
  if (count >= 0) {
    for (let i = 0; i < model.length && removed < limit;) {
      if (model[i] === value) {
        model.splice(i, 1);
        removed++;
      } else i++;
    }
  } else {
    for (let i = model.length - 1; i >= 0 && removed < limit; i--) {
      if (model[i] === value) {
        model.splice(i, 1);
        removed++;
      }
    }
  }
  return removed;
}

Deno.test("List takeByteDelta reports growth and shrinkage once each", () => {
  const list = new List();
  const first = list.takeByteDelta();
  strictEqual(first, list.byteSize);
  for (let i = 0; i < 100; i++) list.pushBack(`element-${i}`);
  const grown = list.takeByteDelta();
  strictEqual(grown > 100 * stringBytes(9), true);
  strictEqual(list.takeByteDelta(), 0);
  while (list.size > 0) list.popFront();
  strictEqual(list.takeByteDelta() < 0, true);
  strictEqual(list.reportedBytes, list.byteSize);
});

Deno.test("List slice reads across the ring buffer's wrap-around", () => {
  const list = new List();
  for (let i = 0; i < 6; i++) list.pushBack(String(i));
  for (let i = 0; i < 4; i++) list.popFront();
  for (let i = 6; i < 10; i++) list.pushBack(String(i));
  list.pushFront("x");
  deepStrictEqual(list.slice(0, list.size - 1), ["x", "4", "5", "6", "7", "8", "9"]);
  deepStrictEqual(list.slice(2, 4), ["5", "6", "7"]);
});
