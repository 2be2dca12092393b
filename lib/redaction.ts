/**
 * Secrets in a command's arguments (AUTH and HELLO passwords, sensitive
 * CONFIG SET values) replaced by "(redacted)", as Redis 7's
 * `redactClientCommandArgument` does before a command reaches the slow log or
 * MONITOR.
 *
 * @module
 */

const REDACTED = "(redacted)";
/** CONFIG SET parameters whose values are never shown. */
const SENSITIVE_PARAMETERS = new Set(["requirepass", "masterauth", "masteruser"]);

/** `argv` with its secrets redacted; the same array when it has none. */
export function redactSecrets(argv: readonly string[]): readonly string[] {
  const name = argv[0]?.toLowerCase();
  if (name === "auth") return [argv[0]!, ...argv.slice(1).map(() => REDACTED)];
  if (name === "hello") {
    const copy = [...argv];
    for (let index = 2; index < copy.length; index++) {
      if (copy[index]!.toLowerCase() === "auth") {
        for (const secret of [index + 1, index + 2]) {
          if (secret < copy.length) copy[secret] = REDACTED;
        }
        break;
      }
    }
    return copy;
  }
  if (name === "config" && argv[1]?.toLowerCase() === "set") {
    const copy = [...argv];
    for (let index = 2; index + 1 < copy.length; index += 2) {
      if (SENSITIVE_PARAMETERS.has(copy[index]!.toLowerCase())) copy[index + 1] = REDACTED;
    }
    return copy;
  }
  return argv;
}
