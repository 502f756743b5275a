/**
 * Atomic file writes: write a temp file in the target's folder, fsync, rename over the target, so a reader (or a crash)
 * sees the old file or the new one, never half of one. Leaves out: fsync of the folder entry itself.
 */
import { randomBytes } from 'node:crypto';
import { type FileHandle, mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Runs `write` on a fresh temp file next to `path`, then fsyncs and renames it to `path` (creating folders). */
export async function writeFileAtomic(path: string, write: (fh: FileHandle) => Promise<void>): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fh = await open(tmp, 'wx');
  try {
    await write(fh);
    await fh.sync();
    await fh.close();
  } catch (err) {
    await fh.close().catch(() => {});
    await rm(tmp, { force: true });
    throw err;
  }
  await rename(tmp, path);
}

/** Writes a text file atomically. */
export const writeTextAtomic = (path: string, text: string): Promise<void> =>
  writeFileAtomic(path, async (fh) => {
    await fh.write(text);
  });
