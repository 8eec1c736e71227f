import { promises as fs } from 'node:fs';
import { applyPatch } from '../engine';
import { MemoryTree } from '../engine/tree';
import { MeshforkError } from '../errors';
import type { Patch } from '../series/types';
import { createWorkspace, WORK_BRANCH, type ReleaseSource } from './create';
import { directoryReader, writeChanges } from './files';
import { importCommits, sameEntry, stagedState, type ImportCommit } from './importCommits';
import { writeMeta, type WorkspaceMeta } from './meta';
import { wsGitText } from './workspaceGit';

/** Returns the paths whose staged state changes; CONFLICT when the patch does not apply or changes nothing. */
async function applyAndStage(workDir: string, version: string, patch: Patch): Promise<ImportCommit> {
  const tree = new MemoryTree(directoryReader(workDir));
  const outcome = await applyPatch(patch, tree, { fuzz: 0 });
  const changes = tree.changes();
  const conflicts = outcome.files.filter((f) => f.status === 'conflict' || f.status === 'missing').map((f) => f.path);
  let staged: ImportCommit['paths'] = [];
  if (conflicts.length === 0 && outcome.status !== 'already-applied') {
    const before = await Promise.all(changes.map(([file]) => stagedState(workDir, file)));
    await writeChanges(workDir, changes);
    const after = await Promise.all(changes.map(([file]) => stagedState(workDir, file)));
    staged = changes.map(([file], i) => ({ path: file, entry: after[i] })).filter((_, i) => !sameEntry(before[i], after[i]));
  }
  if (staged.length === 0) {
    const why = conflicts.length > 0 ? `does not apply to ${version} (${conflicts.join(', ')})` : `is already part of ${version}`;
    throw new MeshforkError('CONFLICT', `${patch.name} ${why}`, {
      hint: `move the series to ${version} with \`meshfork sync rebase --to ${version}\`, which merges and stops on conflicts`,
      details: { patch: patch.name, outcome },
    });
  }
  return { header: patch.header, paths: staged };
}

/** One git fast-import stream for every patch; a patch that does not apply removes the half-built workspace (CONFLICT). */
export async function buildWorkspace(workDir: string, source: ReleaseSource, version: string, patches: Patch[]): Promise<WorkspaceMeta> {
  const meta = await createWorkspace(workDir, source, version);
  try {
    const commits: ImportCommit[] = [];
    for (const patch of patches) commits.push(await applyAndStage(workDir, version, patch));
    await importCommits(workDir, WORK_BRANCH, meta.baseCommit, commits);
  } catch (error) {
    await fs.rm(workDir, { recursive: true, force: true });
    throw error;
  }
  const head = await wsGitText(workDir, ['rev-parse', 'HEAD']);
  const built = { ...meta, syncedHead: head };
  await writeMeta(workDir, built);
  return built;
}
