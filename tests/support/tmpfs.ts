/**
 * Small tmpfs mounts for the tests of a full or read-only disk. Mounting
 * needs root (or CAP_SYS_ADMIN); {@link TMPFS_AVAILABLE} says whether this
 * machine allows it, so those tests are ignored, visibly, where it does not.
 */

export interface Tmpfs {
  readonly path: string;
  /** Unmounts and removes the mount point. */
  unmount(): Promise<void>;
}

async function run(command: string, args: string[]): Promise<boolean> {
  const { success } = await new Deno.Command(command, { args, stdout: "null", stderr: "null" })
    .output().catch(() => ({ success: false }));
  return success;
}

/** Mounts a tmpfs of `size` (mount's syntax: "5m") on a fresh temporary directory. */
export async function mountTmpfs(
  size: string,
  options: { readOnly?: boolean } = {},
): Promise<Tmpfs> {
  const path = await Deno.makeTempDir({ prefix: "kache-tmpfs-" });
  const mountOptions = `size=${size},mode=0755${options.readOnly ? ",ro" : ""}`;
  if (!await run("mount", ["-t", "tmpfs", "-o", mountOptions, "tmpfs", path])) {
    await Deno.remove(path);
    throw new Error(`Cannot mount a tmpfs on ${path}`);
  }
  return {
    path,
    async unmount() {
      await run("umount", [path]);
      await Deno.remove(path, { recursive: true }).catch(() => {});
    },
  };
}

async function probe(): Promise<boolean> {
  if (Deno.build.os !== "linux") return false;
  try {
    const tmpfs = await mountTmpfs("64k");
    await tmpfs.unmount();
    return true;
  } catch {
    return false;
  }
}

/** Whether tmpfs can be mounted here (root on Linux). */
export const TMPFS_AVAILABLE: boolean = await probe();

/**
 * Fills the file system holding `directory` with one file until writing
 * fails with ENOSPC; returns the filler's path (remove it to free the space).
 */
export async function fillDisk(directory: string): Promise<string> {
  const path = `${directory}/filler`;
  const file = await Deno.open(path, { write: true, create: true });
  const chunk = new Uint8Array(64 * 1024);
  try {
    for (let size = chunk.length; size > 0;) {
      try {
        await file.write(chunk.subarray(0, size));
      } catch {
        size >>= 1;
      }
    }
  } finally {
    file.close();
  }
  return path;
}
