// The series as git commits on a release in .meshfork/work; meshfork export writes it back.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { filesFolder, loadConfig } from '../config/load';
import { MeshforkError } from '../errors';
import { loadSeries } from '../series/load';
import { appliedPatches } from '../series/types';
import { openUpstream } from '../upstream';
import { assertInRange } from '../upstream/range';
import type { ProgressSink } from '../util/progress';
import { buildWorkspace } from '../workspace/build';
import { projectLayout } from '../project/layout';
import { withProjectLock } from '../project/projectLock';
import { recoverPatchesSwap } from '../series/patchesSwap';
import { normalizeVersion } from '../upstream/version';
import { assertNoRebase } from '../rebase/rebaseState';
import { seriesDrifted, workspaceStatus } from '../workspace/status';
import { seriesDigest } from '../series/digest';
import { writeMeta } from '../workspace/meta';
import { wsGitText } from '../workspace/workspaceGit';

export interface EditOptions {
  cwd: string;
  configFile?: string;
  at?: string;
  ignoreRange?: boolean;
  force?: boolean;
  progress?: ProgressSink;
  cacheDir?: string;
}

export interface EditResult {
  workDir: string;
  version: string;
  base: string;
  replaced: boolean;
  patches: { name: string; subject: string; commit: string }[];
}

export async function edit(options: EditOptions): Promise<EditResult> {
  const loaded = await loadConfig(options.cwd, options.configFile);
  const layout = projectLayout(loaded);
  return withProjectLock(layout, async () => {
    await recoverPatchesSwap(layout.patchesDir);
    await assertNoRebase(layout.rebaseFile, 'recreating the workspace');
    const version = options.at !== undefined ? normalizeVersion(options.at, '--at') : loaded.config.base;
    if (options.at !== undefined) assertInRange(loaded.config, version, options.ignoreRange);
    const series = await loadSeries(layout.patchesDir, filesFolder(loaded));

    const existing = await workspaceStatus(layout.workDir);
    if (existing?.unexported && !options.force) {
      throw new MeshforkError('STATE_INVALID', `the workspace ${layout.workDir} has work that is not exported yet`, {
        hint: 'run `meshfork export` to keep it, or `meshfork edit --force` to throw it away',
        details: { dirty: existing.dirty, head: existing.head },
      });
    }
    if (existing && !options.force && seriesDrifted(existing.meta, layout.patchesDir, loaded.filesDir)) {
      throw new MeshforkError(
        'STATE_INVALID',
        `${path.relative(loaded.root, layout.patchesDir) || '.'}/ changed since the workspace ${layout.workDir} last matched it (a git checkout or pull?): the workspace holds a series patches/ does not`,
        {
          hint: "run `meshfork export` to write the workspace's series back to patches/, or `meshfork edit --force` to rebuild the workspace from patches/ as it is",
          details: { head: existing.head },
        },
      );
    }
    const upstream = await openUpstream(loaded, { progress: options.progress, cacheDir: options.cacheDir });
    try {
      await upstream.resolve(version);
      await fs.rm(layout.workDir, { recursive: true, force: true });
      const built = await buildWorkspace(layout.workDir, upstream, version, appliedPatches(series));
      const digest = seriesDigest(layout.patchesDir, loaded.filesDir);
      if (digest !== undefined) await writeMeta(layout.workDir, { ...built, syncedSeries: digest });
    } finally {
      upstream.close();
    }

    // the files folder, when there is one, is the first commit and no patch
    const ids = (await wsGitText(layout.workDir, ['rev-list', '--reverse', 'upstream..HEAD']))
      .split('\n')
      .filter(Boolean)
      .slice(series.files ? 1 : 0);
    return {
      workDir: layout.workDir,
      version,
      base: loaded.config.base,
      replaced: existing !== undefined,
      patches: series.patches.map((p, i) => ({ name: p.name, subject: p.header.subject, commit: ids[i] })),
    };
  });
}
