import type { Patch, PatchHeader } from '../series/types';
import { displayText } from '../series/lines';
import { GIT_IDENTITY } from '../tools/git';
import { MemoryTree } from '../engine/tree';
import type { FileReader, PatchOutcome } from '../engine';
import { applyPatch } from '../engine';
import { commitMessage, parseAuthor } from './commitMessage';
import { directoryReader, writeChanges } from './files';
import { FIXED_DATE, wsGit, wsGitText } from './workspaceGit';

export interface WorkspaceApplyResult {
  outcome: PatchOutcome;
  conflicts: string[];
  paths: string[];
}

/** Strict unless threeWayBase is given; then hunks that do not fit are merged, conflicts left as markers. */
export async function applyToWorkspace(workDir: string, patch: Patch, threeWayBase?: FileReader): Promise<WorkspaceApplyResult> {
  const tree = new MemoryTree(directoryReader(workDir));
  const outcome = await applyPatch(patch, tree, { fuzz: 0, threeWayBase });
  const changes = tree.changes();
  const conflicts = outcome.files.filter((f) => f.status === 'conflict' || f.status === 'missing').map((f) => f.path);
  // The engine stages nothing for a failed strict attempt; a 3-way merge stages files with markers.
  await writeChanges(workDir, changes);
  return { outcome, conflicts, paths: changes.map(([p]) => p) };
}

export function patchCommitEnv(header: PatchHeader): Record<string, string> {
  const author = parseAuthor(displayText(header.from));
  return {
    ...GIT_IDENTITY,
    GIT_AUTHOR_NAME: author.name || 'unknown',
    GIT_AUTHOR_EMAIL: author.email,
    GIT_AUTHOR_DATE: FIXED_DATE,
    GIT_COMMITTER_DATE: FIXED_DATE,
  };
}

export async function stageChanges(workDir: string, paths?: string[]): Promise<boolean> {
  if (paths && paths.length === 0) return false;
  const pathspec = paths ? ['-f', '--', ...paths.map((p) => `:(literal)${p}`)] : [];
  await wsGit(workDir, ['add', '-A', ...pathspec]);
  const diff = await wsGit(workDir, ['diff', '--cached', '--quiet'], { okExitCodes: [0, 1] });
  return diff.exitCode === 1;
}

export async function commitAsPatch(workDir: string, header: PatchHeader): Promise<string> {
  const message = Buffer.from(commitMessage(header), 'latin1');
  await wsGit(workDir, ['commit', '-q', '--no-verify', '--cleanup=verbatim', '-F', '-'], { input: message, env: patchCommitEnv(header) });
  return wsGitText(workDir, ['rev-parse', 'HEAD']);
}
