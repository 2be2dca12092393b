/**
 * The command clock (server/clock.ts): libc's clock_gettime through FFI when
 * the process may call FFI, performance.now() otherwise; either way it must
 * keep time as performance.now() does, in microseconds, and never go back.
 */
import assert from "node:assert/strict";
import { monotonicMicros } from "../../server/clock.ts";

/** Checks `clock` against performance.now() over a sleep, and its readings' order. */
async function assertKeepsTime(clock: () => number): Promise<void> {
  const clockStart = clock();
  const start = performance.now();
  await new Promise((resolve) => setTimeout(resolve, 30));
  const elapsed = (clock() - clockStart) / 1000;
  const reference = performance.now() - start;
  // Two readings taken a few microseconds apart: they agree to well under a millisecond.
  assert.ok(Math.abs(elapsed - reference) < 0.5, `${elapsed} ms against ${reference} ms`);
  assert.ok(elapsed >= 30, `${elapsed} ms for a 30 ms sleep`);
  let previous = clock();
  for (let i = 0; i < 100_000; i++) {
    const now = clock();
    assert.ok(now >= previous, `${now} after ${previous}`);
    previous = now;
  }
}

Deno.test("the command clock reads libc's monotonic clock when FFI is granted and keeps time", async () => {
  const clock = monotonicMicros();
  // Wrong units would be caught below; this catches the fallback being taken where FFI works.
  if (Deno.build.os === "linux") {
    assert.ok(!clock.toString().includes("performance"), "expected the clock_gettime clock");
  }
  await assertKeepsTime(clock);
});

// Last in the file: the revocation holds for the rest of this test process.
Deno.test("without FFI the command clock is performance.now() in microseconds", async () => {
  await Deno.permissions.revoke({ name: "ffi" });
  const clock = monotonicMicros();
  assert.ok(clock.toString().includes("performance"), "expected the performance.now clock");
  await assertKeepsTime(clock);
});
