/**
 * Reads append-only files: a stream of RESP multibulk commands
 * (`*<argc>\r\n` then `$<len>\r\n<bytes>\r\n` per argument), as Redis writes
 * and reads them (`loadSingleAppendOnlyFile`).
 *
 * Decisions that shape the module:
 * - Incremental and pure: bytes come in by {@link AofParser.push} in chunks
 *   of any size, commands go out to a callback with the file offset where
 *   each starts, and a command cut by a chunk boundary waits for the rest.
 * - A torn tail and corruption are told apart, because a crash can only
 *   tear the end: bytes that are a valid beginning of a command, cut short
 *   by the end of the file, are a truncation ({@link AofParser.end} reports
 *   where the last whole command ends, so the caller can cut the file
 *   there); anything that cannot be the beginning of a command is
 *   corruption, an {@link AofFormatError} with the offset, wherever it is.
 * - Strict framing: no inline commands, no spaces, canonical lengths, and
 *   CRLF after every line and every argument.
 *
 * @module
 */
import { bytesToString } from "../bytes.ts";
import { ChunkWindow } from "./chunk_window.ts";

/** Corrupt AOF contents, with the byte offset of the problem. */
export class AofFormatError extends Error {
  /** Offset from the start of the file. */
  readonly offset: number;

  constructor(problem: string, offset: number) {
    super(`${problem} at offset ${offset}`);
    this.name = "AofFormatError";
    this.offset = offset;
  }
}

/** How a file ended, from {@link AofParser.end}. */
export interface AofEnd {
  /** Commands delivered. */
  readonly commands: number;
  /** Offset just after the last whole command: the file's valid length. */
  readonly validLength: number;
  /** Bytes after `validLength`: a command cut short (0 when the file ends cleanly). */
  readonly truncatedBytes: number;
}

/** Options of {@link AofParser}. */
export interface AofParserOptions {
  /** Longest argument accepted (Redis's proto-max-bulk-len). Default 512 MiB. */
  readonly maxArgumentLength?: number;
  /** Most arguments in one command. Default 2^30. */
  readonly maxArguments?: number;
}

/** Thrown internally when the buffered bytes end inside a command; never escapes. */
class NeedMore {}
const NEED_MORE = new NeedMore();

/** A header line (`*123` or `$456`) longer than this is corrupt: 20 digits reach 2^64. */
const MAX_HEADER_LINE = 24;
const CR = 13;
const LF = 10;

/**
 * Parses one append-only file fed in chunks, calling `onCommand` with each
 * command's arguments (one-byte strings) and the offset where it starts.
 *
 * @example A torn last command
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * const bytes = new TextEncoder().encode("*1\r\n$4\r\nPING\r\n*3\r\n$3\r\nSET\r\n$1\r\nk");
 * const seen: string[][] = [];
 * const parser = new AofParser((argv) => seen.push(argv));
 * parser.push(bytes);
 * deepStrictEqual(seen, [["PING"]]);
 * deepStrictEqual(parser.end(), { commands: 1, validLength: 14, truncatedBytes: 18 });
 * ```
 */
export class AofParser extends ChunkWindow {
  readonly #onCommand: (argv: string[], offset: number) => void;
  readonly #maxArgumentLength: number;
  readonly #maxArguments: number;
  /** The parse cursor inside the command being read. */
  #p = 0;
  #commands = 0;
  /** Parsing is not retried until the file has reached this offset (one huge argument stays O(n)). */
  #retryAt = 0;

  constructor(onCommand: (argv: string[], offset: number) => void, options: AofParserOptions = {}) {
    super();
    this.#onCommand = onCommand;
    this.#maxArgumentLength = options.maxArgumentLength ?? 512 * 1024 * 1024;
    this.#maxArguments = options.maxArguments ?? 1024 * 1024 * 1024;
  }

  /** Offset just after the last whole command delivered so far. */
  get validLength(): number {
    return this.base + this.pos;
  }

  /** Adds the next bytes and delivers every command they complete. The chunk is not kept. */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.append(chunk);
    this.#parse();
    if (!this.owned && this.pos < this.limit) this.keepRest();
  }

  /**
   * Declares the file complete. Returns where the valid part ends and how
   * many bytes of a cut-short command follow; throws an
   * {@link AofFormatError} if the leftover bytes cannot begin a command.
   */
  end(): AofEnd {
    this.#retryAt = 0;
    this.#parse();
    const pending = this.limit - this.pos;
    if (pending > 0) {
      // Parse the tail once more: a corrupt one fails here, a torn one runs out of bytes.
      this.#p = this.pos;
      try {
        this.#readCommand();
      } catch (error) {
        if (error !== NEED_MORE) throw error;
      }
    }
    return { commands: this.#commands, validLength: this.validLength, truncatedBytes: pending };
  }

  #parse(): void {
    while (this.pos < this.limit) {
      if (this.base + this.limit < this.#retryAt) return;
      const start = this.pos;
      this.#p = start;
      let argv: string[];
      try {
        argv = this.#readCommand();
      } catch (error) {
        if (error !== NEED_MORE) throw error;
        const buffered = this.limit - start;
        this.#retryAt = this.base + start + Math.max(buffered + 1, 2 * buffered);
        return;
      }
      this.pos = this.#p;
      this.#commands++;
      this.#onCommand(argv, this.base + start);
    }
  }

  #readCommand(): string[] {
    const count = this.#readHeader(42, "'*' (the start of a command)");
    if (count < 1) throw this.#fail(`Command with ${count} arguments`, this.#p);
    if (count > this.#maxArguments) {
      throw this.#fail(`Command with ${count} arguments, more than allowed`, this.#p);
    }
    const argv: string[] = [];
    for (let i = 0; i < count; i++) {
      const length = this.#readHeader(36, "'$' (the start of an argument)");
      if (length > this.#maxArgumentLength) {
        throw this.#fail(`Argument of ${length} bytes, longer than allowed`, this.#p);
      }
      const p = this.#p;
      if (p + length + 2 > this.limit) throw NEED_MORE;
      if (this.bytes[p + length] !== CR || this.bytes[p + length + 1] !== LF) {
        throw this.#fail("Missing CRLF after an argument", p + length);
      }
      argv.push(bytesToString(this.bytes, p, p + length));
      this.#p = p + length + 2;
    }
    return argv;
  }

  /** Reads `<marker><digits>\r\n` and returns the number. */
  #readHeader(marker: number, what: string): number {
    const bytes = this.bytes;
    const start = this.#p;
    if (start >= this.limit) throw NEED_MORE;
    if (bytes[start] !== marker) {
      throw this.#fail(`Expected ${what}, found byte 0x${hex(bytes[start]!)}`, start);
    }
    let value = 0;
    let p = start + 1;
    for (;; p++) {
      if (p >= this.limit) throw NEED_MORE;
      const byte = bytes[p]!;
      if (byte === CR) break;
      if (byte < 48 || byte > 57 || p - start > MAX_HEADER_LINE) {
        throw this.#fail(`Bad length line (byte 0x${hex(byte)})`, p);
      }
      value = value * 10 + (byte - 48);
    }
    if (p === start + 1) throw this.#fail("Empty length line", p);
    if (p + 1 >= this.limit) throw NEED_MORE;
    if (bytes[p + 1] !== LF) throw this.#fail("Missing LF after a length line", p + 1);
    this.#p = p + 2;
    return value;
  }

  #fail(problem: string, at: number): AofFormatError {
    return new AofFormatError(problem, this.base + at);
  }
}

function hex(byte: number): string {
  return byte.toString(16).padStart(2, "0");
}
