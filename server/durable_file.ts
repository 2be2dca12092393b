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

/**
 * Throws unless a file can be created in `directory` (read-only, missing,
 * not a directory…): creates a temporary file there and removes it.
 */
export function checkWritableSync(directory: string): void {
  const probe = temporaryPathFor(`${directory}/probe`);
  Deno.openSync(probe, { write: true, createNew: true }).close();
  removeQuietly(probe);
}

/** Temporary names {@link temporaryPathFor} gives (`temp-<pid>-<n><suffix>`), and Redis's `temp-<pid>.rdb`. */
const TEMPORARY_NAME = /^temp-(\d+)(?:-\d+)?\.(?:rdb|tmp)$/;

/**
 * Removes the temporary files a killed process left in `directory` (a
 * snapshot or AOF rewrite cut short by kill -9); returns their names. Ours
 * (this pid) are in use and kept.
 */
export function removeLeftoverTemporaries(directory: string): string[] {
  const removed: string[] = [];
  let entries: Iterable<Deno.DirEntry>;
  try {
    entries = Deno.readDirSync(directory);
  } catch {
    return removed;
  }
  for (const entry of entries) {
    const match = TEMPORARY_NAME.exec(entry.name);
    if (!entry.isFile || match === null || Number(match[1]) === Deno.pid) continue;
    removeQuietly(`${directory}/${entry.name}`);
    removed.push(entry.name);
  }
  return removed;
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
