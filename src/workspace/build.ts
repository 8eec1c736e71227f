import { promises as fs } from 'node:fs';
import { MeshforkError } from '../errors';
import type { Patch } from '../series/types';
import { applyToWorkspace, commitAsPatch, stageChanges } from './commitPatch';
import { createWorkspace, type ReleaseSource } from './create';
import { writeMeta, type WorkspaceMeta } from './meta';
import { wsGitText } from './workspaceGit';

/**
 * Build the workspace at `version` with every patch applied strictly and committed in series
 * order. A patch that does not apply removes the half-built workspace and stops with CONFLICT.
 */
export async function buildWorkspace(workDir: string, source: ReleaseSource, version: string, patches: Patch[]): Promise<WorkspaceMeta> {
  const meta = await createWorkspace(workDir, source, version);
  try {
    for (const patch of patches) {
      const { outcome, conflicts, paths } = await applyToWorkspace(workDir, patch);
      if (conflicts.length > 0 || outcome.status === 'already-applied' || !(await stageChanges(workDir, paths))) {
        const why = conflicts.length > 0 ? `does not apply to ${version} (${conflicts.join(', ')})` : `is already part of ${version}`;
        throw new MeshforkError('CONFLICT', `${patch.name} ${why}`, {
          hint: `move the series to ${version} with \`meshfork sync rebase --to ${version}\`, which merges and stops on conflicts`,
          details: { patch: patch.name, outcome },
        });
      }
      await commitAsPatch(workDir, patch.header);
    }
  } catch (error) {
    await fs.rm(workDir, { recursive: true, force: true });
    throw error;
  }
  const head = await wsGitText(workDir, ['rev-parse', 'HEAD']);
  const built = { ...meta, syncedHead: head };
  await writeMeta(workDir, built);
  return built;
}
