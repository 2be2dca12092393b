/**
 * A byte arena outside V8's heap: records of any size in `ArrayBuffer`
 * chunks, addressed by one int32, with size-class slabs and free lists.
 *
 * Why: a key or string value held as a JS string costs a 16-byte header,
 * is traced by every major collection, and counts against V8's old space
 * (~4 GB here, then the process aborts). Bytes in `ArrayBuffer`s cost
 * nothing to the collector beyond one object per chunk and live outside
 * the old space.
 *
 * Layout:
 * - An address is `chunk << 17 | unit`, a unit being 8 bytes: a chunk
 *   holds {@link CHUNK_BYTES} (1 MB = 2^17 units), so the int32 reaches
 *   16,384 chunks (16 GB) and every record starts 8-byte aligned (its
 *   first words can be read through an `Int32Array`).
 * - Each chunk serves one size class (a slab), so every slot of a chunk
 *   has the same size and a walk over the chunk needs no per-slot length.
 *   Classes are every unit up to 16 units (128 bytes), then four per
 *   doubling (at most 25% rounding, ~10% on average), as jemalloc spaces
 *   them. A record larger than half a chunk gets a chunk of its own sized
 *   to it.
 * - A freed slot goes on its class's free list and the next allocation of
 *   that class takes it back: deleting keys and writing them again reuses
 *   the same bytes, so churn of a steady mix of sizes does not grow the
 *   arena. Chunks are never returned while the arena lives (Redis's RSS
 *   stays after deletes too); dropping the whole arena (FLUSHALL) frees all.
 *
 * The owner's contract: word 0 of a live record never holds {@link FREE}
 * (-2). A freed slot has `FREE` there and its free-list link in word 1, so
 * {@link ByteArena.nextRecord} can walk every live record in address order
 * without any other bookkeeping.
 *
 * @module
 */

import { Buffer } from "node:buffer";

/** Bytes per chunk: 2^20, so a unit offset takes 17 bits of an address. */
export const CHUNK_BYTES = 1 << 20;
/** Units (8 bytes) per chunk. */
const CHUNK_UNITS = CHUNK_BYTES >>> 3;
/** Bits of an address that hold the unit offset within its chunk. */
const OFFSET_BITS = 17;
const OFFSET_MASK = CHUNK_UNITS - 1;
/** Chunks an int32 address can name. */
const MAX_CHUNKS = 1 << (31 - OFFSET_BITS);
/** The most bytes of records one arena can hold (16 GB): what its addresses reach. */
export const MAX_ARENA_BYTES = MAX_CHUNKS * CHUNK_BYTES;
/** The largest slab slot in units; a larger record gets a dedicated chunk. */
const MAX_SLAB_UNITS = CHUNK_UNITS >>> 1;
/** Size-class indexes: units 1–16 map to themselves, then four per doubling up to MAX_SLAB_UNITS. */
const CLASS_COUNT = 16 + 4 * (OFFSET_BITS - 1 - 4) + 1;
/** Class index of a dedicated (one-record) chunk. */
const DEDICATED = 0;

/** Word 0 of a free slot; a live record's word 0 never holds it. */
export const FREE = -2;
/** No address: the end of a free list, or "no record". */
export const NO_ADDRESS = -1;

/** The slot size in units a record of `bytes` bytes takes (before the dedicated-chunk cut). */
export function slotUnits(bytes: number): number {
  const units = Math.max(2, (bytes + 7) >>> 3);
  if (units <= 16) return units;
  // Four classes per doubling: between 2^p and 2^(p+1), steps of 2^(p-2).
  const power = 31 - Math.clz32(units - 1);
  const step = 1 << (power - 2);
  return Math.ceil(units / step) * step;
}

/** The class index of a slot size returned by {@link slotUnits} (≤ MAX_SLAB_UNITS). */
function classIndex(units: number): number {
  if (units <= 16) return units;
  const power = 31 - Math.clz32(units - 1);
  return 16 + (power - 4) * 4 + (units - (1 << power)) / (1 << (power - 2));
}

/**
 * Size-classed slabs of bytes in `ArrayBuffer` chunks; see the module notes.
 *
 * @example Storing and freeing a record
 * ```ts
 * import { ByteArena } from "./arena.ts";
 * import assert from "node:assert/strict";
 *
 * const arena = new ByteArena();
 * const address = arena.allocate(24);
 * arena.bytesOf(address)[arena.byteOffset(address) + 8] = 42;
 * assert.equal(arena.usedBytes, 24);
 * arena.free(address, 24);
 * assert.equal(arena.allocate(20), address); // the same class reuses the slot
 * ```
 */
export class ByteArena {
  /** Per chunk: its bytes (an empty array once a dedicated chunk is released). */
  #bytes: Uint8Array[] = [];
  /** Per chunk: the same memory as int32 words, for record headers. */
  #words: Int32Array[] = [];
  /** Per chunk: its class index, DEDICATED for a one-record chunk. */
  #chunkClass: number[] = [];
  /** Per chunk: units handed out so far from its front (slots beyond were never used). */
  #chunkEnd: number[] = [];
  /** Per class: the first free slot, or NO_ADDRESS. */
  readonly #freeHead = new Int32Array(CLASS_COUNT).fill(NO_ADDRESS);
  /** Per class: the chunk new slots are cut from, or -1. */
  readonly #bumpChunk = new Int32Array(CLASS_COUNT).fill(-1);
  /** Released dedicated chunks whose index can be reused. */
  #spareChunks: number[] = [];
  #usedBytes = 0;
  #reservedBytes = 0;

  /** Bytes of the live slots (each counted at its class size). */
  get usedBytes(): number {
    return this.#usedBytes;
  }

  /** Bytes of every chunk held, free slots and never-used tails included. */
  get reservedBytes(): number {
    return this.#reservedBytes;
  }

  /** The bytes a record of `bytes` occupies: its slot, or its own chunk. */
  static slotBytes(bytes: number): number {
    const units = slotUnits(bytes);
    return units > MAX_SLAB_UNITS ? Math.max(2, (bytes + 7) >>> 3) * 8 : units * 8;
  }

  /** A slot for a record of `bytes` bytes (word 0 is the caller's to set). Throws RangeError when the address space is full. */
  allocate(bytes: number): number {
    const units = slotUnits(bytes);
    if (units > MAX_SLAB_UNITS) return this.#allocateDedicated(bytes);
    const index = classIndex(units);
    this.#usedBytes += units * 8;
    const free = this.#freeHead[index]!;
    if (free !== NO_ADDRESS) {
      this.#freeHead[index] = this.#words[free >>> OFFSET_BITS]![((free & OFFSET_MASK) << 1) + 1]!;
      return free;
    }
    let chunk = this.#bumpChunk[index]!;
    if (chunk === -1 || this.#chunkEnd[chunk]! + units > CHUNK_UNITS) {
      chunk = this.#newChunk(CHUNK_BYTES, index);
      this.#bumpChunk[index] = chunk;
    }
    const unit = this.#chunkEnd[chunk]!;
    this.#chunkEnd[chunk] = unit + units;
    return (chunk << OFFSET_BITS) | unit;
  }

  /** Gives back the slot at `address`, which held a record of `bytes` bytes. */
  free(address: number, bytes: number): void {
    const chunk = address >>> OFFSET_BITS;
    const index = this.#chunkClass[chunk]!;
    if (index === DEDICATED) {
      const size = this.#bytes[chunk]!.byteLength;
      this.#usedBytes -= size;
      this.#reservedBytes -= size;
      this.#bytes[chunk] = new Uint8Array(0);
      this.#words[chunk] = new Int32Array(0);
      this.#chunkEnd[chunk] = 0;
      this.#spareChunks.push(chunk);
      return;
    }
    this.#usedBytes -= slotUnits(bytes) * 8;
    const words = this.#words[chunk]!;
    const word = (address & OFFSET_MASK) << 1;
    words[word] = FREE;
    words[word + 1] = this.#freeHead[index]!;
    this.#freeHead[index] = address;
  }

  /** The chunk's bytes that hold `address`; the record starts at {@link ByteArena.byteOffset}. */
  bytesOf(address: number): Uint8Array {
    return this.#bytes[address >>> OFFSET_BITS]!;
  }

  /** The chunk's int32 words that hold `address`; the record starts at {@link ByteArena.wordOffset}. */
  wordsOf(address: number): Int32Array {
    return this.#words[address >>> OFFSET_BITS]!;
  }

  /** Where the record at `address` starts in {@link ByteArena.bytesOf}. */
  byteOffset(address: number): number {
    return (address & OFFSET_MASK) << 3;
  }

  /** Where the record at `address` starts in {@link ByteArena.wordsOf}. */
  wordOffset(address: number): number {
    return (address & OFFSET_MASK) << 1;
  }

  /**
   * The first live record at or after `from` in address order, or
   * NO_ADDRESS. Records never move, so a walk that resumes from the last
   * address + 1 sees every record that stayed live throughout exactly once.
   */
  nextRecord(from: number): number {
    let chunk = from >>> OFFSET_BITS;
    let unit = from & OFFSET_MASK;
    const chunks = this.#bytes.length;
    for (; chunk < chunks; chunk++, unit = 0) {
      const end = this.#chunkEnd[chunk]!;
      const index = this.#chunkClass[chunk]!;
      const words = this.#words[chunk]!;
      if (index === DEDICATED) {
        if (unit === 0 && end !== 0) return chunk << OFFSET_BITS;
        continue;
      }
      const size = this.#classUnits(index);
      // Align to the slot that holds `unit`, rounding up past a slot already started.
      let slot = Math.ceil(unit / size) * size;
      for (; slot < end; slot += size) {
        if (words[slot << 1] !== FREE) return (chunk << OFFSET_BITS) | slot;
      }
    }
    return NO_ADDRESS;
  }

  /** The address just after the slot at `address`, for resuming {@link ByteArena.nextRecord}. */
  after(address: number): number {
    const chunk = address >>> OFFSET_BITS;
    const index = this.#chunkClass[chunk]!;
    if (index === DEDICATED) return (chunk + 1) << OFFSET_BITS;
    const next = (address & OFFSET_MASK) + this.#classUnits(index);
    return next >= CHUNK_UNITS ? (chunk + 1) << OFFSET_BITS : (chunk << OFFSET_BITS) | next;
  }

  #classUnits(index: number): number {
    if (index <= 16) return index;
    const power = ((index - 17) >> 2) + 4;
    const step = ((index - 17) & 3) + 1;
    return (1 << power) + step * (1 << (power - 2));
  }

  #allocateDedicated(bytes: number): number {
    const size = Math.max(2, (bytes + 7) >>> 3) * 8;
    const chunk = this.#newChunk(size, DEDICATED);
    this.#chunkEnd[chunk] = size >>> 3;
    this.#usedBytes += size;
    return chunk << OFFSET_BITS;
  }

  #newChunk(size: number, index: number): number {
    const buffer = new ArrayBuffer(size);
    const chunk = index === DEDICATED && this.#spareChunks.length > 0
      ? this.#spareChunks.pop()!
      : this.#bytes.length;
    if (chunk >= MAX_CHUNKS) {
      throw new RangeError(`Arena full: ${MAX_CHUNKS} chunks of ${CHUNK_BYTES} bytes`);
    }
    // A Buffer, so reading a long string from it (lib/bytes.ts) needs no view made per read.
    this.#bytes[chunk] = Buffer.from(buffer);
    this.#words[chunk] = new Int32Array(buffer, 0, size >>> 2);
    this.#chunkClass[chunk] = index;
    this.#chunkEnd[chunk] = 0;
    this.#reservedBytes += size;
    return chunk;
  }
}
