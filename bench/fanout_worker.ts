/**
 * One group of fan-out subscribers for `bench/fanout.ts`, on its own thread so
 * the benchmark's readers keep up with the server: opens `count` RESP
 * connections, subscribes each to the channel, then counts bytes until each
 * has received every message. Frames are fixed-size, so bytes count messages.
 *
 * Messages in: {@link GroupTask}. Messages out: "ready" once every
 * subscription is confirmed, then "done" once every message has arrived.
 *
 * @module
 */

/** What the main thread asks of a group. */
export interface GroupTask {
  readonly port: number;
  readonly count: number;
  readonly channel: string;
  /** Bytes of the SUBSCRIBE confirmation, then of every message frame in all. */
  readonly confirmationBytes: number;
  readonly messageBytes: number;
}

declare const self: {
  onmessage: ((event: MessageEvent<GroupTask>) => void) | null;
  postMessage(message: string): void;
  close(): void;
};

async function readAtLeast(conn: Deno.Conn, buffer: Uint8Array, bytes: number): Promise<void> {
  for (let received = 0; received < bytes;) {
    const read = await conn.read(buffer);
    if (read === null) throw new Error(`Server closed a subscriber after ${received} bytes`);
    received += read;
  }
}

self.onmessage = async ({ data: task }) => {
  const conns: Deno.TcpConn[] = [];
  try {
    const request = new TextEncoder().encode(
      `*2\r\n$9\r\nSUBSCRIBE\r\n$${task.channel.length}\r\n${task.channel}\r\n`,
    );
    for (let i = 0; i < task.count; i++) {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: task.port });
      conns.push(conn);
      await conn.write(request);
    }
    const buffers = conns.map(() => new Uint8Array(16 * 1024));
    await Promise.all(
      conns.map((conn, i) => readAtLeast(conn, buffers[i]!, task.confirmationBytes)),
    );
    self.postMessage("ready");
    await Promise.all(conns.map((conn, i) => readAtLeast(conn, buffers[i]!, task.messageBytes)));
    self.postMessage("done");
  } catch (error) {
    self.postMessage(`error ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    for (const conn of conns) conn.close();
    self.close();
  }
};
