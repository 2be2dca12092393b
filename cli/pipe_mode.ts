/**
 * `kache client --pipe`: mass insertion, as redis-cli 7.0's `pipeMode`.
 * Standard input is sent to the server byte for byte (RESP, or inline
 * commands), while replies are read and counted; errors are printed on
 * stderr as they come. At the end of the input an `ECHO` of 20 random bytes
 * follows: its reply is the proof that every earlier reply has arrived, so
 * the count is complete without knowing how many commands the input held.
 * The summary lines are redis-cli's:
 *
 * ```
 * All data transferred. Waiting for the last reply...
 * Last reply received from server.
 * errors: 0, replies: 1000000
 * ```
 *
 * The exit code is 1 when any reply was an error, or when no reply came for
 * `--pipe-timeout` seconds (default 30, 0 waits forever) after the input
 * ended.
 *
 * @module
 */
import { bytesToString, stringToBytes } from "../lib/bytes.ts";
import type { KacheConnection } from "./connection.ts";
import { messageOf, writeErr, writeOut } from "./output.ts";

/** redis-cli's default `--pipe-timeout`, in seconds. */
export const DEFAULT_PIPE_TIMEOUT = 30;

/** Bytes of the end marker, as redis-cli's. */
const MARKER_LENGTH = 20;

/**
 * The final request. It starts with CRLF so that, should the input end in
 * the middle of a command, the ECHO is still likely read as a command of its
 * own (servers skip empty lines between commands).
 */
function markerRequest(marker: string): Uint8Array {
  return stringToBytes(`\r\n*2\r\n$4\r\nECHO\r\n$${MARKER_LENGTH}\r\n${marker}\r\n`);
}

/** Sends `input` through `connection`; resolves with the exit code once the summary is printed. */
export async function pipeMode(
  connection: KacheConnection,
  input: ReadableStream<Uint8Array>,
  options: { readonly timeoutSeconds: number },
): Promise<number> {
  const marker = bytesToString(crypto.getRandomValues(new Uint8Array(MARKER_LENGTH)));
  let errors = 0;
  let replies = 0;
  let inputEnded = false;
  let lastReplyAt = Date.now();
  const { promise: lastReply, resolve: gotLastReply } = Promise.withResolvers<void>();
  connection.onPush = (reply) => {
    lastReplyAt = Date.now();
    if (reply.type === "error") {
      writeErr(`${reply.message}\n`);
      errors++;
    } else if (inputEnded && reply.type === "bulk" && reply.value === marker) {
      writeOut("Last reply received from server.\n");
      gotLastReply();
      return;
    }
    replies++;
  };
  const failed = connection.closed.then(() => "closed" as const);
  // A write fails only when the connection has: the server hung up (after a protocol error in
  // the input, say) or the network failed. Either way, said as the connection's failure.
  const lost = (error: unknown) => {
    writeErr(`Error: ${messageOf(error)}\n`);
    return 1;
  };
  const reader = input.getReader();
  for (;;) {
    let read: ReadableStreamReadResult<Uint8Array>;
    try {
      read = await reader.read();
    } catch (error) {
      writeErr(`Error reading from stdin: ${messageOf(error)}\n`);
      return 1;
    }
    if (read.done) break;
    try {
      await connection.writeRaw(read.value);
    } catch (error) {
      await reader.cancel().catch(() => {});
      return lost(error);
    }
  }
  inputEnded = true;
  writeOut("All data transferred. Waiting for the last reply...\n");
  try {
    await connection.writeRaw(markerRequest(marker));
  } catch (error) {
    return lost(error);
  }
  let timer: ReturnType<typeof setInterval> | undefined;
  const silence = new Promise<"timeout">((resolve) => {
    if (options.timeoutSeconds <= 0) return;
    // As redis-cli, checked once a second: the time since the last reply, not since the end.
    timer = setInterval(() => {
      if (Date.now() - lastReplyAt > options.timeoutSeconds * 1000) resolve("timeout");
    }, 1000);
  });
  const outcome = await Promise.race([lastReply.then(() => "done" as const), silence, failed]);
  clearInterval(timer);
  if (outcome === "closed") {
    // redis-cli exits 1 without a word here; saying why helps more.
    return lost(new Error("Server closed the connection"));
  }
  if (outcome === "timeout") {
    writeErr(`No replies for ${options.timeoutSeconds} seconds: exiting.\n`);
    errors++;
  }
  writeOut(`errors: ${errors}, replies: ${replies}\n`);
  return errors > 0 ? 1 : 0;
}
