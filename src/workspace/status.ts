import { promises as fs } from 'node:fs';
import path from 'node:path';
import { seriesDigest } from '../series/digest';
import { readMeta, type WorkspaceMeta } from './meta';
import { wsGit, wsGitText } from './workspaceGit';

export interface WorkspaceStatus {
  meta: WorkspaceMeta;
  head: string;
  dirty: string[];
  unexported: boolean;
  /** A git operation the user left half-done in the workspace (rebase, merge, cherry-pick). */
  gitOperation?: string;
}

async function exists(p: string): Promise<boolean> {
  return fs.stat(p).then(
    () => true,
    () => false,
  );
}

export async function workspaceStatus(workDir: string): Promise<WorkspaceStatus | undefined> {
  const meta = await readMeta(workDir);
  if (!meta) return undefined;
  // both git runs at once, their answers (and failures) taken in this order
  const heads = wsGitText(workDir, ['rev-parse', 'HEAD']);
  const changes = wsGit(workDir, ['status', '--porcelain', '-z', '--untracked-files=all']);
  changes.catch(() => undefined);
  const head = await heads;
  const { stdout } = await changes;
  const dirty = stdout
    .toString('latin1')
    .split('\0')
    .filter((e) => /^.. /.test(e))
    .map((e) => e.slice(3));
  const gitDir = path.join(workDir, '.git');
  let gitOperation: string | undefined;
  if ((await exists(path.join(gitDir, 'rebase-merge'))) || (await exists(path.join(gitDir, 'rebase-apply')))) gitOperation = 'rebase';
  else if (await exists(path.join(gitDir, 'MERGE_HEAD'))) gitOperation = 'merge';
  else if (await exists(path.join(gitDir, 'CHERRY_PICK_HEAD'))) gitOperation = 'cherry-pick';
  return { meta, head, dirty, unexported: head !== meta.syncedHead || dirty.length > 0, gitOperation };
}

export async function countCommits(workDir: string, meta: WorkspaceMeta): Promise<number> {
  return Number(await wsGitText(workDir, ['rev-list', '--count', `${meta.baseCommit}..HEAD`]).catch(() => '0'));
}

/** The workspace then holds a series patches/ does not, and rebuilding it would lose that silently. */
export function seriesDrifted(meta: WorkspaceMeta, patchesDir: string, filesDir?: string): boolean {
  return meta.syncedSeries !== undefined && seriesDigest(patchesDir, filesDir) !== meta.syncedSeries;
}
