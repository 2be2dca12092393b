/**
 * CONFIG REWRITE's file work: reads the config file the server started
 * with, builds the new text (lib/config_rewrite.ts) and replaces the file
 * atomically (temporary file, fsync, rename, directory fsync), as Redis's
 * rewriteConfigOverwriteFile does.
 *
 * @module
 */
import { resolve } from "node:path";
import { rewriteConfigText } from "../lib/config_rewrite.ts";
import { writeFileAtomicSync } from "./durable_file.ts";
import type { KacheServer } from "./server.ts";

/** Rewrites the server's config file; returns Redis's error text on failure. */
export function rewriteConfigFile(server: KacheServer): string | undefined {
  const path = server.configFile;
  if (path === undefined) return "ERR The server is running without a config file";
  let oldText = "";
  try {
    oldText = Deno.readTextFileSync(path);
  } catch (cause) {
    // A missing file is written anew, as Redis does; anything else is an error.
    if (!(cause instanceof Deno.errors.NotFound)) return rewriteError(server, cause);
  }
  const text = rewriteConfigText({
    oldText,
    valueOf: (name) => server.config.value(name),
    absoluteDir: resolve(server.config.string("dir")),
  });
  try {
    writeFileAtomicSync(path, [new TextEncoder().encode(text)]);
  } catch (cause) {
    return rewriteError(server, cause);
  }
  server.log.notice("CONFIG REWRITE executed with success.");
  return undefined;
}

function rewriteError(server: KacheServer, cause: unknown): string {
  // Deno's text starts with the system's strerror, which is all Redis shows.
  const reason = (cause instanceof Error ? cause.message : String(cause))
    .replace(/ \(os error \d+\).*$/s, "");
  server.log.warning(`CONFIG REWRITE failed: ${reason}`);
  return `ERR Rewriting config file: ${reason}`;
}
