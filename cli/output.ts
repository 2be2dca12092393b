/**
 * Output and small helpers shared by `kache client`'s modes: text is a
 * one-byte string (char code = byte) written as its bytes, so reply bytes
 * reach the terminal or the pipe unchanged.
 *
 * @module
 */
import { stringToBytes } from "../lib/bytes.ts";

/** Whether stdin or stdout is a terminal (false when that cannot be known). */
export function isTerminal(stream: "stdin" | "stdout"): boolean {
  try {
    return (stream === "stdin" ? Deno.stdin : Deno.stdout).isTerminal();
  } catch {
    return false;
  }
}

/** The text of a thrown value, fit to print after "Error: ". */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * An operating-system error as C's strerror words it, as redis-cli prints
 * them: "No such file or directory", without Deno's "(os error 2): open …".
 */
export function osErrorText(error: unknown): string {
  return messageOf(error).replace(/ \(os error \d+\)[^]*$/, "");
}

/** Writes a one-byte string to stdout as its bytes. */
export function writeOut(text: string): void {
  writeAll(Deno.stdout, stringToBytes(text));
}

/** Writes a one-byte string to stderr as its bytes (server messages are bytes too). */
export function writeErr(text: string): void {
  writeAll(Deno.stderr, stringToBytes(text));
}

/** Writes all of `bytes`; a reader gone away is not an error. */
export function writeAll(file: { writeSync(bytes: Uint8Array): number }, bytes: Uint8Array): void {
  try {
    for (let offset = 0; offset < bytes.length;) offset += file.writeSync(bytes.subarray(offset));
  } catch (error) {
    // A reader that went away (`kache client … | head`) is not worth a stack trace.
    if (!(error instanceof Deno.errors.BrokenPipe)) throw error;
  }
}

/** Resolves after `seconds` (fractions allowed). */
export function sleep(seconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, seconds * 1000));
}
