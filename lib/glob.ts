/**
 * Redis's glob patterns (`stringmatchlen`): `*`, `?`, `[abc]`, `[^a-z]`,
 * `\x` escapes. Used by KEYS, SCAN MATCH, CONFIG GET and pub/sub patterns.
 *
 * @module
 */

/**
 * Compiles a glob to an anchored RegExp over one-byte strings.
 *
 * The RegExp must not backtrack over stars: `*a*a*a*a*a*a*b` against a
 * 60-byte key would take seconds that way, and a few more stars hang the
 * server (Redis fixed the same blow-up in 7.0.9, CVE-2022-36021). Every token
 * but `*` matches exactly one byte, so the pattern is fixed-length segments
 * between stars, and taking each middle segment at its leftmost occurrence
 * finds a match whenever one exists. `(?=([\s\S]*?segment))\N` does that
 * atomically (a lookahead is never re-entered on backtracking), and the last
 * segment is pinned to the end, so a match costs O(pattern × text).
 */
export function globToRegExp(glob: string): RegExp {
  const segments: string[] = [""];
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i]!;
    if (char === "*") {
      // Consecutive stars are one star: an empty segment between them changes nothing.
      if (segments[segments.length - 1] !== "" || segments.length === 1) segments.push("");
      continue;
    }
    let token: string;
    if (char === "?") {
      token = "[\\s\\S]";
    } else if (char === "\\" && i + 1 < glob.length) {
      token = escapeChar(glob[++i]!);
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
      token = cls === "" ? (negate ? "[\\s\\S]" : "(?!)") : `[${negate ? "^" : ""}${cls}]`;
      i = j;
    } else {
      token = escapeChar(char);
    }
    segments[segments.length - 1] += token;
  }
  if (segments.length === 1) return new RegExp(`^${segments[0]}$`);
  let source = `^${segments[0]}`;
  for (let k = 1; k < segments.length - 1; k++) {
    source += `(?=([\\s\\S]*?${segments[k]}))\\${k}`;
  }
  return new RegExp(`${source}[\\s\\S]*${segments[segments.length - 1]}$`);
}

function escapeChar(char: string): string {
  const code = char.charCodeAt(0);
  return `\\u${code.toString(16).padStart(4, "0")}`;
}

/** Whether `text` matches `glob`. */
export function globMatch(glob: string, text: string): boolean {
  return globToRegExp(glob).test(text);
}
