import assert from "node:assert/strict";
import {
  bytesToSourcedString,
  bytesToString,
  forgetSources,
  stringToBytes,
  writeString,
} from "../../lib/bytes.ts";

/** `length` bytes running through every value 0–255 from `first`. */
function allByteValues(length: number, first = 0): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let index = 0; index < length; index++) bytes[index] = (first + index) % 256;
  return bytes;
}

Deno.test("a sourced string is written from the bytes it was decoded from, byte for byte", () => {
  // Bytes above 0x7F too: the encoder's path for them is a char-by-char loop.
  const request = new Uint8Array(5000);
  request.set(allByteValues(4096, 7), 100);
  const value = bytesToSourcedString(request, 100, 4196);
  try {
    assert.equal(value, bytesToString(request, 100, 4196));
    const arena = new Uint8Array(4200);
    assert.equal(writeString(arena, 50, value), 4146);
    assert.deepEqual(arena.subarray(50, 4146), request.subarray(100, 4196));
    // A different string with the same contents takes the same bytes: they are equal.
    const equal = bytesToString(request, 100, 4196);
    const other = new Uint8Array(4096);
    writeString(other, 0, equal);
    assert.deepEqual(other, request.subarray(100, 4196));
  } finally {
    forgetSources();
  }
});

Deno.test("strings of the same length but other contents are encoded, not copied from a source", () => {
  const request = allByteValues(300);
  const value = bytesToSourcedString(request, 0, 300);
  try {
    const other = bytesToString(allByteValues(300, 1), 0, 300);
    assert.notEqual(other, value);
    assert.deepEqual(stringToBytes(other), allByteValues(300, 1));
  } finally {
    forgetSources();
  }
});

Deno.test("after forgetSources a source's bytes may change: its string is encoded from itself", () => {
  const request = allByteValues(1000, 3);
  const value = bytesToSourcedString(request, 0, 1000);
  forgetSources();
  request.fill(0x2a);
  const written = new Uint8Array(1000);
  writeString(written, 0, value);
  assert.deepEqual(written, allByteValues(1000, 3));
});

Deno.test("more long arguments than the ring holds: the oldest are encoded, none copied wrong", () => {
  const request = new Uint8Array(200 * 130);
  const values: string[] = [];
  for (let index = 0; index < 130; index++) {
    request.set(allByteValues(200, index), index * 200);
    values.push(bytesToSourcedString(request, index * 200, index * 200 + 200));
  }
  try {
    for (let index = 0; index < 130; index++) {
      assert.deepEqual(stringToBytes(values[index]!), allByteValues(200, index));
    }
  } finally {
    forgetSources();
  }
});
