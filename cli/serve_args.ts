/**
 * `kache serve [config-file] [--name value ...]`, read as redis-server reads
 * its command line: an optional config file first, then `--name value`
 * pairs that override it. A flag takes every word up to the next `--`, so
 * `--save 900 1 300 10` works as in Redis.
 *
 * @module
 */
import { findConfigParameter, parseConfigFile } from "../lib/config.ts";

export interface ServeArguments {
  /** Settings in the order they apply: config file lines first, then flags. */
  readonly settings: readonly (readonly [name: string, value: string])[];
  readonly configFile?: string;
  readonly help: boolean;
}

/**
 * Splits argv into settings; reads the config file through `readFile`.
 * Returns an error message for unknown names or a missing value.
 */
export function parseServeArguments(
  args: readonly string[],
  readFile: (path: string) => string,
): ServeArguments | { error: string } {
  const settings: [string, string][] = [];
  let index = 0;
  let configFile: string | undefined;
  if (args.includes("--help") || args.includes("-h")) return { settings, help: true };
  if (args[0] !== undefined && !args[0].startsWith("--")) {
    configFile = args[0];
    let text: string;
    try {
      text = readFile(configFile);
    } catch (cause) {
      return { error: `Cannot read config file "${configFile}": ${(cause as Error).message}` };
    }
    const parsed = parseConfigFile(text);
    if ("error" in parsed) return { error: `Bad config file "${configFile}": ${parsed.error}` };
    for (const [name, ...values] of parsed.lines) {
      if (findConfigParameter(name!) === undefined) {
        return { error: `Bad config file "${configFile}": unknown setting "${name}"` };
      }
      settings.push([name!.toLowerCase(), values.join(" ")]);
    }
    index = 1;
  }
  while (index < args.length) {
    const flag = args[index]!;
    if (!flag.startsWith("--")) {
      return { error: `Unexpected argument "${flag}": settings are written --name value` };
    }
    let name = flag.slice(2);
    const values: string[] = [];
    const equals = name.indexOf("=");
    if (equals !== -1) {
      values.push(name.slice(equals + 1));
      name = name.slice(0, equals);
    }
    index++;
    while (index < args.length && !args[index]!.startsWith("--")) values.push(args[index++]!);
    if (findConfigParameter(name) === undefined) {
      return { error: `Unknown setting "--${name}". Run "kache serve --help" for the list.` };
    }
    if (values.length === 0) return { error: `Setting "--${name}" needs a value` };
    settings.push([name.toLowerCase(), values.join(" ")]);
  }
  return { settings, configFile, help: false };
}
