import type { NewFile } from '../series/newFiles';
import { readObjects } from '../workspace/catFile';
import { git } from './forkHistory';

/** `paths` at `commit` in the clone; a path the commit does not have (created, then deleted) is left out. */
export async function forkFiles(dir: string, commit: string, paths: string[]): Promise<NewFile[]> {
  if (paths.length === 0) return [];
  const listing = (await git(dir, ['ls-tree', '-r', '-z', commit, '--', ...paths.map((p) => `:(literal)${p}`)])).stdout.toString('latin1');
  const entries = listing
    .split('\0')
    .filter(Boolean)
    .map((line) => {
      const [meta, name] = [line.slice(0, line.indexOf('\t')), line.slice(line.indexOf('\t') + 1)];
      const [mode, , id] = meta.split(' ');
      return { mode, id, path: Buffer.from(name, 'latin1').toString('utf8') };
    })
    .filter((e) => e.mode === '100644' || e.mode === '100755');
  const blobs = await readObjects(
    dir,
    entries.map((e) => e.id),
  );
  return entries
    .map((e) => ({ path: e.path, content: blobs.get(e.id) ?? '', mode: e.mode as NewFile['mode'] }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
