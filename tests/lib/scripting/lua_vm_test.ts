import { deepStrictEqual as assertEquals } from "node:assert/strict";
import type { Reply } from "../../../lib/reply.ts";
import { formatG } from "../../../lib/scripting/fengari.ts";
import { LuaVm, type ScriptHost } from "../../../lib/scripting/lua_vm.ts";

function evaluate(code: string, host: Partial<ScriptHost> = {}): Reply {
  const vm = new LuaVm("eval", { log() {} });
  const ref = vm.compile(code, "@user_script");
  if (typeof ref === "string") throw new Error(ref);
  const run = vm.start(ref, { keys: ["k"], args: ["a"] }, {
    call: host.call ?? (() => ({ kind: "nil" })),
    knowsCommand: host.knowsCommand ?? (() => true),
    setReplication: host.setReplication ?? (() => {}),
    interrupt: host.interrupt ?? (() => "continue"),
  }, "test");
  for (;;) {
    const result = run.step();
    if (result.done) return result.reply;
  }
}

Deno.test("formatG prints as C's %.14g and %.17g", () => {
  assertEquals(formatG(3, 14), "3");
  assertEquals(formatG(1e15, 14), "1e+15");
  assertEquals(formatG(0.1, 17), "0.10000000000000001");
  assertEquals(formatG(1 / 3, 14), "0.33333333333333");
  assertEquals(formatG(0.0001, 14), "0.0001");
  assertEquals(formatG(0.00001, 14), "1e-05");
});

Deno.test("Lua numbers behave as Lua 5.1 doubles", () => {
  assertEquals(evaluate("return tostring(3/1) .. ' ' .. (2147483647 + 1)"), {
    kind: "bulk",
    value: "3 2147483648",
  });
});

Deno.test("A Lua table converts to an array up to its first nil, numbers truncated", () => {
  const reply = evaluate("return {1, 2.9, 'x', nil, 5}");
  assertEquals(reply, {
    kind: "array",
    items: [{ kind: "integer", value: 1 }, { kind: "integer", value: 2 }, {
      kind: "bulk",
      value: "x",
    }],
  });
});

Deno.test("redis.call raises a command's error with the script's location", () => {
  const reply = evaluate("return redis.call('x')", {
    call: () => ({ kind: "error", message: "ERR nope" }),
  });
  assertEquals(reply, { kind: "error", message: "ERR nope script: test, on @user_script:1." });
});

Deno.test("A kill request from the hook stops an endless loop", () => {
  const reply = evaluate("while true do end", { interrupt: () => "kill" });
  assertEquals(reply.kind, "error");
  assertEquals(
    (reply as { message: string }).message.startsWith(
      "ERR Script killed by user with SCRIPT KILL...",
    ),
    true,
  );
});

Deno.test("A yield request pauses the script and a later step finishes it", () => {
  const vm = new LuaVm("eval", { log() {} });
  const ref = vm.compile("local n = 0 for i = 1, 300000 do n = n + 1 end return n", "@user_script");
  let pauses = 0;
  const run = vm.start(ref as number, { keys: [], args: [] }, {
    call: () => ({ kind: "nil" }),
    knowsCommand: () => true,
    setReplication() {},
    interrupt: () => pauses < 2 ? "yield" : "continue",
  }, "test");
  for (;;) {
    const result = run.step();
    if (result.done) {
      assertEquals(result.reply, { kind: "integer", value: 300000 });
      break;
    }
    pauses++;
  }
  assertEquals(pauses, 2);
});
