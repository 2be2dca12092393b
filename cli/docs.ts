/**
 * `deno task docs`: rewrites docs/commands.md's command reference from the table.
 *
 * @module
 */
import { ALL_COMMANDS } from "../lib/commands/mod.ts";
import { updateCommandReference } from "../lib/commands/reference.ts";

const path = new URL("../docs/commands.md", import.meta.url);
const document = await Deno.readTextFile(path);
await Deno.writeTextFile(path, updateCommandReference(document, ALL_COMMANDS));
