/**
 * A raw RESP client for byte-exact comparisons: every reply comes back as
 * the exact bytes the server sent plus the decoded tree, so differential
 * tests can compare bytes first and fall back to decoded values only where
 * a difference is intentional.
 *
 * Arguments and replies are one-byte strings (char code = byte).
 *
 * @module
 */
import { bytesToString } from "../../lib/bytes.ts";
import {
  type ClientReply,
  encodeRespRequest,
  RespReplyDecoder,
} from "../../lib/protocol/resp_reply.ts";

/** One reply: the bytes on the wire and what they decode to. */
export interface RawReply {
  /** The reply's bytes, one char per byte. */
  readonly raw: string;
  readonly reply: ClientReply;
}

const CRLF = "\r\n";

/**
 * Length of the complete RESP2/RESP3 value starting at `offset`, or -1 when
 * `text` does not hold all of it yet. Aggregates are walked iteratively, so
 * deep nesting cannot overflow the stack.
 */
export function completeReplyLength(text: string, offset = 0): number {
  let position = offset;
  // Values still to read at each open aggregate level; the top level needs one.
  let pending = 1;
  const stack: number[] = [];
  while (true) {
    if (position >= text.length) return -1;
    const lineEnd = text.indexOf(CRLF, position);
    if (lineEnd < 0) return -1;
    const marker = text[position];
    const header = text.slice(position + 1, lineEnd);
    position = lineEnd + 2;
    let children = 0;
    if (marker === "$" || marker === "!" || marker === "=") {
      const length = Number(header);
      if (length >= 0) {
        if (text.length < position + length + 2) return -1;
        position += length + 2;
      }
    } else if (marker === "*" || marker === "~" || marker === ">") {
      children = Math.max(0, Number(header));
    } else if (marker === "%" || marker === "|") {
      children = Math.max(0, Number(header)) * 2;
    }
    // An attribute describes the value after it, which is still to come.
    if (marker === "|") pending++;
    pending--;
    if (children > 0) {
      stack.push(pending);
      pending = children;
    }
    while (pending === 0) {
      const outer = stack.pop();
      if (outer === undefined) return position - offset;
      pending = outer;
    }
  }
}

function decodeOne(raw: string): ClientReply {
  const bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  const result = new RespReplyDecoder().decode(bytes, 0, bytes.length);
  const reply = result.replies[0];
  if (reply === undefined || result.replies.length !== 1) {
    throw new Error(`Undecodable reply ${JSON.stringify(raw)}: ${result.error ?? "incomplete"}`);
  }
  return reply;
}

export class RawRespClient {
  readonly conn: Deno.TcpConn;
  /** Received bytes not yet returned as replies, one char per byte. */
  #pending = "";
  #readBuffer = new Uint8Array(64 * 1024);

  private constructor(conn: Deno.TcpConn) {
    this.conn = conn;
  }

  static async connect(port: number): Promise<RawRespClient> {
    return new RawRespClient(await Deno.connect({ hostname: "127.0.0.1", port }));
  }

  async writeRaw(bytes: Uint8Array): Promise<void> {
    let offset = 0;
    while (offset < bytes.length) offset += await this.conn.write(bytes.subarray(offset));
  }

  /** Reads one complete reply. Throws if the server closes first. */
  async readReply(): Promise<RawReply> {
    while (true) {
      const length = completeReplyLength(this.#pending);
      if (length >= 0) {
        const raw = this.#pending.slice(0, length);
        this.#pending = this.#pending.slice(length);
        return { raw, reply: decodeOne(raw) };
      }
      const count = await this.conn.read(this.#readBuffer);
      if (count === null) {
        throw new Error(`Connection closed with ${JSON.stringify(this.#pending)} unread`);
      }
      this.#pending += bytesToString(this.#readBuffer, 0, count);
    }
  }

  /**
   * Everything the server sends until it closes the connection (EOF or a
   * reset), unparsed. Gives up after `timeoutMs` and appends "<still open>",
   * so a server that fails to close fails the test instead of hanging it.
   */
  async readToEnd(timeoutMs = 2_000): Promise<string> {
    let text = this.#pending;
    this.#pending = "";
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), timeoutMs);
    });
    try {
      while (true) {
        const reading = this.conn.read(this.#readBuffer);
        const count = await Promise.race([reading, timedOut]).catch(() => null);
        if (count === "timeout") {
          this.close();
          await reading.catch(() => null);
          return text + "<still open>";
        }
        if (count === null) return text;
        text += bytesToString(this.#readBuffer, 0, count);
      }
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends one command and returns its reply. */
  async send(argv: readonly string[]): Promise<RawReply> {
    await this.writeRaw(encodeRespRequest(argv));
    return await this.readReply();
  }

  /** Sends all commands in one write (a pipeline) and returns their replies in order. */
  async pipeline(commands: readonly (readonly string[])[]): Promise<RawReply[]> {
    const parts = commands.map(encodeRespRequest);
    const bytes = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
    let offset = 0;
    for (const part of parts) {
      bytes.set(part, offset);
      offset += part.length;
    }
    await this.writeRaw(bytes);
    const replies: RawReply[] = [];
    for (let i = 0; i < commands.length; i++) replies.push(await this.readReply());
    return replies;
  }

  close(): void {
    try {
      this.conn.close();
    } catch {
      // Already closed.
    }
  }
}
