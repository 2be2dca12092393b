/**
 * `deno task docs`: rewrites the README's command reference from the table.
 *
 * @module
 */
import { ALL_COMMANDS } from "../lib/commands/mod.ts";
import { updateReadme } from "../lib/commands/reference.ts";

const path = new URL("../README.md", import.meta.url);
const readme = await Deno.readTextFile(path);
await Deno.writeTextFile(path, updateReadme(readme, ALL_COMMANDS));
