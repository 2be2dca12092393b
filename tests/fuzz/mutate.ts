import { concatBytes } from "../../lib/bytes.ts";
/**
 * The seeded mutation engine every fuzzer here shares: a small fast PRNG and
 * byte-level mutations aimed at the two wire formats (bit flips, byte inserts
 * and deletes, length-field tweaks — u32 LE for the binary protocol, ASCII
 * digits for RESP — splices of other frames, truncation, repeats).
 *
 * The decision that shapes it: every input is a pure function of
 * `(seed, index)` ({@link caseRandom}), so a failure found after a million
 * inputs is reproduced by re-deriving that one input, and the long run can
 * name the input a hung worker was on from nothing but its progress counter.
 *
 * @module
 */

/**
 * sfc32, a 128-bit-state generator: fast in JS (32-bit integer ops only) and
 * good enough that fuzz inputs do not repeat in patterns.
 */
export class Random {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  constructor(seed: number, stream = 0) {
    this.#a = 0x9e3779b9;
    this.#b = seed | 0;
    this.#c = stream | 0;
    this.#d = 1;
    // Warm-up rounds spread a small seed over all four words.
    for (let i = 0; i < 12; i++) this.next();
  }

  /** A uniform unsigned 32-bit integer. */
  next(): number {
    const a = this.#a, b = this.#b, c = this.#c, d = this.#d;
    const t = (((a + b) | 0) + d) | 0;
    this.#d = (d + 1) | 0;
    this.#a = b ^ (b >>> 9);
    this.#b = (c + (c << 3)) | 0;
    this.#c = ((c << 21) | (c >>> 11)) + t | 0;
    return t >>> 0;
  }

  /** A uniform float in [0, 1). */
  float(): number {
    return this.next() / 4294967296;
  }

  /** A uniform integer in [0, n); 0 when n ≤ 0. */
  int(n: number): number {
    return n <= 0 ? 0 : Math.floor(this.float() * n);
  }

  /** A uniform integer in [low, high]. */
  range(low: number, high: number): number {
    return low + this.int(high - low + 1);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError("Cannot pick from an empty list");
    return items[this.int(items.length)]!;
  }

  /** A length skewed towards small values: most inputs are short, a few are long. */
  skewed(max: number): number {
    const f = this.float();
    return Math.floor(f * f * f * (max + 1));
  }

  /** `length` random bytes. */
  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = this.next() & 0xff;
    return out;
  }
}

/** The generator for input number `index` of a run started with `seed`. */
export function caseRandom(seed: number, index: number): Random {
  return new Random(seed, Math.imul(index, 0x27d4eb2d) ^ index);
}

/** Which wire a mutation should aim its length tweaks at. */
export type WireFormat = "resp" | "kache";

export interface MutateOptions {
  readonly format: WireFormat;
  /** Other valid streams to splice pieces from. */
  readonly corpus?: readonly Uint8Array[];
  /** Mutations to apply: 1 to this many (default 4). */
  readonly maxMutations?: number;
  /** Inputs never grow past this many bytes (default 64 KiB), so runs stay bounded. */
  readonly maxLength?: number;
}

/** Bytes that mean something to one of the codecs. */
const INTERESTING_BYTES = [
  0x00,
  0x01,
  0x7f,
  0x80,
  0xff,
  0x0d,
  0x0a,
  0x20,
  0x09,
  0x2a,
  0x24,
  0x2d,
  0x2b,
  0x3a,
  0x30,
  0x31,
  0x39,
  0x22,
  0x27,
  0x5c,
  0x5f,
  0x2c,
  0x23,
  0x28,
  0x21,
  0x3d,
  0x25,
  0x7e,
  0x3e,
  0x7c,
  0x05,
  0x02,
  0x03,
  0x04,
];

/** Short byte strings worth inserting: RESP markers, terminators, quotes, escapes. */
const INTERESTING_SNIPPETS = [
  "\r\n",
  "\r",
  "\n",
  "*",
  "$",
  "*1\r\n",
  "*-1\r\n",
  "*0\r\n",
  "$-1\r\n",
  "$0\r\n\r\n",
  "\r\n\r\n",
  '"',
  "'",
  '"\\x4',
  "\\",
  "\x00",
  "*2\r\n$3\r\nGET\r\n",
  "%1\r\n",
  "|1\r\n",
  ">2\r\n",
  "~1\r\n",
  "_\r\n",
  ",nan\r\n",
  "(12345678901234567890123\r\n",
  "=5\r\ntxt:x\r\n",
  "#t\r\n",
  "!3\r\nERR\r\n",
  "\x05\x01\x00\x00\x00",
  "\xff\xff\xff\xff",
  "\x00\x00\x00\x00",
];

/** ASCII numbers for RESP length fields: boundaries of every check Redis makes. */
const INTERESTING_DECIMALS = [
  "-1",
  "0",
  "1",
  "2",
  "-0",
  "+1",
  "01",
  "-2",
  "",
  " 1",
  "1 ",
  "1e3",
  "1024",
  "65535",
  "65536",
  "1048576",
  "1048577",
  "536870912",
  "536870913",
  "2147483647",
  "2147483648",
  "4294967296",
  "9223372036854775807",
  "9223372036854775808",
  "-9223372036854775808",
  "-9223372036854775809",
  "99999999999999999999",
  "123456789012345678901",
];

/** u32 values for binary length fields. */
const INTERESTING_U32 = [
  0,
  1,
  2,
  3,
  4,
  5,
  8,
  63,
  64,
  65,
  4092,
  4096,
  4097,
  65536,
  0x7fffffff,
  0x80000000,
  0xfffffffe,
  0xffffffff,
  512 * 1024 * 1024,
  512 * 1024 * 1024 + 1,
];

function encodeAscii(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}

const SNIPPET_BYTES = INTERESTING_SNIPPETS.map(encodeAscii);
const DECIMAL_BYTES = INTERESTING_DECIMALS.map(encodeAscii);

/** `input` with `bytes[start, end)` replaced by `insert`. */
function replaceRange(input: Uint8Array, start: number, end: number, insert: Uint8Array) {
  return concatBytes([input.subarray(0, start), insert, input.subarray(end)]);
}

/** Runs of ASCII digits (with an optional leading `-`) that follow a RESP type byte. */
function decimalFields(input: Uint8Array): Array<[number, number]> {
  const fields: Array<[number, number]> = [];
  const limit = Math.min(input.length, 1 << 16);
  for (let i = 0; i < limit - 1 && fields.length < 256; i++) {
    const marker = input[i]!;
    // `*` `$` `%` `~` `>` `|` `=` `!` precede counts and lengths; `:` `(` precede integers.
    if (
      marker !== 0x2a && marker !== 0x24 && marker !== 0x25 && marker !== 0x7e &&
      marker !== 0x3e && marker !== 0x7c && marker !== 0x3d && marker !== 0x21 &&
      marker !== 0x3a && marker !== 0x28
    ) continue;
    let j = i + 1;
    if (input[j] === 0x2d) j++;
    while (j < input.length && input[j]! >= 0x30 && input[j]! <= 0x39) j++;
    if (j > i + 1) fields.push([i + 1, j]);
  }
  return fields;
}

/**
 * Offsets of plausible u32 LE length fields: the frame walk of a binary
 * stream when it still parses, otherwise any 4 bytes whose value is no larger
 * than the input (lengths and counts look like that).
 */
function u32Fields(input: Uint8Array): number[] {
  const view = new DataView(input.buffer, input.byteOffset, input.byteLength);
  const fields: number[] = [];
  const limit = Math.min(input.length - 3, 1 << 16);
  for (let i = 0; i < limit && fields.length < 256; i++) {
    if (view.getUint32(i, true) <= input.length) fields.push(i);
  }
  return fields;
}

type Mutation = (input: Uint8Array, random: Random, options: MutateOptions) => Uint8Array;

const MUTATIONS: readonly Mutation[] = [
  function flipBit(input, random) {
    if (input.length === 0) return input;
    const out = input.slice();
    const i = random.int(out.length);
    out[i] = out[i]! ^ (1 << random.int(8));
    return out;
  },
  function setByte(input, random) {
    if (input.length === 0) return input;
    const out = input.slice();
    out[random.int(out.length)] = random.chance(0.7)
      ? random.pick(INTERESTING_BYTES)
      : random.next() & 0xff;
    return out;
  },
  function insertBytes(input, random) {
    const at = random.int(input.length + 1);
    const insert = random.chance(0.6)
      ? random.pick(SNIPPET_BYTES)
      : random.bytes(random.range(1, 8));
    return replaceRange(input, at, at, insert);
  },
  function deleteRange(input, random) {
    if (input.length === 0) return input;
    const start = random.int(input.length);
    const end = Math.min(input.length, start + 1 + random.skewed(32));
    return replaceRange(input, start, end, new Uint8Array(0));
  },
  function tweakLength(input, random, options) {
    if (options.format === "resp") {
      const fields = decimalFields(input);
      if (fields.length === 0) return input;
      const [start, end] = random.pick(fields);
      let replacement: Uint8Array;
      if (random.chance(0.5)) {
        // Off by a little: the classic framing bug.
        const original = Number(String.fromCharCode(...input.subarray(start, end)));
        replacement = encodeAscii(String(original + random.range(-2, 2)));
      } else {
        replacement = random.pick(DECIMAL_BYTES);
      }
      return replaceRange(input, start, end, replacement);
    }
    if (input.length < 4) return input;
    const fields = u32Fields(input);
    const at = fields.length > 0 && random.chance(0.8)
      ? random.pick(fields)
      : random.int(input.length - 3);
    const out = input.slice();
    const view = new DataView(out.buffer);
    const original = view.getUint32(at, true);
    const value = random.chance(0.4)
      ? (original + random.range(-2, 2)) >>> 0
      : random.chance(0.8)
      ? random.pick(INTERESTING_U32)
      : random.next();
    view.setUint32(at, value, true);
    return out;
  },
  function splice(input, random, options) {
    const corpus = options.corpus ?? [];
    if (corpus.length === 0) return input;
    const donor = random.pick(corpus);
    const from = random.int(donor.length + 1);
    const to = Math.min(donor.length, from + random.skewed(256));
    const at = random.int(input.length + 1);
    // Either insert the donor's piece, or replace our tail with it.
    const end = random.chance(0.5) ? at : input.length;
    return replaceRange(input, at, end, donor.subarray(from, to));
  },
  function truncate(input, random) {
    return input.subarray(0, random.int(input.length + 1));
  },
  function repeat(input, random) {
    if (input.length === 0) return input;
    const start = random.int(input.length);
    const end = Math.min(input.length, start + 1 + random.skewed(64));
    const times = random.range(2, 16);
    const piece = input.subarray(start, end);
    const copies: Uint8Array[] = [];
    for (let i = 0; i < times; i++) copies.push(piece);
    return replaceRange(input, start, end, concatBytes(copies));
  },
];

/** Rare: these inputs are large, and one in a few hundred is enough to find a recursive decoder. */
const DEEP_NEST_CHANCE = 0.01;

const deepNest: Mutation = function deepNest(input, random, options) {
  // Thousands of one-element arrays around a nil: the input that finds recursive decoders.
  const depth = random.range(1, 12_000);
  if (options.format === "resp") {
    return concatBytes([encodeAscii(random.pick(NEST_MARKERS).repeat(depth) + "_\r\n"), input]);
  }
  const frame = new Uint8Array(8 + depth * 5 + 1);
  const view = new DataView(frame.buffer);
  view.setUint32(0, frame.length - 4, true);
  for (let i = 0; i < depth; i++) {
    frame[8 + i * 5] = 5;
    view.setUint32(8 + i * 5 + 1, 1, true);
  }
  return concatBytes([frame, input]);
};

/** RESP aggregate headers of one element (a map or attribute of one pair needs two). */
const NEST_MARKERS = ["*1\r\n", "~1\r\n", ">1\r\n", "%1\r\n_\r\n", "|1\r\n_\r\n"];

/** Applies 1 to `maxMutations` random mutations to a copy of `input`. */
export function mutate(input: Uint8Array, random: Random, options: MutateOptions): Uint8Array {
  const maxLength = options.maxLength ?? 64 * 1024;
  const count = random.range(1, options.maxMutations ?? 4);
  let out = input;
  for (let i = 0; i < count; i++) {
    const mutation = random.chance(DEEP_NEST_CHANCE) ? deepNest : random.pick(MUTATIONS);
    out = mutation(out, random, options);
    if (out.length > maxLength) out = out.subarray(0, maxLength);
  }
  return out === input ? input.slice() : out;
}

/**
 * Random cut points splitting `length` bytes into chunks, as reads would
 * deliver them: sometimes byte by byte, sometimes a few large pieces.
 */
export function randomCuts(length: number, random: Random): number[] {
  if (length === 0) return [0];
  const cuts: number[] = [];
  if (length <= 64 && random.chance(0.2)) {
    for (let i = 1; i <= length; i++) cuts.push(i);
    return cuts;
  }
  const pieces = random.range(1, Math.min(length, 12));
  const points = new Set<number>([length]);
  for (let i = 1; i < pieces; i++) points.add(random.range(1, length));
  return [...points].sort((a, b) => a - b);
}

/** A short hex dump for failure reports: enough bytes to rebuild the input by hand. */
export function hexPreview(bytes: Uint8Array, max = 256): string {
  let out = "";
  for (let i = 0; i < Math.min(bytes.length, max); i++) {
    out += bytes[i]!.toString(16).padStart(2, "0");
  }
  return bytes.length > max ? `${out}… (${bytes.length} bytes)` : out;
}
