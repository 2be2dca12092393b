/**
 * Redis's `sdssplitargs`, the one argument splitter: RESP inline requests,
 * config files (and script shebang flags), and lines typed into `kache
 * client`, so a line pasted from redis-cli means the same here:
 *
 * - arguments are separated by blanks (space, tab, CR, LF, VT, FF);
 * - `"double quotes"` allow the escapes `\n \r \t \b \a \\ \"` and `\xHH`
 *   (any byte); any other escaped character stands for itself;
 * - `'single quotes'` take everything literally except `\'`;
 * - a closing quote must be followed by a blank or the end of the line;
 * - quotes may open in the middle of an argument: `a"b c"` is `ab c`.
 *
 * The line is a one-byte string (convert typed UTF-8 text with
 * `utf8ToBinary` first), so `\xHH` yields exactly that byte.
 *
 * @module
 */

/** Blanks that separate arguments (C `isspace`). */
function isBlank(char: string | undefined): boolean {
  return char === " " || char === "\t" || char === "\n" || char === "\r" || char === "\v" ||
    char === "\f";
}

function isHexDigit(char: string | undefined): boolean {
  return char !== undefined && /^[0-9a-fA-F]$/.test(char);
}

const ESCAPES: Readonly<Record<string, string>> = {
  n: "\n",
  r: "\r",
  t: "\t",
  b: "\b",
  a: "\x07",
};

/**
 * Splits `line` into arguments, or returns undefined when quotes are
 * unbalanced or a closing quote is followed by something other than a blank
 * (redis-cli then prints "Invalid argument(s)").
 *
 * @example Quoting and escapes
 * ```ts
 * import { splitArgs } from "./split_args.ts";
 * splitArgs(`set "a key" 'it''s' "\\x41\\n"`); // undefined: 'it' is followed by '
 * splitArgs(`set "a key" "\\x41\\n"`); // ["set", "a key", "A\n"]
 * ```
 */
export function splitArgs(line: string): string[] | undefined {
  // A C string ends at its first NUL; redis-cli never sees what follows.
  const nul = line.indexOf("\0");
  const text = nul < 0 ? line : line.slice(0, nul);
  const args: string[] = [];
  let i = 0;
  while (true) {
    while (isBlank(text[i])) i++;
    if (i >= text.length) return args;
    let current = "";
    let inDouble = false;
    let inSingle = false;
    let done = false;
    while (!done) {
      const char = text[i];
      if (inDouble) {
        if (char === undefined) return undefined; // unterminated quotes
        if (
          char === "\\" && text[i + 1] === "x" && isHexDigit(text[i + 2]) && isHexDigit(text[i + 3])
        ) {
          current += String.fromCharCode(parseInt(text.slice(i + 2, i + 4), 16));
          i += 3;
        } else if (char === "\\" && i + 1 < text.length) {
          i++;
          const escaped = text[i]!;
          current += ESCAPES[escaped] ?? escaped;
        } else if (char === '"') {
          if (i + 1 < text.length && !isBlank(text[i + 1])) return undefined;
          done = true;
        } else {
          current += char;
        }
      } else if (inSingle) {
        if (char === undefined) return undefined;
        if (char === "\\" && text[i + 1] === "'") {
          i++;
          current += "'";
        } else if (char === "'") {
          if (i + 1 < text.length && !isBlank(text[i + 1])) return undefined;
          done = true;
        } else {
          current += char;
        }
      } else if (
        char === undefined || char === " " || char === "\n" || char === "\r" || char === "\t"
      ) {
        done = true;
      } else if (char === '"') {
        inDouble = true;
      } else if (char === "'") {
        inSingle = true;
      } else {
        current += char;
      }
      if (i < text.length) i++;
    }
    args.push(current);
  }
}
