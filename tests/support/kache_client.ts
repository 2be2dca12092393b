/**
 * A minimal binary-protocol client for end-to-end tests: sends raw frames and
 * reads raw response frames, so tests can check the exact bytes.
 */
import {
  encodeKacheRequest,
  type KacheResponse,
  KacheResponseDecoder,
} from "../../lib/protocol/kache.ts";

export class RawKacheClient {
  readonly conn: Deno.TcpConn;
  #buffer = new Uint8Array(0);

  private constructor(conn: Deno.TcpConn) {
    this.conn = conn;
  }

  static async connect(port: number): Promise<RawKacheClient> {
    return new RawKacheClient(await Deno.connect({ hostname: "127.0.0.1", port }));
  }

  async writeRaw(bytes: Uint8Array): Promise<void> {
    let offset = 0;
    while (offset < bytes.length) offset += await this.conn.write(bytes.subarray(offset));
  }

  /** Reads exactly one response frame's bytes (length prefix included), or null on EOF. */
  async readFrame(): Promise<Uint8Array | null> {
    while (true) {
      if (this.#buffer.length >= 4) {
        const length = new DataView(this.#buffer.buffer, this.#buffer.byteOffset).getUint32(
          0,
          true,
        );
        if (this.#buffer.length >= 4 + length) {
          const frame = this.#buffer.slice(0, 4 + length);
          this.#buffer = this.#buffer.slice(4 + length);
          return frame;
        }
      }
      const chunk = new Uint8Array(65536);
      const count = await this.conn.read(chunk);
      if (count === null) return null;
      const merged = new Uint8Array(this.#buffer.length + count);
      merged.set(this.#buffer);
      merged.set(chunk.subarray(0, count), this.#buffer.length);
      this.#buffer = merged;
    }
  }

  /** Sends one request and returns the raw response frame. */
  async requestRaw(argv: string[]): Promise<Uint8Array> {
    await this.writeRaw(encodeKacheRequest(argv));
    const frame = await this.readFrame();
    if (frame === null) throw new Error("Connection closed before the response");
    return frame;
  }

  /** Sends one request and returns the decoded response. */
  async request(argv: string[]): Promise<KacheResponse> {
    const frame = await this.requestRaw(argv);
    const decoded = new KacheResponseDecoder().decode(frame, 0, frame.length);
    const response = decoded.responses[0];
    if (response === undefined) throw new Error(`Undecodable response: ${decoded.error}`);
    return response;
  }

  /** Reads until the peer closes; returns how many bytes arrived after the last frame read. */
  async drain(): Promise<number> {
    let received = this.#buffer.length;
    this.#buffer = new Uint8Array(0);
    const chunk = new Uint8Array(65536);
    while (true) {
      const count = await this.conn.read(chunk).catch(() => null);
      if (count === null) return received;
      received += count;
    }
  }

  /** True when the server closed the connection (read returns EOF or a reset). */
  async isClosedByPeer(): Promise<boolean> {
    try {
      return (await this.readFrame()) === null;
    } catch {
      return true;
    }
  }

  close(): void {
    try {
      this.conn.close();
    } catch {
      // Already closed.
    }
  }
}
