import assert from "node:assert/strict";
import {
  bytesToSourcedString,
  bytesToString,
  forgetSources,
  runningRequest,
  stringToBytes,
  writeString,
} from "../../lib/bytes.ts";

/** `length` bytes running through every value 0–255 from `first`. */
function allByteValues(length: number, first = 0): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let index = 0; index < length; index++) bytes[index] = (first + index) % 256;
  return bytes;
}

/** Runs `body` as the request `owner` is running, then forgets every source. */
function whileRunning(owner: object, body: () => void): void {
  runningRequest(owner);
  try {
    body();
  } finally {
    runningRequest(undefined);
    forgetSources();
  }
}

Deno.test("a running request's long argument is written from the bytes it was decoded from", () => {
  // Bytes above 0x7F too: the encoder's path for them is a char-by-char loop.
  const request = new Uint8Array(5000);
  request.set(allByteValues(4096, 7), 100);
  const argv: string[] = [];
  const value = bytesToSourcedString(request, 100, 4196, argv);
  whileRunning(argv, () => {
    assert.equal(value, bytesToString(request, 100, 4196));
    const arena = new Uint8Array(4200);
    assert.equal(writeString(arena, 50, value), 4146);
    assert.deepEqual(arena.subarray(50, 4146), request.subarray(100, 4196));
    // Another string with the same contents takes the same bytes: they are equal.
    const other = new Uint8Array(4096);
    writeString(other, 0, bytesToString(request, 100, 4196));
    assert.deepEqual(other, request.subarray(100, 4196));
    // Of the same length but other contents: encoded from itself.
    assert.deepEqual(stringToBytes(bytesToString(allByteValues(4096, 8))), allByteValues(4096, 8));
  });
});

Deno.test("another request's argument is encoded from the string, whatever its bytes became", () => {
  const request = allByteValues(1000, 3);
  const earlier: string[] = [];
  const value = bytesToSourcedString(request, 0, 1000, earlier);
  // The bytes are read over (a later read into the same buffer), as a kept list element's are.
  request.fill(0x2a);
  whileRunning([], () => {
    const written = new Uint8Array(1000);
    writeString(written, 0, value);
    assert.deepEqual(written, allByteValues(1000, 3));
  });
});

Deno.test("after forgetSources a request's own argument is encoded from the string", () => {
  const request = allByteValues(1000, 5);
  const argv: string[] = [];
  const value = bytesToSourcedString(request, 0, 1000, argv);
  forgetSources();
  request.fill(0x2a);
  whileRunning(argv, () => {
    const written = new Uint8Array(1000);
    writeString(written, 0, value);
    assert.deepEqual(written, allByteValues(1000, 5));
  });
});

Deno.test("more long arguments than the ring holds: every one is written right", () => {
  const request = new Uint8Array(200 * 130);
  const argv: string[] = [];
  for (let index = 0; index < 130; index++) {
    request.set(allByteValues(200, index), index * 200);
    argv.push(bytesToSourcedString(request, index * 200, index * 200 + 200, argv));
  }
  whileRunning(argv, () => {
    for (let index = 0; index < 130; index++) {
      assert.deepEqual(stringToBytes(argv[index]!), allByteValues(200, index));
    }
  });
});
