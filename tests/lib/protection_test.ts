import assert from "node:assert/strict";
import {
  allowProtectedAction,
  deniedByProtectedMode,
  isLoopbackAddress,
  PROTECTED_MODE_DENIED,
} from "../../lib/protection.ts";

Deno.test("isLoopbackAddress accepts 127.0.0.0/8, ::1 and IPv4-mapped loopback", () => {
  for (const address of ["127.0.0.1", "127.0.0.2", "127.255.255.254", "::1", "::ffff:127.0.0.1"]) {
    assert.equal(isLoopbackAddress(address), true, address);
  }
  assert.equal(isLoopbackAddress("::FFFF:127.0.0.1"), true);
  assert.equal(isLoopbackAddress("0:0:0:0:0:0:0:1"), true);
});

Deno.test("isLoopbackAddress refuses every other address, including look-alikes", () => {
  for (
    const address of [
      "192.0.2.2",
      "10.0.0.1",
      "0.0.0.0",
      "128.0.0.1",
      "1127.0.0.1",
      "127.0.0.1.example",
      "::",
      "::2",
      "fe80::1",
      "fd00::2",
      "::ffff:192.0.2.2",
      "localhost",
      "",
    ]
  ) {
    assert.equal(isLoopbackAddress(address), false, address);
  }
});

Deno.test("allowProtectedAction follows Redis: yes for all, local for loopback, no for none", () => {
  assert.equal(allowProtectedAction("yes", false), true);
  assert.equal(allowProtectedAction("yes", true), true);
  assert.equal(allowProtectedAction("local", true), true);
  assert.equal(allowProtectedAction("local", false), false);
  assert.equal(allowProtectedAction("no", true), false);
  assert.equal(allowProtectedAction("no", false), false);
});

Deno.test("deniedByProtectedMode turns away only remote clients while no password is set", () => {
  const open = { protectedMode: true, passwordSet: false };
  assert.equal(deniedByProtectedMode(open, false), true);
  assert.equal(deniedByProtectedMode(open, true), false);
  assert.equal(deniedByProtectedMode({ protectedMode: true, passwordSet: true }, false), false);
  assert.equal(deniedByProtectedMode({ protectedMode: false, passwordSet: false }, false), false);
});

Deno.test("PROTECTED_MODE_DENIED is Redis's one-line text", () => {
  assert.match(PROTECTED_MODE_DENIED, /^DENIED Redis is running in protected mode because /);
  assert.doesNotMatch(PROTECTED_MODE_DENIED, /[\r\n]/);
  assert.match(
    PROTECTED_MODE_DENIED,
    /the server to start accepting connections from the outside\.$/,
  );
});
