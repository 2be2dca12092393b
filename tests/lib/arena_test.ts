/**
 * The byte arena: slots by size class, reuse through free lists, walks in
 * address order, dedicated chunks for large records, and bounded growth
 * under churn.
 */
import assert from "node:assert/strict";
import { ByteArena, CHUNK_BYTES, NO_ADDRESS, slotUnits } from "../../lib/arena.ts";
import { seededRandom } from "../../lib/random.ts";

/** Marks a record live (word 0 is the owner's and must not be FREE) and tags it with `tag`. */
function fill(arena: ByteArena, address: number, tag: number): void {
  const words = arena.wordsOf(address);
  const word = arena.wordOffset(address);
  words[word] = 0;
  words[word + 1] = tag;
}

function tagAt(arena: ByteArena, address: number): number {
  return arena.wordsOf(address)[arena.wordOffset(address) + 1]!;
}

/** Every live record's tag, in address order. */
function walk(arena: ByteArena): number[] {
  const tags: number[] = [];
  for (let address = arena.nextRecord(0); address !== NO_ADDRESS;) {
    tags.push(tagAt(arena, address));
    address = arena.nextRecord(arena.after(address));
  }
  return tags;
}

Deno.test("slotUnits gives every 8 bytes up to 128, then four classes per doubling", () => {
  assert.equal(slotUnits(0), 2);
  assert.equal(slotUnits(16), 2);
  assert.equal(slotUnits(17), 3);
  assert.equal(slotUnits(48), 6);
  assert.equal(slotUnits(128), 16);
  assert.equal(slotUnits(129), 20);
  assert.equal(slotUnits(8 * 33), 40);
  assert.equal(slotUnits(4124), 640);
  for (let bytes = 1; bytes < 100_000; bytes += 97) {
    const slot = slotUnits(bytes) * 8;
    assert.ok(slot >= bytes && slot <= Math.max(16, bytes * 1.25 + 8), `${bytes} -> ${slot}`);
  }
});

Deno.test("ByteArena.allocate reuses a freed slot of the same class and counts used bytes", () => {
  const arena = new ByteArena();
  const first = arena.allocate(40);
  fill(arena, first, 1);
  const second = arena.allocate(40);
  fill(arena, second, 2);
  assert.equal(arena.usedBytes, 80);
  arena.free(first, 40);
  assert.equal(arena.usedBytes, 40);
  assert.equal(arena.allocate(33), first);
  // Another class never takes that slot.
  arena.free(second, 40);
  assert.notEqual(arena.allocate(64), second);
  assert.equal(arena.reservedBytes, 2 * CHUNK_BYTES);
});

Deno.test("ByteArena grows across chunks and walks every live record once, in address order", () => {
  const arena = new ByteArena();
  const addresses: number[] = [];
  // 48-byte slots: 21,845 per chunk, so 50,000 records span three chunks.
  for (let i = 0; i < 50_000; i++) {
    const address = arena.allocate(48);
    fill(arena, address, i);
    addresses.push(address);
  }
  assert.equal(arena.reservedBytes, 3 * CHUNK_BYTES);
  for (let i = 0; i < 50_000; i += 3) arena.free(addresses[i]!, 48);
  const expected = [];
  for (let i = 0; i < 50_000; i++) if (i % 3 !== 0) expected.push(i);
  assert.deepEqual(walk(arena), expected);
  const sorted = [...addresses].sort((a, b) => a - b);
  assert.deepEqual(sorted, addresses);
});

Deno.test("ByteArena gives a record over half a chunk its own chunk, released on free", () => {
  const arena = new ByteArena();
  const small = arena.allocate(16);
  fill(arena, small, 7);
  const bytes = 3 * CHUNK_BYTES + 5;
  const large = arena.allocate(bytes);
  fill(arena, large, 8);
  const size = bytes + 3;
  assert.equal(ByteArena.slotBytes(bytes), size);
  assert.equal(arena.usedBytes, 16 + size);
  assert.equal(arena.reservedBytes, CHUNK_BYTES + size);
  assert.equal(arena.bytesOf(large).length, size);
  assert.deepEqual(walk(arena), [7, 8]);
  arena.free(large, bytes);
  assert.equal(arena.reservedBytes, CHUNK_BYTES);
  assert.deepEqual(walk(arena), [7]);
  // The released chunk's index serves the next large record.
  assert.equal(arena.allocate(CHUNK_BYTES), large);
});

Deno.test("ByteArena: freeing half of a mixed fill and allocating it again stays within 1.2x", () => {
  const random = seededRandom(12);
  const arena = new ByteArena();
  const sizes: number[] = [];
  const live: number[] = [];
  for (let i = 0; i < 60_000; i++) {
    const bytes = 16 + Math.floor(random() * random() * 600);
    sizes.push(bytes);
    live.push(arena.allocate(bytes));
    fill(arena, live[i]!, i);
  }
  const firstFill = arena.reservedBytes;
  for (let round = 0; round < 3; round++) {
    for (let i = round % 2; i < live.length; i += 2) arena.free(live[i]!, sizes[i]!);
    for (let i = round % 2; i < live.length; i += 2) {
      live[i] = arena.allocate(sizes[i]!);
      fill(arena, live[i]!, i);
    }
  }
  assert.ok(arena.reservedBytes <= firstFill * 1.2, `${arena.reservedBytes} vs ${firstFill}`);
  assert.equal(walk(arena).length, live.length);
});
