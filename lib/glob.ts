/**
 * Redis's glob patterns (`stringmatchlen`): `*`, `?`, `[abc]`, `[^a-z]`,
 * `\x` escapes. Used by KEYS, SCAN MATCH, CONFIG GET and pub/sub patterns.
 *
 * @module
 */

/** Compiles a glob to an anchored RegExp over one-byte strings. */
export function globToRegExp(glob: string): RegExp {
  let source = "^";
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i]!;
    if (char === "*") {
      source += "[\\s\\S]*";
    } else if (char === "?") {
      source += "[\\s\\S]";
    } else if (char === "\\" && i + 1 < glob.length) {
      source += escapeChar(glob[++i]!);
    } else if (char === "[") {
      // Redis's class rules: `\\` escapes, `x-y` is a range (reversed allowed) even when
      // `y` is `]`, and a class left unclosed runs to the end of the pattern.
      let j = i + 1;
      const negate = glob[j] === "^";
      if (negate) j++;
      let cls = "";
      for (; j < glob.length && glob[j] !== "]"; j++) {
        if (glob[j] === "\\" && j + 1 < glob.length) {
          cls += escapeChar(glob[++j]!);
        } else if (glob[j + 1] === "-" && j + 2 < glob.length) {
          let from = glob[j]!;
          let to = glob[j + 2]!;
          if (from > to) [from, to] = [to, from];
          cls += `${escapeChar(from)}-${escapeChar(to)}`;
          j += 2;
        } else {
          cls += escapeChar(glob[j]!);
        }
      }
      source += cls === "" ? (negate ? "[\\s\\S]" : "(?!)") : `[${negate ? "^" : ""}${cls}]`;
      i = j;
    } else {
      source += escapeChar(char);
    }
  }
  return new RegExp(source + "$");
}

function escapeChar(char: string): string {
  const code = char.charCodeAt(0);
  return `\\u${code.toString(16).padStart(4, "0")}`;
}

/** Whether `text` matches `glob`. */
export function globMatch(glob: string, text: string): boolean {
  return globToRegExp(glob).test(text);
}
