/**
 * Redis 7's multi-part append-only file layout: a directory (`appenddirname`)
 * holding one base file (a snapshot, `<appendfilename>.<seq>.base.rdb`),
 * the incremental files written since it (`<appendfilename>.<seq>.incr.aof`,
 * replayed in order), and a manifest naming them
 * (`file appendonly.aof.1.base.rdb seq 1 type b`, one line each). The
 * manifest is what makes a rewrite atomic: the new files count only once a
 * new manifest has replaced the old one by rename.
 *
 * @module
 */

/** One file the manifest lists. */
export interface AofManifestFile {
  /** File name inside the AOF directory. */
  readonly name: string;
  readonly seq: number;
  /** `b` base, `i` incremental, `h` history (left from a rewrite, to delete). */
  readonly type: "b" | "i" | "h";
}

/** The parsed manifest: at most one base, incremental files in replay order. */
export interface AofManifest {
  readonly base: AofManifestFile | undefined;
  readonly incr: readonly AofManifestFile[];
  readonly history: readonly AofManifestFile[];
}

/** The manifest's file name for `appendfilename` (Redis: `appendonly.aof.manifest`). */
export function manifestName(appendfilename: string): string {
  return `${appendfilename}.manifest`;
}

/** A base file's name: `appendonly.aof.3.base.rdb`. */
export function baseName(appendfilename: string, seq: number): string {
  return `${appendfilename}.${seq}.base.rdb`;
}

/** An incremental file's name: `appendonly.aof.3.incr.aof`. */
export function incrName(appendfilename: string, seq: number): string {
  return `${appendfilename}.${seq}.incr.aof`;
}

/**
 * Reads a manifest as Redis's `aofLoadManifestFromFile` does: `#` comments,
 * `key value` pairs per line (file, seq, type; names may be double-quoted),
 * at most one base. Throws an Error naming the line for anything else.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * const manifest = parseAofManifest(
 *   "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n",
 * );
 * strictEqual(manifest.base?.name, "appendonly.aof.1.base.rdb");
 * strictEqual(manifest.incr[0]?.seq, 1);
 * ```
 */
export function parseAofManifest(text: string): AofManifest {
  let base: AofManifestFile | undefined;
  const incr: AofManifestFile[] = [];
  const history: AofManifestFile[] = [];
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  lines.forEach((line, index) => {
    const where = `line ${index + 1} of the AOF manifest`;
    if (line.trim() === "" || line.startsWith("#")) return;
    const words = splitWords(line);
    if (words === undefined || words.length % 2 !== 0) {
      throw new Error(`Invalid ${where}: ${JSON.stringify(line)}`);
    }
    const fields = new Map<string, string>();
    for (let i = 0; i < words.length; i += 2) fields.set(words[i]!, words[i + 1]!);
    const name = fields.get("file");
    const seqText = fields.get("seq");
    const type = fields.get("type");
    if (name === undefined || seqText === undefined || type === undefined) {
      throw new Error(`Invalid ${where}: it needs file, seq and type`);
    }
    if (name.includes("/") || name === "." || name === "..") {
      throw new Error(`Invalid ${where}: file ${JSON.stringify(name)} is not a plain name`);
    }
    if (!/^[0-9]+$/.test(seqText)) throw new Error(`Invalid ${where}: seq ${seqText}`);
    if (type !== "b" && type !== "i" && type !== "h") {
      throw new Error(`Invalid ${where}: unknown type ${JSON.stringify(type)}`);
    }
    const file: AofManifestFile = { name, seq: Number(seqText), type };
    if (type === "b") {
      if (base !== undefined) throw new Error(`Invalid ${where}: a second base file`);
      base = file;
    } else if (type === "i") {
      const previous = incr[incr.length - 1];
      if (previous !== undefined && previous.seq >= file.seq) {
        throw new Error(`Invalid ${where}: incremental files out of order`);
      }
      incr.push(file);
    } else {
      history.push(file);
    }
  });
  return { base, incr, history };
}

/**
 * Writes a manifest as Redis does: the base, then history, then the
 * incremental files, one `file … seq … type …` line each.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * const text = formatAofManifest({
 *   base: { name: "appendonly.aof.1.base.rdb", seq: 1, type: "b" },
 *   incr: [{ name: "appendonly.aof.1.incr.aof", seq: 1, type: "i" }],
 *   history: [],
 * });
 * strictEqual(
 *   text,
 *   "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n",
 * );
 * ```
 */
export function formatAofManifest(manifest: AofManifest): string {
  const files = [
    ...(manifest.base === undefined ? [] : [manifest.base]),
    ...manifest.history,
    ...manifest.incr,
  ];
  return files.map((file) => `file ${quoteName(file.name)} seq ${file.seq} type ${file.type}\n`)
    .join("");
}

/** A name as Redis's `sdscatrepr` writes one that needs quoting; plain names stay bare. */
function quoteName(name: string): string {
  if (/^[\x21-\x7e]+$/.test(name) && !/["'\\]/.test(name)) return name;
  let out = '"';
  for (const char of name) {
    const code = char.charCodeAt(0);
    if (char === '"' || char === "\\") out += "\\" + char;
    else if (code >= 0x20 && code < 0x7f) out += char;
    else out += "\\x" + code.toString(16).padStart(2, "0");
  }
  return out + '"';
}

/** Splits on blanks; a word may be double-quoted with `\"`, `\\` and `\xHH` escapes. */
function splitWords(line: string): string[] | undefined {
  const words: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (line[i] === " " || line[i] === "\t" || line[i] === "\r") i++;
    if (i >= line.length) break;
    let word = "";
    if (line[i] === '"') {
      i++;
      while (true) {
        const char = line[i];
        if (char === undefined) return undefined;
        i++;
        if (char === '"') break;
        if (char !== "\\") {
          word += char;
        } else if (line[i] === "x" && /^[0-9a-f]{2}$/i.test(line.slice(i + 1, i + 3))) {
          word += String.fromCharCode(parseInt(line.slice(i + 1, i + 3), 16));
          i += 3;
        } else {
          word += line[i++] ?? "";
        }
      }
    } else {
      while (i < line.length && line[i] !== " " && line[i] !== "\t" && line[i] !== "\r") {
        word += line[i++];
      }
    }
    words.push(word);
  }
  return words;
}
