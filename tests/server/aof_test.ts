/**
 * The AOF writer against a failing disk, through a file wrapper that fails
 * on cue: an fsync that fails once, a write cut short by a full disk (with
 * and without a working truncate), a disk that never recovers at close.
 * Every test reads the file back: each acknowledged command is in it
 * exactly once, whole.
 */
import assert from "node:assert/strict";
import { type AofFile, AppendOnlyFile, type FsyncPolicy, openForAppend } from "../../server/aof.ts";
import { Logger } from "../../server/log.ts";
import { AofParser } from "../../lib/persistence/aof_loader.ts";
import type { AofManifest } from "../../lib/persistence/aof_manifest.ts";

const INCR_NAME = "appendonly.aof.1.incr.aof";
const MANIFEST: AofManifest = {
  base: undefined,
  incr: [{ name: INCR_NAME, seq: 1, type: "i" }],
  history: [],
};
const EIO = () => new Error("Input/output error (os error 5)");
const ENOSPC = () => new Error("No space left on device (os error 28)");

/** How the wrapper's disk behaves; tests change it while the writer runs. */
interface Disk {
  /** Every write fails with ENOSPC. */
  full: boolean;
  /** The next write puts only this many bytes on disk, and then the disk is full. */
  shortWrite?: number;
  /** fsyncs still to fail with EIO. */
  syncFailures: number;
  /** truncate fails too. */
  truncateFails: boolean;
}

/** A real file whose operations fail as the disk says. */
class ScriptedFile implements AofFile {
  readonly #file: AofFile;
  readonly #disk: Disk;
  constructor(file: AofFile, disk: Disk) {
    this.#file = file;
    this.#disk = disk;
  }
  write(bytes: Uint8Array): Promise<number> {
    const disk = this.#disk;
    if (disk.full) return Promise.reject(ENOSPC());
    if (disk.shortWrite !== undefined) {
      const length = disk.shortWrite;
      disk.shortWrite = undefined;
      disk.full = true;
      return this.#file.write(bytes.subarray(0, length));
    }
    return this.#file.write(bytes);
  }
  syncData(): Promise<void> {
    if (this.#disk.syncFailures > 0) {
      this.#disk.syncFailures--;
      return Promise.reject(EIO());
    }
    return this.#file.syncData();
  }
  truncate(length: number): Promise<void> {
    return this.#disk.truncateFails ? Promise.reject(ENOSPC()) : this.#file.truncate(length);
  }
  close(): void {
    this.#file.close();
  }
}

async function withAof(
  fsync: FsyncPolicy,
  disk: Disk,
  body: (aof: AppendOnlyFile, directory: string, log: string[]) => Promise<void>,
): Promise<void> {
  const directory = await Deno.makeTempDir({ prefix: "kache-aof-" });
  const lines: string[] = [];
  try {
    const aof = new AppendOnlyFile(
      {
        directory,
        appendfilename: "appendonly.aof",
        fsync,
        log: new Logger("notice", (line) => lines.push(line)),
        open: async (path) => {
          const opened = await openForAppend(path);
          return { file: new ScriptedFile(opened.file, disk), size: opened.size };
        },
        retryMilliseconds: 1,
      },
      MANIFEST,
      0,
    );
    await body(aof, directory, lines);
  } finally {
    await Deno.remove(directory, { recursive: true });
  }
}

/** The commands in the incremental file, and bytes left over after the last whole one. */
async function commandsIn(directory: string): Promise<{ commands: string[]; torn: number }> {
  const commands: string[] = [];
  const parser = new AofParser((argv) => commands.push(argv.join(" ")));
  parser.push(await Deno.readFile(`${directory}/${INCR_NAME}`));
  return { commands, torn: parser.end().truncatedBytes };
}

/** Waits (bounded) until `done` holds, letting the writer loop run. */
async function until(done: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 2));
  assert.ok(done(), `timed out waiting for ${what}`);
}

Deno.test("AppendOnlyFile writes a block once when its fsync fails once (appendfsync always)", async () => {
  const disk: Disk = { full: false, syncFailures: 0, truncateFails: false };
  await withAof("always", disk, async (aof, directory, log) => {
    for (let i = 0; i < 21; i++) {
      // The 4th batch's fsync fails once with EIO; its reply waits for the retry.
      if (i === 3) disk.syncFailures = 1;
      aof.beforeBatch();
      aof.append(["INCR", "counter"]);
      await aof.afterBatch();
    }
    assert.equal(disk.syncFailures, 0);
    assert.equal(aof.failure, undefined, "the retried fsync succeeded");
    await aof.close();
    const { commands, torn } = await commandsIn(directory);
    assert.deepEqual(commands, Array(21).fill("INCR counter"));
    assert.equal(torn, 0);
    assert.ok(log.some((line) => line.includes("Error fsyncing the AOF file")));
    assert.ok(log.some((line) => line.includes("AOF write error looks solved")));
  });
});

/** The incremental file's length; 0 before it exists. */
function fileSize(directory: string): number {
  try {
    return Deno.statSync(`${directory}/${INCR_NAME}`).size;
  } catch {
    return 0;
  }
}

Deno.test("AppendOnlyFile truncates a write cut short by a full disk and writes it whole later", async () => {
  const disk: Disk = { full: false, syncFailures: 0, truncateFails: false };
  await withAof("everysec", disk, async (aof, directory, log) => {
    const value = "v".repeat(100);
    aof.append(["SET", "key:0", value]);
    aof.append(["SET", "key:1", value]);
    await until(
      () => fileSize(directory) > 0 && aof.unsyncedBytes === fileSize(directory),
      "the first write",
    );
    const before = fileSize(directory);
    disk.shortWrite = 7;
    aof.append(["SET", "key:2", value]);
    aof.append(["SET", "key:3", value]);
    await until(() => aof.failure !== undefined, "the failure");
    await until(() => fileSize(directory) === before, "the truncation");
    assert.equal(aof.failure, "No space left on device");
    // What the full disk did not take waits in memory (INFO's mem_aof_buffer).
    assert.equal(aof.unwrittenBytes, aof.currentSize - before);
    assert.ok(aof.unwrittenBytes > 200);
    assert.equal((await commandsIn(directory)).torn, 0, "the partial command was truncated away");
    aof.append(["SET", "key:4", value]);
    disk.full = false;
    await until(() => aof.failure === undefined, "the recovery");
    await until(() => aof.unwrittenBytes === 0, "the buffer to drain");
    await aof.close();
    const { commands, torn } = await commandsIn(directory);
    assert.deepEqual(commands, [0, 1, 2, 3, 4].map((i) => `SET key:${i} ${value}`));
    assert.equal(torn, 0);
    assert.ok(log.some((line) => line.includes("Error writing to the AOF file")));
  });
});

Deno.test("AppendOnlyFile writes only the rest of a short write when truncating fails too", async () => {
  const disk: Disk = { full: false, shortWrite: 10, syncFailures: 0, truncateFails: true };
  await withAof("everysec", disk, async (aof, directory, log) => {
    aof.append(["SET", "a", "1"]);
    aof.append(["SET", "b", "2"]);
    await until(() => aof.failure !== undefined, "the failure");
    disk.full = false;
    await until(() => aof.failure === undefined, "the recovery");
    await aof.close();
    const { commands, torn } = await commandsIn(directory);
    assert.deepEqual(commands, ["SET a 1", "SET b 2"]);
    assert.equal(torn, 0);
    assert.ok(log.some((line) => line.includes("Could not remove a partial write")));
  });
});

Deno.test("AppendOnlyFile lets reads go on a failing disk and close gives up on it, saying what is lost", async () => {
  const disk: Disk = { full: true, syncFailures: 0, truncateFails: false };
  await withAof("always", disk, async (aof, directory, log) => {
    aof.beforeBatch();
    aof.append(["SET", "a", "1"]);
    const held = aof.afterBatch();
    assert.ok(held !== undefined, "a write waits for the disk");
    // A read right behind it waits to see only durable data, until the disk fails.
    aof.beforeBatch();
    const reader = aof.afterBatch();
    assert.ok(reader !== undefined);
    let readerReleased = false;
    reader.then(() => readerReleased = true);
    await until(() => aof.failure !== undefined, "the failure");
    await until(() => readerReleased, "the reader's release");
    // A batch that logged nothing (a read) does not wait for the disk.
    aof.beforeBatch();
    assert.equal(aof.afterBatch(), undefined);
    await aof.close();
    await held;
    assert.ok(
      log.some((line) =>
        line.includes(
          "Could not save the AOF before closing it (No space left on device): 27 bytes not written",
        )
      ),
      log.join("\n"),
    );
    assert.deepEqual((await commandsIn(directory)).commands, []);
  });
});
