import assert from "node:assert/strict";
import { parseBindAddresses } from "../../server/server.ts";

Deno.test("parseBindAddresses marks a -prefixed address optional and reads * as every address", () => {
  assert.deepEqual(parseBindAddresses("127.0.0.1 -::1"), [
    { hostname: "127.0.0.1", optional: false },
    { hostname: "::1", optional: true },
  ]);
  assert.deepEqual(parseBindAddresses("  * -::*  "), [
    { hostname: "0.0.0.0", optional: false },
    { hostname: "::", optional: true },
  ]);
});
