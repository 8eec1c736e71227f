import { chmodSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { permissionsOf, type FileReader, type TreeChange } from '../engine/tree';

// Synchronous: edit applies hundreds of patches one file at a time, and each fs.promises call is a thread-pool round trip.

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

/** Unlinked before written, so a hard link into the cache is replaced, never modified; without a patch mode a file keeps its x bit. */
export async function writeChanges(dir: string, changes: [string, TreeChange][]): Promise<void> {
  const permissions = permissionsOf(changes, (file) => {
    const stat = statSync(path.join(dir, file), { throwIfNoEntry: false });
    return stat?.isFile() ? (stat.mode & 0o100 ? 0o755 : 0o644) : undefined;
  });
  for (const [file, change] of changes) {
    const target = path.join(dir, file);
    rmSync(target, { force: true });
    if (change.content === null) continue;
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, Buffer.from(change.content, 'latin1'));
    chmodSync(target, permissions.get(file) === 0o755 ? 0o755 : 0o644);
  }
}
