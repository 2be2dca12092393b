/**
 * Command errors carry Redis's exact text, because clients match on it
 * (ioredis and node-redis parse the leading code, tests compare whole lines).
 * Handlers throw {@link CommandError}; the dispatcher turns it into an error
 * reply, so an error never crosses the connection loop.
 *
 * @module
 */

/** An error whose message is the full Redis error line, code included. */
export class CommandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CommandError";
  }
}

export const WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value";
export const SYNTAX = "ERR syntax error";
export const NOT_INTEGER = "ERR value is not an integer or out of range";
export const NOT_FLOAT = "ERR value is not a valid float";
export const NO_SUCH_KEY = "ERR no such key";
export const OVERFLOW = "ERR increment or decrement would overflow";
export const NOT_POSITIVE = "ERR value is out of range, must be positive";
export const NUMKEYS_POSITIVE = "ERR numkeys should be greater than 0";
export const COUNT_POSITIVE = "ERR count should be greater than 0";

export function wrongArity(name: string): string {
  return `ERR wrong number of arguments for '${name.toLowerCase()}' command`;
}

export function unknownCommand(argv: readonly string[]): string {
  // Redis appends quoted arguments while the list is under 128 bytes, cutting the last to fit.
  let shown = "";
  for (let i = 1; i < argv.length && shown.length < 128; i++) {
    shown += `'${argv[i]!.slice(0, 128 - shown.length)}' `;
  }
  return `ERR unknown command '${
    (argv[0] ?? "").slice(0, 128)
  }', with args beginning with: ${shown}`;
}

export function unknownSubcommand(command: string, subcommand: string): string {
  return `ERR unknown subcommand '${subcommand.slice(0, 128)}'. Try ${command.toUpperCase()} HELP.`;
}
