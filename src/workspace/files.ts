import { chmodSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { FileReader, TreeChange } from '../engine/tree';

/*
 * Synchronous file calls: edit applies hundreds of patches one file at a time, and each
 * fs.promises call is a thread-pool round trip (on a busy machine, most of edit's time).
 */

/** Reads workspace files as binary strings; undefined when absent. */
export function directoryReader(dir: string): FileReader {
  return async (file) => {
    try {
      return readFileSync(path.join(dir, file)).toString('latin1');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'EISDIR') return undefined;
      throw error;
    }
  };
}

/**
 * Write engine results into a directory. A file is unlinked before it is written, so a
 * hard link into the upstream cache is replaced, never modified. Without a mode from the patch,
 * a file keeps its executable bit.
 */
export async function writeChanges(dir: string, changes: [string, TreeChange][]): Promise<void> {
  for (const [file, change] of changes) {
    const target = path.join(dir, file);
    const before = statSync(target, { throwIfNoEntry: false });
    rmSync(target, { force: true });
    if (change.content === null) continue;
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, Buffer.from(change.content, 'latin1'));
    const executable = change.mode === undefined ? Boolean(before && before.mode & 0o100) : change.mode === '100755';
    chmodSync(target, executable ? 0o755 : 0o644);
  }
}
