import assert from "node:assert/strict";
import fc from "fast-check";
import { globMatch, globToRegExp } from "../../lib/glob.ts";

/** Keys stored in redis-server 7.0 to record {@link REDIS_KEYS_TABLE}. */
const KEYS = [
  "a",
  "b",
  "c",
  "d",
  "ab",
  "abc",
  "abd",
  "aXc",
  "a*c",
  "a?c",
  "[",
  "]",
  "[a",
  "a]",
  "-",
  "^",
  "\\",
  "a\\",
  "_",
  "`",
  "x",
  "hello",
  "hallo",
  "hxllo",
  "hllo",
  "heeeello",
  "\x00",
  "\xff",
  "\x80",
  "a\x00c",
  "\xfe\xff",
  "A",
  "B",
  "]a",
  "a-",
  "-a",
  "*",
  "?",
  "ba",
];

/** Each pattern with the keys real `KEYS <pattern>` returned (redis-server 7.0.15). */
const REDIS_KEYS_TABLE: [string, string[]][] = [
  ["*", [
    "a",
    "b",
    "c",
    "d",
    "ab",
    "abc",
    "abd",
    "aXc",
    "a*c",
    "a?c",
    "[",
    "]",
    "[a",
    "a]",
    "-",
    "^",
    "\\",
    "a\\",
    "_",
    "`",
    "x",
    "hello",
    "hallo",
    "hxllo",
    "hllo",
    "heeeello",
    "\x00",
    "\xff",
    "\x80",
    "a\x00c",
    "\xfe\xff",
    "A",
    "B",
    "]a",
    "a-",
    "-a",
    "*",
    "?",
    "ba",
  ]],
  ["**", [
    "a",
    "b",
    "c",
    "d",
    "ab",
    "abc",
    "abd",
    "aXc",
    "a*c",
    "a?c",
    "[",
    "]",
    "[a",
    "a]",
    "-",
    "^",
    "\\",
    "a\\",
    "_",
    "`",
    "x",
    "hello",
    "hallo",
    "hxllo",
    "hllo",
    "heeeello",
    "\x00",
    "\xff",
    "\x80",
    "a\x00c",
    "\xfe\xff",
    "A",
    "B",
    "]a",
    "a-",
    "-a",
    "*",
    "?",
    "ba",
  ]],
  ["?", [
    "a",
    "b",
    "c",
    "d",
    "[",
    "]",
    "-",
    "^",
    "\\",
    "_",
    "`",
    "x",
    "\x00",
    "\xff",
    "\x80",
    "A",
    "B",
    "*",
    "?",
  ]],
  ["a*", ["a", "ab", "abc", "abd", "aXc", "a*c", "a?c", "a]", "a\\", "a\x00c", "a-"]],
  ["*c", ["c", "abc", "aXc", "a*c", "a?c", "a\x00c"]],
  ["a?c", ["abc", "aXc", "a*c", "a?c", "a\x00c"]],
  ["[abc]", ["a", "b", "c"]],
  ["[^a]", [
    "b",
    "c",
    "d",
    "[",
    "]",
    "-",
    "^",
    "\\",
    "_",
    "`",
    "x",
    "\x00",
    "\xff",
    "\x80",
    "A",
    "B",
    "*",
    "?",
  ]],
  ["[a-c]", ["a", "b", "c"]],
  ["[c-a]", ["a", "b", "c"]],
  ["\\*", ["*"]],
  ["a\\*c", ["a*c"]],
  ["[abc", ["a", "b", "c"]],
  ["[a-", ["a", "-"]],
  ["[a-]", ["a", "]", "^", "_", "`"]],
  ["[]a]", []],
  ["[]", []],
  ["[^]", [
    "a",
    "b",
    "c",
    "d",
    "[",
    "]",
    "-",
    "^",
    "\\",
    "_",
    "`",
    "x",
    "\x00",
    "\xff",
    "\x80",
    "A",
    "B",
    "*",
    "?",
  ]],
  ["[", []],
  ["\\", ["\\"]],
  ["a\\", ["a\\"]],
  ["[\\]]", ["]"]],
  ["[\\", ["\\"]],
  ["[a\\", ["a", "\\"]],
  ["h[ae]llo", ["hello", "hallo"]],
  ["h[^e]llo", ["hallo", "hxllo"]],
  ["h*llo", ["hello", "hallo", "hxllo", "hllo", "heeeello"]],
  ["h?llo", ["hello", "hallo", "hxllo"]],
  ["[\x00-\x7f]", [
    "a",
    "b",
    "c",
    "d",
    "[",
    "]",
    "-",
    "^",
    "\\",
    "_",
    "`",
    "x",
    "\x00",
    "A",
    "B",
    "*",
    "?",
  ]],
  ["[\x80-\xff]", ["\xff", "\x80"]],
  ["\xfe?", ["\xfe\xff"]],
  ["a\x00c", ["a\x00c"]],
  ["a[\x00]c", ["a\x00c"]],
  ["*\\", ["\\", "a\\"]],
  ["[-a]", ["a", "-"]],
  ["[a-b-c]", ["a", "b", "c", "-"]],
  ["[^", [
    "a",
    "b",
    "c",
    "d",
    "[",
    "]",
    "-",
    "^",
    "\\",
    "_",
    "`",
    "x",
    "\x00",
    "\xff",
    "\x80",
    "A",
    "B",
    "*",
    "?",
  ]],
  ["[^a", [
    "b",
    "c",
    "d",
    "[",
    "]",
    "-",
    "^",
    "\\",
    "_",
    "`",
    "x",
    "\x00",
    "\xff",
    "\x80",
    "A",
    "B",
    "*",
    "?",
  ]],
  ["[!a]", ["a"]],
  ["\\a", ["a"]],
  ["a\\?c", ["a?c"]],
  ["*a*", [
    "a",
    "ab",
    "abc",
    "abd",
    "aXc",
    "a*c",
    "a?c",
    "[a",
    "a]",
    "a\\",
    "hallo",
    "a\x00c",
    "]a",
    "a-",
    "-a",
    "ba",
  ]],
  ["?*", [
    "a",
    "b",
    "c",
    "d",
    "ab",
    "abc",
    "abd",
    "aXc",
    "a*c",
    "a?c",
    "[",
    "]",
    "[a",
    "a]",
    "-",
    "^",
    "\\",
    "a\\",
    "_",
    "`",
    "x",
    "hello",
    "hallo",
    "hxllo",
    "hllo",
    "heeeello",
    "\x00",
    "\xff",
    "\x80",
    "a\x00c",
    "\xfe\xff",
    "A",
    "B",
    "]a",
    "a-",
    "-a",
    "*",
    "?",
    "ba",
  ]],
  ["*?", [
    "a",
    "b",
    "c",
    "d",
    "ab",
    "abc",
    "abd",
    "aXc",
    "a*c",
    "a?c",
    "[",
    "]",
    "[a",
    "a]",
    "-",
    "^",
    "\\",
    "a\\",
    "_",
    "`",
    "x",
    "hello",
    "hallo",
    "hxllo",
    "hllo",
    "heeeello",
    "\x00",
    "\xff",
    "\x80",
    "a\x00c",
    "\xfe\xff",
    "A",
    "B",
    "]a",
    "a-",
    "-a",
    "*",
    "?",
    "ba",
  ]],
  ["[[]", ["["]],
  ["[a]]", ["a]"]],
  ["[A-a]", ["a", "[", "]", "^", "\\", "_", "`", "A", "B"]],
  ["[a-A]", ["a", "[", "]", "^", "\\", "_", "`", "A", "B"]],
  ["[z-a]*", [
    "a",
    "b",
    "c",
    "d",
    "ab",
    "abc",
    "abd",
    "aXc",
    "a*c",
    "a?c",
    "a]",
    "a\\",
    "x",
    "hello",
    "hallo",
    "hxllo",
    "hllo",
    "heeeello",
    "a\x00c",
    "a-",
    "ba",
  ]],
];

Deno.test("globMatch agrees with redis-server's KEYS on a recorded table", () => {
  for (const [pattern, matched] of REDIS_KEYS_TABLE) {
    const expected = new Set(matched);
    for (const key of KEYS) {
      assert.equal(
        globMatch(pattern, key),
        expected.has(key),
        `${JSON.stringify(pattern)} against ${JSON.stringify(key)}`,
      );
    }
  }
});

Deno.test("globMatch handles *, ? and literal text", () => {
  assert.equal(globMatch("h*llo", "hllo"), true);
  assert.equal(globMatch("h*llo", "heeeello"), true);
  assert.equal(globMatch("h?llo", "hllo"), false);
  assert.equal(globMatch("h?llo", "hello"), true);
  assert.equal(globMatch("hello", "hello!"), false);
  assert.equal(globMatch("hello", "Hello"), false);
  assert.equal(globMatch("a.c", "abc"), false, "regex metacharacters are literal");
  assert.equal(globMatch("a+", "aa"), false);
  assert.equal(globMatch("(a|b)", "(a|b)"), true);
  assert.equal(globMatch("$^", "$^"), true);
});

Deno.test("globMatch handles classes: sets, negation, ranges and reversed ranges", () => {
  assert.equal(globMatch("h[ae]llo", "hallo"), true);
  assert.equal(globMatch("h[ae]llo", "hillo"), false);
  assert.equal(globMatch("h[^e]llo", "hallo"), true);
  assert.equal(globMatch("h[^e]llo", "hello"), false);
  assert.equal(globMatch("h[a-b]llo", "hbllo"), true);
  assert.equal(globMatch("h[a-b]llo", "hcllo"), false);
  assert.equal(globMatch("[z-x]", "y"), true, "reversed range");
  assert.equal(globMatch("[z-x]", "w"), false);
  assert.equal(globMatch("[^a-c]", "d"), true);
  assert.equal(globMatch("[^a-c]", "b"), false);
  assert.equal(globMatch("[]", "]"), false, "an empty class matches nothing");
  assert.equal(globMatch("[^]", "x"), true, "an empty negated class matches any byte");
});

Deno.test("globMatch treats backslash as an escape inside and outside classes", () => {
  assert.equal(globMatch("a\\*c", "a*c"), true);
  assert.equal(globMatch("a\\*c", "abc"), false);
  assert.equal(globMatch("\\?", "?"), true);
  assert.equal(globMatch("\\?", "x"), false);
  assert.equal(globMatch("\\[a]", "[a]"), true);
  assert.equal(globMatch("[\\]]", "]"), true);
  assert.equal(globMatch("[\\-a]", "-"), true);
  assert.equal(globMatch("[\\-a]", "b"), false);
  assert.equal(globMatch("\\a", "a"), true);
  assert.equal(globMatch("a\\", "a\\"), true, "a trailing backslash is literal");
});

Deno.test("globMatch runs an unclosed class to the end of the pattern, as Redis does", () => {
  assert.equal(globMatch("[abc", "b"), true);
  assert.equal(globMatch("[abc", "[abc"), false);
  assert.equal(globMatch("x[ab", "xa"), true);
  assert.equal(globMatch("[", "["), false);
  assert.equal(globMatch("[^a", "b"), true);
  assert.equal(globMatch("[^a", "a"), false);
  assert.equal(globMatch("[a-", "-"), true);
  // A range may end in "]", and the class then continues.
  assert.equal(globMatch("[a-]", "_"), true);
  assert.equal(globMatch("[a-]", "-"), false);
});

Deno.test("globMatch matches binary text byte by byte", () => {
  assert.equal(globMatch("\x00*\xff", "\x00\r\n\x80\xff"), true);
  assert.equal(globMatch("?", "\n"), true);
  assert.equal(globMatch("*", "line1\nline2"), true);
  assert.equal(globMatch("a?c", "a\x00c"), true);
  assert.equal(globMatch("[\x80-\xff]", "\x9f"), true);
  assert.equal(globMatch("[\x80-\xff]", "\x7f"), false);
  for (let code = 0; code < 256; code++) {
    const byte = String.fromCharCode(code);
    assert.equal(globMatch("?", byte), true, `? against byte ${code}`);
    // A lone "[" opens an empty class; "[]]" is an empty class then "]"; "[\\]" escapes "]".
    assert.equal(globMatch(byte, byte), byte !== "[", `byte ${code} against itself`);
    assert.equal(globMatch(`[${byte}]`, byte), byte !== "]" && byte !== "\\", `[byte ${code}]`);
  }
});

Deno.test("globMatch lets * match the empty string", () => {
  // KEYS * lists the empty key in Redis (it short-cuts "*"); Kache's matcher agrees
  // for every all-star pattern, where Redis's stringmatchlen alone would refuse "".
  assert.equal(globMatch("*", ""), true);
  assert.equal(globMatch("**", ""), true);
  assert.equal(globMatch("", ""), true);
  assert.equal(globMatch("?", ""), false);
  assert.equal(globMatch("", "a"), false);
});

Deno.test("globToRegExp compiles an anchored pattern usable many times", () => {
  const regExp = globToRegExp("user:*:name");
  assert.equal(regExp.test("user:1:name"), true);
  assert.equal(regExp.test("user:1:name:x"), false);
  assert.equal(regExp.test("x:user:1:name"), false);
  assert.equal(regExp.test("user:2:name"), true);
});

/**
 * Redis 7.0's `stringmatchlen` ported line for line, as the model for the
 * property below. One deliberate difference: Redis reads bytes as C `char`,
 * signed on x86, so a range spanning 0x7F/0x80 differs between platforms;
 * the model (and Kache) compare unsigned bytes, the order keys sort in.
 */
function redisStringMatch(pattern: string, text: string): boolean {
  const state = { skipLonger: false };
  const match = (pi: number, si: number): boolean => {
    let patternLength = pattern.length - pi;
    let textLength = text.length - si;
    while (patternLength > 0 && textLength > 0) {
      switch (pattern[pi]) {
        case "*": {
          while (patternLength > 1 && pattern[pi + 1] === "*") {
            pi++;
            patternLength--;
          }
          if (patternLength === 1) return true;
          while (textLength > 0) {
            if (match(pi + 1, si)) return true;
            if (state.skipLonger) return false;
            si++;
            textLength--;
          }
          state.skipLonger = true;
          return false;
        }
        case "?":
          si++;
          textLength--;
          break;
        case "[": {
          pi++;
          patternLength--;
          const not = pattern[pi] === "^";
          if (not) {
            pi++;
            patternLength--;
          }
          let found = false;
          while (true) {
            if (pattern[pi] === "\\" && patternLength >= 2) {
              pi++;
              patternLength--;
              if (pattern[pi] === text[si]) found = true;
            } else if (pattern[pi] === "]") {
              break;
            } else if (patternLength === 0) {
              pi--;
              patternLength++;
              break;
            } else if (patternLength >= 3 && pattern[pi + 1] === "-") {
              let start = pattern.charCodeAt(pi);
              let end = pattern.charCodeAt(pi + 2);
              const code = text.charCodeAt(si);
              if (start > end) [start, end] = [end, start];
              pi += 2;
              patternLength -= 2;
              if (code >= start && code <= end) found = true;
            } else if (pattern[pi] === text[si]) {
              found = true;
            }
            pi++;
            patternLength--;
          }
          if (not) found = !found;
          if (!found) return false;
          si++;
          textLength--;
          break;
        }
        case "\\":
          if (patternLength >= 2) {
            pi++;
            patternLength--;
          }
          if (pattern[pi] !== text[si]) return false;
          si++;
          textLength--;
          break;
        default:
          if (pattern[pi] !== text[si]) return false;
          si++;
          textLength--;
          break;
      }
      pi++;
      patternLength--;
      if (textLength === 0) {
        while (pattern[pi] === "*") {
          pi++;
          patternLength--;
        }
        break;
      }
    }
    return patternLength === 0 && textLength === 0;
  };
  return match(0, 0);
}

Deno.test("globMatch agrees with a port of Redis's stringmatchlen on random input", () => {
  const patternUnit = fc.constantFrom(
    "a",
    "b",
    "c",
    "*",
    "?",
    "[",
    "]",
    "^",
    "-",
    "\\",
    "\x00",
    "\xff",
  );
  const textUnit = fc.constantFrom(
    "a",
    "b",
    "c",
    "*",
    "?",
    "[",
    "]",
    "^",
    "-",
    "\\",
    "\x00",
    "\xff",
    "_",
  );
  fc.assert(
    fc.property(
      fc.string({ unit: patternUnit, maxLength: 9 }),
      fc.string({ unit: textUnit, minLength: 1, maxLength: 7 }),
      (pattern, text) => {
        assert.equal(globMatch(pattern, text), redisStringMatch(pattern, text));
      },
    ),
    { numRuns: 10_000 },
  );
});
