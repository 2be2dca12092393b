/**
 * Files that are either wholly there or not at all: written under a
 * temporary name in the same directory, fsynced, renamed over the target,
 * and the directory fsynced so the rename itself survives a power cut (the
 * sequence Redis uses for dump.rdb and the AOF manifest). Synchronous: the
 * callers are the snapshot worker, startup and shutdown, and small files.
 *
 * @module
 */

let temporaryCounter = 0;

/** A fresh temporary name next to `path` (same directory, so rename is atomic). */
export function temporaryPathFor(path: string, suffix = ".tmp"): string {
  return `${directoryOf(path)}/temp-${Deno.pid}-${++temporaryCounter}${suffix}`;
}

/** The directory part of `path` ("." for a bare name). */
export function directoryOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash === -1 ? "." : slash === 0 ? "/" : path.slice(0, slash);
}

/** fsyncs a directory, making renames and new names in it durable. */
export function syncDirectory(directory: string): void {
  const handle = Deno.openSync(directory, { read: true });
  try {
    handle.syncSync();
  } finally {
    handle.close();
  }
}

/** Writes all of `bytes` (a write may take fewer bytes than it was given). */
export function writeAllSync(file: Deno.FsFile, bytes: Uint8Array): void {
  let written = 0;
  while (written < bytes.length) written += file.writeSync(bytes.subarray(written));
}

/** Moves a finished, fsynced temporary file over `path` and makes that durable. */
export function commitFile(temporaryPath: string, path: string): void {
  Deno.renameSync(temporaryPath, path);
  syncDirectory(directoryOf(path));
}

/**
 * Replaces `path` with `chunks` atomically: temp file, fsync, rename,
 * directory fsync. On failure the old file is untouched and the temp file gone.
 */
export function writeFileAtomicSync(path: string, chunks: Iterable<Uint8Array>): number {
  const temporary = temporaryPathFor(path);
  let bytes = 0;
  try {
    const file = Deno.openSync(temporary, { write: true, create: true, truncate: true });
    try {
      for (const chunk of chunks) {
        writeAllSync(file, chunk);
        bytes += chunk.length;
      }
      file.syncSync();
    } finally {
      file.close();
    }
    commitFile(temporary, path);
  } catch (error) {
    removeQuietly(temporary);
    throw error;
  }
  return bytes;
}

/** Removes a file if it is there; a missing file is not an error. */
export function removeQuietly(path: string): void {
  try {
    Deno.removeSync(path);
  } catch {
    // Already gone, or never created.
  }
}

/** {@link writeFileAtomicSync} without blocking the event loop: the AOF manifest mid-run. */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const temporary = temporaryPathFor(path);
  try {
    const file = await Deno.open(temporary, { write: true, create: true, truncate: true });
    try {
      let written = 0;
      while (written < bytes.length) written += await file.write(bytes.subarray(written));
      await file.sync();
    } finally {
      file.close();
    }
    await Deno.rename(temporary, path);
    const directory = await Deno.open(directoryOf(path), { read: true });
    try {
      await directory.sync();
    } finally {
      directory.close();
    }
  } catch (error) {
    await Deno.remove(temporary).catch(() => {});
    throw error;
  }
}
