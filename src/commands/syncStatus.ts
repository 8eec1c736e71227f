import { promises as fs } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../config/load';
import { parseSeriesFile, SERIES_FILE } from '../series/seriesFile';
import { projectLayout } from '../project/layout';
import { readRebaseState } from '../rebase/rebaseState';
import { remainingMarkers } from '../rebase/rebaseSteps';
import { countCommits, seriesDrifted, workspaceStatus } from '../workspace/status';

export interface SyncStatusOptions {
  cwd: string;
  configFile?: string;
}

export interface SyncStatusResult {
  base: string;
  rebase?: {
    from: string;
    to: string;
    done: number;
    total: number;
    /** `missing`: files the patch changes that the release does not have (nothing to merge there). */
    stopped?: { patch: string; conflicts: string[]; markers: string[]; missing: string[] };
  };
  workspace?: {
    dir: string;
    version: string;
    commits: number;
    unexported: boolean;
    /** patches/ changed since the workspace last matched it (a git checkout or pull). */
    drifted: boolean;
    dirty: string[];
    gitOperation?: string;
  };
}

export async function syncStatus(options: SyncStatusOptions): Promise<SyncStatusResult> {
  const loaded = await loadConfig(options.cwd, options.configFile);
  const layout = projectLayout(loaded);
  const state = await readRebaseState(layout.rebaseFile);
  const ws = await workspaceStatus(layout.workDir);
  const result: SyncStatusResult = { base: loaded.config.base };
  if (state) {
    const names = await backupEntries(layout.backupDir);
    result.rebase = {
      from: state.from,
      to: state.to,
      done: state.steps.length,
      total: names.length,
      stopped: state.stopped && {
        patch: names[state.stopped.index] ?? `#${state.stopped.index + 1}`,
        conflicts: state.stopped.conflicts,
        markers: await remainingMarkers(layout.workDir, [...state.stopped.conflicts, ...(ws?.dirty ?? [])]),
        missing: state.stopped.missing ?? [],
      },
    };
  }
  if (ws) {
    result.workspace = {
      dir: layout.workDir,
      version: ws.meta.version,
      commits: await countCommits(layout.workDir, ws.meta),
      unexported: ws.unexported,
      drifted: seriesDrifted(ws.meta, layout.patchesDir, loaded.filesDir),
      dirty: ws.dirty,
      gitOperation: ws.gitOperation,
    };
  }
  return result;
}

async function backupEntries(backupDir: string): Promise<string[]> {
  const file = path.join(backupDir, 'patches', SERIES_FILE);
  const text = await fs.readFile(file, 'latin1').catch(() => '');
  return parseSeriesFile(file, text).map((e) => e.name);
}
