import assert from "node:assert/strict";
import { ALL_COMMANDS } from "../../../lib/commands/mod.ts";
import {
  argumentSyntax,
  commandReference,
  updateCommandReference,
} from "../../../lib/commands/reference.ts";

Deno.test("argumentSyntax writes optional, token and one-of arguments as Redis docs do", () => {
  assert.equal(
    argumentSyntax({
      name: "condition",
      type: "oneof",
      optional: true,
      arguments: [
        { name: "nx", type: "pure-token", token: "NX" },
        { name: "xx", type: "pure-token", token: "XX" },
      ],
    }),
    "[NX|XX]",
  );
  assert.equal(
    argumentSyntax({ name: "seconds", type: "integer", token: "EX", optional: true }),
    "[EX seconds]",
  );
  assert.equal(argumentSyntax({ name: "key", type: "key", multiple: true }), "key [key ...]");
});

Deno.test("commandReference lists every command in the table", () => {
  const reference = commandReference(ALL_COMMANDS);
  for (const spec of ALL_COMMANDS) {
    if (spec.handler !== undefined) {
      assert.match(reference, new RegExp(`\\| \`${spec.name.toUpperCase()}\\b`));
    }
  }
});

/** Formats Markdown as `deno fmt` would, so the comparison ignores table padding. */
async function formatMarkdown(text: string): Promise<string> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--ext=md", "-"],
    cwd: new URL("../../../", import.meta.url),
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(text));
  await writer.close();
  return new TextDecoder().decode((await child.output()).stdout);
}

Deno.test("docs/commands.md is up to date (run `deno task docs` when this fails)", async () => {
  const document = await Deno.readTextFile(new URL("../../../docs/commands.md", import.meta.url));
  assert.equal(await formatMarkdown(updateCommandReference(document, ALL_COMMANDS)), document);
});
