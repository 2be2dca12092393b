/**
 * `kache serve [config-file] [--name value ...]`, read as redis-server reads
 * its command line: an optional config file first, then `--name value`
 * pairs that override it. A flag takes every word up to the next `--`, so
 * `--save 900 1 300 10` works as in Redis.
 *
 * @module
 */
import {
  findConfigParameter,
  ioThreadsWithoutEffect,
  NO_EFFECT_DIRECTIVES,
  parseConfigFile,
} from "../lib/config.ts";

/** How deep `include` may nest: a file including itself is refused, not followed forever. */
const MAX_INCLUDE_DEPTH = 16;

export interface ServeArguments {
  /** Settings in the order they apply: config file lines first, then flags. */
  readonly settings: readonly (readonly [name: string, value: string])[];
  readonly configFile?: string;
  /** Redis directives met that have no effect in Kache, in first-seen order (for one warning). */
  readonly noEffect: readonly string[];
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
  const noEffect = new Set<string>();
  if (args.includes("--help") || args.includes("-h")) {
    return { settings, noEffect: [], help: true };
  }
  if (args[0] !== undefined && !args[0].startsWith("--")) {
    configFile = args[0];
    const problem = readConfigFile(configFile, readFile, { settings, noEffect }, 0);
    if (problem !== undefined) return { error: problem };
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
    if (values.length === 0) return { error: `Setting "--${name}" needs a value` };
    const lower = name.toLowerCase();
    if (ioThreadsWithoutEffect(lower, values.join(" "))) noEffect.add(lower);
    else if (findConfigParameter(name) !== undefined) settings.push([lower, values.join(" ")]);
    else if (NO_EFFECT_DIRECTIVES.has(lower)) noEffect.add(lower);
    else return { error: `Unknown setting "--${name}". Run "kache serve --help" for the list.` };
  }
  return { settings, configFile, noEffect: [...noEffect], help: false };
}

/**
 * Reads one config file into `into`, following `include` lines where they
 * stand (a path relative to the working directory, as redis-server reads it),
 * so later lines override earlier ones. Returns an error message.
 */
function readConfigFile(
  path: string,
  readFile: (path: string) => string,
  into: { settings: [string, string][]; noEffect: Set<string> },
  depth: number,
): string | undefined {
  if (depth > MAX_INCLUDE_DEPTH) {
    return `Bad config file "${path}": include nested more than ${MAX_INCLUDE_DEPTH} deep`;
  }
  let text: string;
  try {
    text = readFile(path);
  } catch (cause) {
    return `Cannot read config file "${path}": ${(cause as Error).message}`;
  }
  const parsed = parseConfigFile(text);
  if ("error" in parsed) return `Bad config file "${path}": ${parsed.error}`;
  for (const [name, ...values] of parsed.lines) {
    const lower = name!.toLowerCase();
    if (lower === "include") {
      if (values.length !== 1) return `Bad config file "${path}": include takes one file`;
      const problem = readConfigFile(values[0]!, readFile, into, depth + 1);
      if (problem !== undefined) return problem;
    } else if (lower === "loadmodule") {
      return `Bad config file "${path}": Kache cannot load Redis modules ("loadmodule ${
        values.join(" ")
      }")`;
    } else if (ioThreadsWithoutEffect(lower, values.join(" "))) {
      into.noEffect.add(lower);
    } else if (findConfigParameter(lower) !== undefined) {
      into.settings.push([lower, values.join(" ")]);
    } else if (NO_EFFECT_DIRECTIVES.has(lower)) {
      into.noEffect.add(lower);
    } else {
      return `Bad config file "${path}": unknown setting "${name}"`;
    }
  }
  return undefined;
}
