import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import {
  type LexBound,
  type ScoreBound,
  SMALL_MAX_LENGTH,
  SMALL_MAX_MEMBERS,
  SortedSet,
} from "../../lib/zset.ts";
import { seededRandom as prng } from "../../lib/random.ts";

type Pair = [string, number];

function setOf(pairs: ReadonlyArray<Pair>): SortedSet {
  const zset = new SortedSet();
  for (const [member, score] of pairs) zset.add(member, score);
  return zset;
}

function inclusive(value: number): ScoreBound {
  return { value, exclusive: false };
}

function exclusive(value: number): ScoreBound {
  return { value, exclusive: true };
}

const LEX_MIN: LexBound = { kind: "min" };
const LEX_MAX: LexBound = { kind: "max" };

function lexInclusive(value: string): LexBound {
  return { kind: "inclusive", value };
}

function lexExclusive(value: string): LexBound {
  return { kind: "exclusive", value };
}

/** (score, member) order, the order the set keeps; -0 and 0 compare equal. */
function comparePairs(a: Pair, b: Pair): number {
  if (a[1] !== b[1]) return a[1] < b[1] ? -1 : 1;
  if (a[0] === b[0]) return 0;
  return a[0] < b[0] ? -1 : 1;
}

Deno.test("SortedSet.add reports new members and updates existing scores", () => {
  const zset = new SortedSet();
  strictEqual(zset.size, 0);
  strictEqual(zset.add("a", 1), true);
  strictEqual(zset.add("b", 2), true);
  strictEqual(zset.add("a", 3), false);
  strictEqual(zset.add("a", 3), false);
  strictEqual(zset.size, 2);
  strictEqual(zset.score("a"), 3);
  strictEqual(zset.score("b"), 2);
  strictEqual(zset.score("c"), undefined);
  deepStrictEqual([...zset.entries()], [["b", 2], ["a", 3]]);
  zset.checkInvariants();
});

Deno.test("SortedSet.add folds -0 into 0, which ties with 0 and orders by member", () => {
  const zset = setOf([["b", -0], ["a", 0], ["c", -0]]);
  ok(Object.is(zset.score("b"), 0));
  deepStrictEqual(zset.range(0, 2), [["a", 0], ["b", 0], ["c", 0]]);
  strictEqual(zset.add("a", -0), false);
  ok(Object.is(zset.score("a"), 0));
  strictEqual(zset.seek(-0, "b"), 1);
  zset.checkInvariants();
});

Deno.test("SortedSet orders equal scores by member byte-wise across all 256 byte values", () => {
  const random = prng(256);
  const bytes = Array.from({ length: 256 }, (_, i) => i);
  for (let i = bytes.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [bytes[i], bytes[j]] = [bytes[j]!, bytes[i]!];
  }
  const zset = new SortedSet();
  for (const byte of bytes) zset.add(String.fromCharCode(byte), 5);
  const members = zset.range(0, 255).map(([member]) => member.charCodeAt(0));
  deepStrictEqual(members, Array.from({ length: 256 }, (_, i) => i));
  strictEqual(zset.rank("\x00"), 0);
  strictEqual(zset.rank("\x7f"), 127);
  strictEqual(zset.rank("\x80"), 128);
  strictEqual(zset.rank("\xff"), 255);
  zset.checkInvariants();
});

Deno.test("SortedSet orders a member before its own extensions (memcmp order)", () => {
  const zset = setOf([["a\x00", 1], ["b", 1], ["a", 1], ["", 1], ["a\xff", 1], ["\xff", 1]]);
  deepStrictEqual(zset.range(0, 5).map(([member]) => member), [
    "",
    "a",
    "a\x00",
    "a\xff",
    "b",
    "\xff",
  ]);
});

Deno.test("SortedSet orders infinite scores at the ends", () => {
  const zset = setOf([
    ["inf", Infinity],
    ["max", Number.MAX_VALUE],
    ["zero", 0],
    ["tiny", Number.MIN_VALUE],
    ["-max", -Number.MAX_VALUE],
    ["-inf", -Infinity],
    ["-tiny", -Number.MIN_VALUE],
  ]);
  deepStrictEqual(zset.range(0, 6).map(([member]) => member), [
    "-inf",
    "-max",
    "-tiny",
    "zero",
    "tiny",
    "max",
    "inf",
  ]);
  strictEqual(zset.score("-inf"), -Infinity);
  strictEqual(zset.rank("inf"), 6);
});

Deno.test("SortedSet.remove deletes members and reports missing ones", () => {
  const zset = setOf([["a", 1], ["b", 2], ["c", 3], ["", 0]]);
  strictEqual(zset.remove("b"), true);
  strictEqual(zset.remove("b"), false);
  strictEqual(zset.remove("zzz"), false);
  strictEqual(zset.remove(""), true);
  strictEqual(zset.size, 2);
  strictEqual(zset.score("b"), undefined);
  strictEqual(zset.rank("c"), 1);
  strictEqual(zset.add("", 5), true);
  deepStrictEqual([...zset.entries()], [["a", 1], ["c", 3], ["", 5]]);
  zset.checkInvariants();
});

Deno.test("SortedSet.rank counts members below in (score, member) order", () => {
  const zset = setOf([["x", 2], ["b", 1], ["a", 2], ["c", 1]]);
  strictEqual(zset.rank("b"), 0);
  strictEqual(zset.rank("c"), 1);
  strictEqual(zset.rank("a"), 2);
  strictEqual(zset.rank("x"), 3);
  strictEqual(zset.rank("missing"), undefined);
  zset.add("x", 0);
  strictEqual(zset.rank("x"), 0);
  strictEqual(zset.rank("a"), 3);
});

Deno.test("SortedSet.at selects by rank and rejects ranks outside the set", () => {
  const zset = setOf([["a", 3], ["b", 1], ["c", 2]]);
  deepStrictEqual(zset.at(0), ["b", 1]);
  deepStrictEqual(zset.at(1), ["c", 2]);
  deepStrictEqual(zset.at(2), ["a", 3]);
  strictEqual(zset.at(3), undefined);
  strictEqual(zset.at(-1), undefined);
  strictEqual(zset.at(0.5), undefined);
  strictEqual(new SortedSet().at(0), undefined);
});

Deno.test("SortedSet.range and rangeReverse return inclusive rank windows", () => {
  const zset = setOf([["a", 1], ["b", 2], ["c", 3], ["d", 4], ["e", 5]]);
  deepStrictEqual(zset.range(0, 4).map(([member]) => member).join(""), "abcde");
  deepStrictEqual(zset.range(1, 3), [["b", 2], ["c", 3], ["d", 4]]);
  deepStrictEqual(zset.range(4, 4), [["e", 5]]);
  deepStrictEqual(zset.rangeReverse(0, 1), [["e", 5], ["d", 4]]);
  deepStrictEqual(zset.rangeReverse(1, 3), [["d", 4], ["c", 3], ["b", 2]]);
  deepStrictEqual(zset.rangeReverse(4, 4), [["a", 1]]);
});

Deno.test("SortedSet score ranges honour inclusive, exclusive and infinite bounds", () => {
  const zset = setOf([["ninf", -Infinity], ["a", 1], ["b", 2], ["b2", 2], ["c", 3], [
    "pinf",
    Infinity,
  ]]);
  strictEqual(zset.countInScoreRange(inclusive(-Infinity), inclusive(Infinity)), 6);
  strictEqual(zset.countInScoreRange(exclusive(-Infinity), exclusive(Infinity)), 4);
  strictEqual(zset.countInScoreRange(inclusive(2), inclusive(2)), 2);
  strictEqual(zset.countInScoreRange(exclusive(2), inclusive(3)), 1);
  strictEqual(zset.countInScoreRange(inclusive(1), exclusive(2)), 1);
  strictEqual(zset.countInScoreRange(inclusive(3), inclusive(1)), 0);
  strictEqual(zset.countInScoreRange(exclusive(2), exclusive(2)), 0);
  strictEqual(zset.firstRankInScoreRange(inclusive(1.5), inclusive(10)), 2);
  strictEqual(zset.lastRankInScoreRange(inclusive(1.5), inclusive(10)), 4);
  strictEqual(zset.firstRankInScoreRange(exclusive(-Infinity), inclusive(2)), 1);
  strictEqual(zset.lastRankInScoreRange(exclusive(-Infinity), inclusive(2)), 3);
  strictEqual(zset.firstRankInScoreRange(inclusive(3.5), exclusive(Infinity)), -1);
  strictEqual(zset.lastRankInScoreRange(inclusive(3.5), exclusive(Infinity)), -1);
  strictEqual(zset.firstRankInScoreRange(inclusive(5), inclusive(4)), -1);
  strictEqual(zset.lastRankInScoreRange(inclusive(5), inclusive(4)), -1);
  strictEqual(zset.firstRankInScoreRange(inclusive(Infinity), inclusive(Infinity)), 5);
  strictEqual(new SortedSet().firstRankInScoreRange(inclusive(0), inclusive(1)), -1);
});

Deno.test("SortedSet lex ranges follow ZRANGEBYLEX bounds when scores are equal", () => {
  const zset = setOf(["a", "b", "c", "d", "e", "f", "g"].map((member): Pair => [member, 0]));
  strictEqual(zset.countInLexRange(LEX_MIN, LEX_MAX), 7);
  strictEqual(zset.countInLexRange(LEX_MIN, lexInclusive("c")), 3);
  strictEqual(zset.countInLexRange(LEX_MIN, lexExclusive("c")), 2);
  strictEqual(zset.countInLexRange(lexExclusive("aaa"), lexInclusive("g")), 6);
  strictEqual(zset.countInLexRange(lexInclusive("b"), lexExclusive("f")), 4);
  strictEqual(zset.countInLexRange(LEX_MAX, LEX_MIN), 0);
  strictEqual(zset.countInLexRange(LEX_MAX, LEX_MAX), 0);
  strictEqual(zset.countInLexRange(LEX_MIN, LEX_MIN), 0);
  strictEqual(zset.countInLexRange(lexInclusive("e"), lexInclusive("b")), 0);
  strictEqual(zset.firstRankInLexRange(lexInclusive("b"), lexExclusive("f")), 1);
  strictEqual(zset.lastRankInLexRange(lexInclusive("b"), lexExclusive("f")), 4);
  strictEqual(zset.firstRankInLexRange(lexExclusive("g"), LEX_MAX), -1);
  strictEqual(zset.lastRankInLexRange(lexExclusive("g"), LEX_MAX), -1);
  strictEqual(zset.firstRankInLexRange(lexInclusive("\x00"), lexInclusive("\xff")), 0);
  strictEqual(zset.lastRankInLexRange(lexInclusive("\x00"), lexInclusive("\xff")), 6);
});

Deno.test("SortedSet lex ranges stay in bounds when scores differ", () => {
  const zset = setOf([["a", 3], ["b", 1], ["c", 2], ["d", 0]]);
  const count = zset.countInLexRange(lexInclusive("b"), lexInclusive("c"));
  ok(count >= 0 && count <= 4);
  const first = zset.firstRankInLexRange(lexInclusive("b"), lexInclusive("c"));
  const last = zset.lastRankInLexRange(lexInclusive("b"), lexInclusive("c"));
  ok(first >= -1 && first < 4 && last >= -1 && last < 4);
});

Deno.test("SortedSet.seek finds the first element at or after (score, member)", () => {
  const zset = setOf([["a", 1], ["b", 1], ["c", 2], ["d", Infinity]]);
  strictEqual(zset.seek(1, "a"), 0);
  strictEqual(zset.seek(1, "aa"), 1);
  strictEqual(zset.seek(1, ""), 0);
  strictEqual(zset.seek(1.5, ""), 2);
  strictEqual(zset.seek(2, "c"), 2);
  strictEqual(zset.seek(2, "c\x00"), 3);
  strictEqual(zset.seek(Infinity, "d"), 3);
  strictEqual(zset.seek(Infinity, "e"), 4);
  strictEqual(zset.seek(-Infinity, ""), 0);
  strictEqual(new SortedSet().seek(0, ""), 0);
});

Deno.test("SortedSet.query pages from a seek point by offset and flattened limit", () => {
  const zset = setOf([["a", 1], ["b", 2], ["c", 3], ["d", 4], ["e", 5]]);
  deepStrictEqual(zset.query(2, "", 0, 4), [["b", 2], ["c", 3]]);
  // Limit counts flattened items and never splits a pair: 3 items -> 2 pairs.
  deepStrictEqual(zset.query(2, "", 0, 3), [["b", 2], ["c", 3]]);
  deepStrictEqual(zset.query(2, "", 0, 1), [["b", 2]]);
  deepStrictEqual(zset.query(2, "", 1, 100), [["c", 3], ["d", 4], ["e", 5]]);
  deepStrictEqual(zset.query(3, "c", -2, 2), [["a", 1]]);
  deepStrictEqual(zset.query(3, "c", -3, 2), []);
  // Past the last element there is no node to move from, so the original returned nothing.
  deepStrictEqual(zset.query(9, "", -1, 2), []);
  deepStrictEqual(zset.query(9, "", -5, 4), []);
  deepStrictEqual(zset.query(9, "", 0, 2), []);
  deepStrictEqual(zset.query(1, "a", 5, 2), []);
  deepStrictEqual(zset.query(1, "a", 0, 0), []);
  deepStrictEqual(zset.query(1, "a", 0, -4), []);
  deepStrictEqual(new SortedSet().query(0, "", 0, 10), []);
});

Deno.test("SortedSet.entries walks ascending and members lists every member", () => {
  const zset = setOf([["c", 1], ["a", 2], ["b", 1]]);
  deepStrictEqual([...zset.entries()], [["b", 1], ["c", 1], ["a", 2]]);
  deepStrictEqual([...zset.members()].sort(), ["a", "b", "c"]);
  deepStrictEqual([...new SortedSet().entries()], []);
});

Deno.test("SortedSet.popMin and popMax remove from the ends", () => {
  const zset = setOf([["a", 1], ["b", 2], ["c", 3], ["d", 4], ["e", 5]]);
  deepStrictEqual(zset.popMin(2), [["a", 1], ["b", 2]]);
  deepStrictEqual(zset.popMax(1), [["e", 5]]);
  deepStrictEqual(zset.popMin(0), []);
  deepStrictEqual(zset.popMax(-1), []);
  strictEqual(zset.size, 2);
  deepStrictEqual(zset.popMax(10), [["d", 4], ["c", 3]]);
  strictEqual(zset.size, 0);
  deepStrictEqual(zset.popMin(1), []);
  zset.checkInvariants();
});

Deno.test("SortedSet stays balanced under sorted inserts and compacts as it shrinks", () => {
  const zset = new SortedSet();
  for (let i = 0; i < 50_000; i++) zset.add(`m${i}`, i);
  zset.checkInvariants();
  for (let i = 49_999; i >= 0; i--) zset.add(`n${i}`, -i);
  zset.checkInvariants();
  strictEqual(zset.size, 100_000);
  for (let i = 0; i < 50_000; i++) zset.remove(`m${i}`);
  for (let i = 0; i < 49_990; i++) zset.remove(`n${i}`);
  zset.checkInvariants();
  deepStrictEqual(zset.at(0), ["n49999", -49999]);
  deepStrictEqual(zset.range(9, 9), [["n49990", -49990]]);
  zset.popMin(10);
  zset.checkInvariants();
  strictEqual(zset.size, 0);
  zset.add("again", 1);
  deepStrictEqual([...zset.entries()], [["again", 1]]);
});

/** The reference: a plain array kept sorted by (score, member). */
class Model {
  pairs: Pair[] = [];

  /** Elements strictly below (score, member). */
  countBelow(score: number, member: string): number {
    let lo = 0;
    let hi = this.pairs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (comparePairs(this.pairs[mid]!, [member, score]) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  indexOf(member: string): number {
    return this.pairs.findIndex(([m]) => m === member);
  }

  add(member: string, score: number): boolean {
    score += 0;
    const index = this.indexOf(member);
    if (index >= 0) this.pairs.splice(index, 1);
    this.pairs.splice(this.countBelow(score, member), 0, [member, score]);
    return index < 0;
  }

  remove(member: string): boolean {
    const index = this.indexOf(member);
    if (index >= 0) this.pairs.splice(index, 1);
    return index >= 0;
  }

  scoreRanks(min: ScoreBound, max: ScoreBound): number[] {
    const ranks: number[] = [];
    this.pairs.forEach(([, score], rank) => {
      const aboveMin = min.exclusive ? score > min.value : score >= min.value;
      const belowMax = max.exclusive ? score < max.value : score <= max.value;
      if (aboveMin && belowMax) ranks.push(rank);
    });
    return ranks;
  }

  lexRanks(min: LexBound, max: LexBound): number[] {
    const ranks: number[] = [];
    this.pairs.forEach(([member], rank) => {
      if (lexAbove(member, min) && lexBelow(member, max)) ranks.push(rank);
    });
    return ranks;
  }
}

function lexAbove(member: string, min: LexBound): boolean {
  switch (min.kind) {
    case "min":
      return true;
    case "max":
      return false;
    case "inclusive":
      return member >= min.value;
    case "exclusive":
      return member > min.value;
  }
}

function lexBelow(member: string, max: LexBound): boolean {
  switch (max.kind) {
    case "min":
      return false;
    case "max":
      return true;
    case "inclusive":
      return member <= max.value;
    case "exclusive":
      return member < max.value;
  }
}

const SPECIAL_SCORES = [
  -Infinity,
  -Number.MAX_VALUE,
  -1.5,
  -1,
  -Number.MIN_VALUE,
  -0,
  0,
  Number.MIN_VALUE,
  0.5,
  1,
  2,
  1e300,
  Infinity,
];
const MEMBER_BYTES = [0x00, 0x01, 0x41, 0x61, 0x62, 0x7f, 0x80, 0x9f, 0xfe, 0xff];

/**
 * Runs random operations against SortedSet and Model and compares every
 * answer. With `equalScores` every score is 7, which makes lex ranges
 * meaningful, so those are compared exactly too.
 */
function runModel(
  seed: number,
  operations: number,
  universe: number,
  equalScores: boolean,
): SortedSet {
  const random = prng(seed);
  const int = (n: number) => Math.floor(random() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  const randomMember = () => {
    let member = "";
    const length = int(4);
    for (let i = 0; i < length; i++) {
      member += String.fromCharCode(random() < 0.7 ? pick(MEMBER_BYTES) : int(256));
    }
    return member;
  };
  const distinct = new Set<string>(["", "\x00", "\xff"]);
  while (distinct.size < universe) distinct.add(randomMember() + randomMember());
  const memberPool = [...distinct];
  const randomScore = () => {
    if (equalScores) return 7;
    const roll = random();
    if (roll < 0.4) return pick(SPECIAL_SCORES);
    if (roll < 0.8) return int(20) - 10;
    return (random() - 0.5) * 1e6;
  };
  const randomScoreBound = (): ScoreBound => ({
    value: random() < 0.2 ? pick(SPECIAL_SCORES) : randomScore(),
    exclusive: random() < 0.5,
  });
  const randomLexBound = (): LexBound => {
    const roll = random();
    if (roll < 0.1) return LEX_MIN;
    if (roll < 0.2) return LEX_MAX;
    const value = random() < 0.5 ? pick(memberPool) : randomMember();
    return { kind: roll < 0.6 ? "inclusive" : "exclusive", value };
  };

  const zset = new SortedSet();
  const model = new Model();
  // Phases alternate between growing and draining so compaction and reuse of free slots both run.
  let addBias = 0.7;
  for (let step = 0; step < operations; step++) {
    if (step % 5000 === 0) addBias = random() < 0.5 ? 0.85 : 0.3;
    const where = `seed ${seed}, step ${step}`;
    const size = model.pairs.length;
    const roll = random();
    if (roll < addBias * 0.5) {
      const member = pick(memberPool);
      const score = randomScore();
      strictEqual(zset.add(member, score), model.add(member, score), where);
    } else if (roll < 0.5) {
      const member = random() < 0.8 && size > 0 ? model.pairs[int(size)]![0] : pick(memberPool);
      strictEqual(zset.remove(member), model.remove(member), where);
    } else if (roll < 0.56) {
      const member = random() < 0.8 && size > 0 ? model.pairs[int(size)]![0] : pick(memberPool);
      const index = model.indexOf(member);
      strictEqual(zset.rank(member), index < 0 ? undefined : index, where);
      strictEqual(zset.score(member), index < 0 ? undefined : model.pairs[index]![1], where);
    } else if (roll < 0.6) {
      const rank = int(size + 2) - 1;
      deepStrictEqual(zset.at(rank), model.pairs[rank], where);
    } else if (roll < 0.66) {
      if (size > 0) {
        const start = int(size);
        const stop = Math.min(size - 1, start + int(20));
        deepStrictEqual(zset.range(start, stop), model.pairs.slice(start, stop + 1), where);
        const reversed = model.pairs.slice().reverse().slice(start, stop + 1);
        deepStrictEqual(zset.rangeReverse(start, stop), reversed, where);
      }
    } else if (roll < 0.72) {
      const member = random() < 0.5 && size > 0 ? model.pairs[int(size)]![0] : randomMember();
      const score = random() < 0.5 && size > 0 ? model.pairs[int(size)]![1] : randomScore();
      strictEqual(zset.seek(score, member), model.countBelow(score + 0, member), where);
    } else if (roll < 0.8) {
      const member = randomMember();
      const score = randomScore();
      const offset = int(size + 10) - Math.floor((size + 10) / 2);
      const limit = int(12) - 2;
      const seek = model.countBelow(score + 0, member);
      const start = seek + offset;
      const expected = limit <= 0 || seek === size || start < 0 || start >= size
        ? []
        : model.pairs.slice(start, start + Math.ceil(limit / 2));
      deepStrictEqual(zset.query(score, member, offset, limit), expected, where);
    } else if (roll < 0.87) {
      const min = randomScoreBound();
      const max = randomScoreBound();
      const ranks = model.scoreRanks(min, max);
      strictEqual(zset.countInScoreRange(min, max), ranks.length, where);
      strictEqual(zset.firstRankInScoreRange(min, max), ranks[0] ?? -1, where);
      strictEqual(zset.lastRankInScoreRange(min, max), ranks.at(-1) ?? -1, where);
    } else if (roll < 0.94) {
      const min = randomLexBound();
      const max = randomLexBound();
      const count = zset.countInLexRange(min, max);
      const first = zset.firstRankInLexRange(min, max);
      const last = zset.lastRankInLexRange(min, max);
      if (equalScores) {
        const ranks = model.lexRanks(min, max);
        strictEqual(count, ranks.length, where);
        strictEqual(first, ranks[0] ?? -1, where);
        strictEqual(last, ranks.at(-1) ?? -1, where);
      } else {
        ok(count >= 0 && count <= size, where);
        ok(first >= -1 && first < size && last >= -1 && last < size, where);
      }
    } else if (roll < 0.97) {
      const count = int(4);
      deepStrictEqual(zset.popMin(count), model.pairs.splice(0, count), where);
    } else {
      const count = random() < 0.003 ? size : int(4);
      const taken = model.pairs.splice(Math.max(0, size - count), count).reverse();
      deepStrictEqual(zset.popMax(count), taken, where);
    }
    strictEqual(zset.size, model.pairs.length, where);
    if (step % 2000 === 0 || step === operations - 1) {
      zset.checkInvariants();
      deepStrictEqual([...zset.entries()], model.pairs, where);
      deepStrictEqual([...zset.members()].sort(), model.pairs.map(([m]) => m).sort(), where);
    }
  }
  return zset;
}

Deno.test("SortedSet matches a sorted-array model over 120,000 random operations", () => {
  runModel(0x5eed, 60_000, 400, false);
  runModel(0xbeef, 60_000, 2500, false);
});

Deno.test("SortedSet lex ranges match the model when all scores are equal", () => {
  runModel(0x1e7, 40_000, 600, true);
});

Deno.test("A small SortedSet (two arrays) matches the model, lex ranges included", () => {
  // 100 possible members: never past SMALL_MAX_MEMBERS, so the arrays serve every operation.
  strictEqual(runModel(0x5a11, 40_000, 100, false).small, true);
  strictEqual(runModel(0x5a12, 20_000, 100, true).small, true);
});

Deno.test("A SortedSet moves to the tree past either small limit, keeping every member", () => {
  const many = new SortedSet();
  for (let i = 0; i < SMALL_MAX_MEMBERS; i++) many.add(`m${i}`, i % 7);
  strictEqual(many.small, true);
  // A new score for a member of a full small set adds nothing: it stays small.
  strictEqual(many.add("m0", 100), false);
  strictEqual(many.small, true);
  const before = [...many.entries()];
  strictEqual(many.add("one-more", 3.5), true);
  strictEqual(many.small, false);
  many.checkInvariants();
  strictEqual(many.rank("m0"), SMALL_MAX_MEMBERS);
  deepStrictEqual(
    [...many.entries()].filter(([member]) => member !== "one-more"),
    before,
  );
  // And never back, as Redis never turns a skiplist back into a listpack.
  many.remove("one-more");
  strictEqual(many.small, false);
  const long = new SortedSet();
  long.add("a", 1);
  strictEqual(long.add("x".repeat(SMALL_MAX_LENGTH + 1), 2), true);
  strictEqual(long.small, false);
  deepStrictEqual(long.range(0, 1), [["a", 1], ["x".repeat(SMALL_MAX_LENGTH + 1), 2]]);
  long.checkInvariants();
});
