import { promises as fs } from 'node:fs';
import path from 'node:path';

/** Hard links to the files (copies across file systems), symlinks kept as links: for read-only trees such as a cached node_modules. */
export async function linkOrCopyTree(from: string, to: string): Promise<void> {
  await fs.mkdir(to, { recursive: true });
  for (const entry of await fs.readdir(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    const target = path.join(to, entry.name);
    if (entry.isDirectory()) await linkOrCopyTree(source, target);
    else if (entry.isSymbolicLink()) await fs.symlink(await fs.readlink(source), target);
    else {
      try {
        await fs.link(source, target);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
        await fs.copyFile(source, target);
      }
    }
  }
}
