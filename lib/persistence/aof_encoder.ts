/**
 * Encodes commands for the append-only file as RESP multibulk, the format
 * Redis writes and `redis-check-aof` reads, into one growable buffer that
 * the writer takes whole once per batch (one write call per batch, however
 * many commands it held).
 *
 * @module
 */
import { writeString } from "../bytes.ts";

const INITIAL_SIZE = 64 * 1024;
/** A taken buffer bigger than this is not reused: one huge batch leaves no lasting cost. */
const KEEP_AT_MOST = 4 * 1024 * 1024;

/**
 * Commands appended as bytes, taken in order by {@link AofEncoder.take}.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * const encoder = new AofEncoder();
 * encoder.append(["SET", "k", "v"]);
 * strictEqual(new TextDecoder().decode(encoder.take()), "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n");
 * ```
 */
export class AofEncoder {
  #bytes = new Uint8Array(INITIAL_SIZE);
  #length = 0;

  /** Bytes appended and not yet taken. */
  get length(): number {
    return this.#length;
  }

  /** Encodes one command (one-byte-string arguments). */
  append(argv: readonly string[]): void {
    let size = 1 + digits(argv.length) + 2;
    for (const arg of argv) size += 1 + digits(arg.length) + 2 + arg.length + 2;
    this.#reserve(size);
    const bytes = this.#bytes;
    let p = this.#writeHeader(42, argv.length, this.#length);
    for (const arg of argv) {
      p = this.#writeHeader(36, arg.length, p);
      p = writeString(bytes, p, arg);
      bytes[p++] = 13;
      bytes[p++] = 10;
    }
    this.#length = p;
  }

  /**
   * Hands over everything appended so far as bytes the caller owns (safe to
   * keep across awaits and to transfer), and starts afresh.
   */
  take(): Uint8Array {
    // A copy of the used part: a batch is usually a few hundred bytes, far less than the buffer.
    const taken = this.#bytes.slice(0, this.#length);
    if (this.#bytes.length > KEEP_AT_MOST) this.#bytes = new Uint8Array(INITIAL_SIZE);
    this.#length = 0;
    return taken;
  }

  #reserve(size: number): void {
    if (this.#length + size <= this.#bytes.length) return;
    const grown = new Uint8Array(Math.max(this.#length + size, 2 * this.#bytes.length));
    grown.set(this.#bytes.subarray(0, this.#length));
    this.#bytes = grown;
  }

  /** Writes `<marker><value>\r\n` at `p`; returns the offset after it. */
  #writeHeader(marker: number, value: number, p: number): number {
    const bytes = this.#bytes;
    bytes[p++] = marker;
    const text = String(value);
    for (let i = 0; i < text.length; i++) bytes[p++] = text.charCodeAt(i);
    bytes[p++] = 13;
    bytes[p++] = 10;
    return p;
  }
}

/** Decimal digits of a non-negative integer. */
function digits(value: number): number {
  let count = 1;
  while (value >= 10) {
    value = Math.floor(value / 10);
    count++;
  }
  return count;
}
