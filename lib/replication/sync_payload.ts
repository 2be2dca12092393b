/**
 * Frames the RDB a master sends after `+FULLRESYNC`, as Redis's
 * `readSyncBulkPayload` does: newlines first (the master's keepalives while
 * it prepares the snapshot), then either `$<length>\r\n` and that many bytes
 * (disk-based sync) or `$EOF:<40-byte mark>\r\n`, the RDB, and the mark
 * again (diskless sync, whose length nobody knows in advance). A `-` line
 * instead is the master giving up.
 *
 * Pure and incremental: chunks of any size go in, RDB bytes come out as
 * they are known to be RDB, and the bytes after the payload (the start of
 * the command stream) are handed back. In EOF mode the last 40 bytes seen
 * are held back until more come, since they may be the mark.
 *
 * @module
 */
import { bytesToString } from "../bytes.ts";
import { REPLID_LENGTH } from "./replica_handshake.ts";

/** The payload header: a known length, or an end mark. */
export type PayloadFraming =
  | { readonly kind: "length"; readonly length: number }
  | { readonly kind: "eof"; readonly mark: string };

/** What one {@link SyncPayloadReader.push} found. */
export interface PayloadStep {
  /** RDB bytes of this chunk, in order (may be empty). */
  readonly rdb: Uint8Array[];
  /** The whole payload has been seen. */
  readonly finished: boolean;
  /** Bytes after the payload: the command stream's start (empty unless finished). */
  readonly rest: Uint8Array;
}

/** The master ended the transfer or spoke something else than a payload. */
export class SyncPayloadError extends Error {
  /** The master's `-` line as sent (`-NOAUTH …`), when it refused instead of sending a payload. */
  readonly refusal: string | undefined;

  constructor(message: string, refusal?: string) {
    super(message);
    this.name = "SyncPayloadError";
    this.refusal = refusal;
  }
}

const LF = 0x0a;
/** Redis reads the header with a 1024-byte line buffer. */
const MAX_HEADER = 1024;
const EMPTY: Uint8Array = new Uint8Array(0);

export class SyncPayloadReader {
  /** Header bytes gathered while the line is incomplete. */
  #header = EMPTY;
  #framing: PayloadFraming | undefined;
  /** RDB bytes handed out so far. */
  #read = 0;
  /** EOF mode: the last bytes seen, not yet handed out because they may be the mark. */
  #tail = EMPTY;

  /** The header once read, for logging and INFO's master_sync_total_bytes. */
  get framing(): PayloadFraming | undefined {
    return this.#framing;
  }

  /** Payload bytes received so far (INFO's master_sync_read_bytes). */
  get bytesRead(): number {
    return this.#read + this.#tail.length;
  }

  /** Takes the next chunk; throws {@link SyncPayloadError} on an error line or a bad header. */
  push(chunk: Uint8Array): PayloadStep {
    let bytes = chunk;
    if (this.#framing === undefined) {
      bytes = this.#readHeader(chunk);
      if (this.#framing === undefined) return { rdb: [], finished: false, rest: EMPTY };
    }
    const framing = this.#framing!;
    if (framing.kind === "length") {
      const take = Math.min(bytes.length, framing.length - this.#read);
      this.#read += take;
      const finished = this.#read === framing.length;
      return {
        rdb: take === 0 ? [] : [bytes.subarray(0, take)],
        finished,
        rest: finished ? bytes.subarray(take) : EMPTY,
      };
    }
    // EOF mode: the master sends nothing after the mark until the replica acknowledges it.
    const joined = join(this.#tail, bytes);
    if (joined.length >= REPLID_LENGTH && endsWithMark(joined, framing.mark)) {
      const body = joined.subarray(0, joined.length - REPLID_LENGTH);
      this.#read += body.length;
      this.#tail = EMPTY;
      return { rdb: body.length === 0 ? [] : [body], finished: true, rest: EMPTY };
    }
    const keep = Math.min(REPLID_LENGTH, joined.length);
    const body = joined.subarray(0, joined.length - keep);
    this.#tail = joined.slice(joined.length - keep);
    this.#read += body.length;
    return { rdb: body.length === 0 ? [] : [body], finished: false, rest: EMPTY };
  }

  /** Consumes keepalive newlines and the header line; returns what follows it. */
  #readHeader(chunk: Uint8Array): Uint8Array {
    let bytes = join(this.#header, chunk);
    for (;;) {
      const end = bytes.indexOf(LF);
      if (end === -1) {
        if (bytes.length > MAX_HEADER) {
          throw new SyncPayloadError("Bad protocol from MASTER: payload header too long");
        }
        this.#header = bytes.slice();
        return EMPTY;
      }
      const line = bytesToString(bytes, 0, end > 0 && bytes[end - 1] === 0x0d ? end - 1 : end);
      bytes = bytes.subarray(end + 1);
      if (line === "") continue;
      this.#header = EMPTY;
      this.#framing = parseHeader(line);
      return bytes;
    }
  }
}

function parseHeader(line: string): PayloadFraming {
  if (line.startsWith("-")) {
    throw new SyncPayloadError(
      `MASTER aborted replication with an error: ${line.slice(1)}`,
      line,
    );
  }
  if (!line.startsWith("$")) {
    throw new SyncPayloadError(
      `Bad protocol from MASTER, the first byte is not '$' (we received '${line}'), ` +
        "are you sure the host and port are right?",
    );
  }
  if (line.startsWith("$EOF:") && line.length - 5 >= REPLID_LENGTH) {
    return { kind: "eof", mark: line.slice(5, 5 + REPLID_LENGTH) };
  }
  const length = Number(line.slice(1));
  if (!Number.isSafeInteger(length) || length < 0) {
    throw new SyncPayloadError(`Bad protocol from MASTER: bad payload length '${line}'`);
  }
  return { kind: "length", length };
}

function endsWithMark(bytes: Uint8Array, mark: string): boolean {
  const start = bytes.length - REPLID_LENGTH;
  for (let i = 0; i < REPLID_LENGTH; i++) {
    if (bytes[start + i] !== mark.charCodeAt(i)) return false;
  }
  return true;
}

function join(first: Uint8Array, second: Uint8Array): Uint8Array {
  if (first.length === 0) return second;
  const joined = new Uint8Array(first.length + second.length);
  joined.set(first);
  joined.set(second, first.length);
  return joined;
}
