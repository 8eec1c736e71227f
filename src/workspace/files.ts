import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { FileReader, TreeChange } from '../engine/tree';

/** Reads workspace files as binary strings; undefined when absent. */
export function directoryReader(dir: string): FileReader {
  return async (file) => {
    try {
      return (await fs.readFile(path.join(dir, file))).toString('latin1');
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
    const before = await fs.stat(target).catch(() => undefined);
    await fs.rm(target, { force: true });
    if (change.content === null) continue;
    await fs.mkdir(path.dirname(target), { recursive: true });
    await fs.writeFile(target, Buffer.from(change.content, 'latin1'));
    const executable = change.mode === undefined ? Boolean(before && before.mode & 0o100) : change.mode === '100755';
    await fs.chmod(target, executable ? 0o755 : 0o644);
  }
}
