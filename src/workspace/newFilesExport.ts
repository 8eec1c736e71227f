// With a files folder a new file is written back there byte for byte and no patch carries it; a commit left empty writes no patch.
import { lstatSync, promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import { MeshforkError } from '../errors';
import { readNewFiles, type NewFile } from '../series/newFiles';
import { assertSafePath } from '../series/pathSafety';
import type { FileChange } from '../series/writer';
import { writeFileAtomic } from '../util/atomic';
import type { PatchCommit } from './commits';

export interface NewFilesSplit {
  commits: PatchCommit[];
  newPaths: string[];
}

const pathOf = (change: FileChange): string => (change.newPath ?? change.oldPath) as string;

/** New: in the folder now, or created by a commit before any other touched it, unless a patch already created it (inPatches). */
export function splitNewFiles(commits: PatchCommit[], inFolder: Iterable<string>, inPatches: Iterable<string> = []): NewFilesSplit {
  const fresh = new Set(inFolder);
  const touched = new Set<string>(inPatches);
  for (const commit of commits) {
    for (const change of commit.changes) {
      const p = pathOf(change);
      // created where nothing was, or a new file moved: new too
      const movedFresh = change.oldPath !== null && change.oldPath !== change.newPath && fresh.has(change.oldPath);
      if ((change.oldPath === null || movedFresh) && !touched.has(p)) fresh.add(p);
      if (change.oldPath !== null) touched.add(change.oldPath);
      touched.add(p);
    }
  }
  const isFresh = (c: FileChange) => [c.oldPath, c.newPath].every((p) => p === null || fresh.has(p));
  const kept = commits.flatMap((commit) => {
    if (commit.changes.length === 0) return [commit]; // the plan refuses an empty commit, as without a folder
    const changes = commit.changes.filter((c) => !isFresh(c));
    return changes.length ? [{ ...commit, changes }] : [];
  });
  return { commits: kept, newPaths: [...fresh].sort() };
}

export interface NewFilesWrite {
  written: string[];
  removed: string[];
  unchanged: string[];
}

async function removeEmptyFolders(root: string, rel: string): Promise<void> {
  for (let dir = path.dirname(rel); dir !== '.' && dir !== ''; dir = path.dirname(dir)) {
    const full = path.join(root, dir);
    if ((await fs.readdir(full).catch(() => ['?'])).length > 0) return;
    await fs.rmdir(full);
  }
}

export function workspaceNewFiles(workDir: string, newPaths: string[]): NewFile[] {
  const found: NewFile[] = [];
  for (const rel of newPaths) {
    assertSafePath(rel, `export: ${rel}`);
    const stat = lstatSync(path.join(workDir, rel), { throwIfNoEntry: false });
    if (!stat) continue;
    if (!stat.isFile()) {
      throw new MeshforkError('STATE_INVALID', `${rel} is new in the series but not a regular file in the workspace`, {
        hint: 'a files folder holds regular files only: make it one, or carry it in a patch without a files folder',
      });
    }
    found.push({
      path: rel,
      content: readFileSync(path.join(workDir, rel)).toString('latin1'),
      mode: stat.mode & 0o111 ? '100755' : '100644',
    });
  }
  return found;
}

export async function writeNewFiles(filesDir: string, files: NewFile[]): Promise<NewFilesWrite> {
  const before = new Map(readNewFiles(filesDir).map((f) => [f.path, f]));
  const result: NewFilesWrite = { written: [], removed: [], unchanged: [] };
  for (const file of files) {
    const rel = file.path;
    assertSafePath(rel, `files: ${rel}`);
    const content = Buffer.from(file.content, 'latin1');
    const mode = file.mode === '100755' ? 0o755 : 0o644;
    const old = before.get(rel);
    if (old && Buffer.from(old.content, 'latin1').equals(content) && (old.mode === '100755') === (mode === 0o755)) {
      result.unchanged.push(rel);
      continue;
    }
    const target = path.join(filesDir, rel);
    await fs.mkdir(path.dirname(target), { recursive: true });
    await writeFileAtomic(target, content);
    await fs.chmod(target, mode);
    result.written.push(rel);
  }
  const keep = new Set([...result.written, ...result.unchanged]);
  for (const rel of before.keys()) {
    if (keep.has(rel)) continue;
    await fs.rm(path.join(filesDir, rel), { force: true });
    await removeEmptyFolders(filesDir, rel);
    result.removed.push(rel);
  }
  return result;
}
