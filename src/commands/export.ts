// One atomic set from the deterministic writer: an unchanged workspace changes no byte.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { filesFolder, loadConfig } from '../config/load';
import { MeshforkError } from '../errors';
import { SERIES_FILE } from '../series/seriesFile';
import { projectLayout } from '../project/layout';
import { withProjectLock } from '../project/projectLock';
import { recoverPatchesSwap } from '../series/patchesSwap';
import { assertNoRebase } from '../rebase/rebaseState';
import { workspaceStatus } from '../workspace/status';
import { readExportRecord, writeExportRecord } from '../workspace/exportRecord';
import { seriesDigest } from '../series/digest';
import { newFilePaths } from '../series/newFiles';
import { codeStamp } from '../util/codeStamp';
import { tracePhase } from '../util/tracePhase';

export interface ExportOptions {
  cwd: string;
  configFile?: string;
}

export interface ExportResult {
  patchesDir: string;
  version: string;
  patches: { name: string; subject: string; commit: string }[];
  written: string[];
  removed: string[];
  unchanged: string[];
  seriesChanged: boolean;
  files?: { written: string[]; removed: string[]; unchanged: string[] };
  filesDir?: string;
}

export async function exportCommand(options: ExportOptions): Promise<ExportResult> {
  const loaded = await loadConfig(options.cwd, options.configFile);
  const layout = projectLayout(loaded);
  return withProjectLock(layout, async () => {
    await recoverPatchesSwap(layout.patchesDir);
    await assertNoRebase(layout.rebaseFile, 'exporting');
    const status = await workspaceStatus(layout.workDir);
    if (!status)
      throw new MeshforkError('STATE_INVALID', `there is no workspace at ${layout.workDir}`, { hint: 'create it with `meshfork edit`' });
    if (status.gitOperation) {
      throw new MeshforkError('STATE_INVALID', `a git ${status.gitOperation} is in progress in the workspace`, {
        hint: `finish it (git -C ${layout.workDir} ${status.gitOperation} --continue) or abort it, then export`,
      });
    }
    if (status.dirty.length > 0) {
      throw new MeshforkError(
        'STATE_INVALID',
        `the workspace has uncommitted changes: ${status.dirty.slice(0, 5).join(', ')}${status.dirty.length > 5 ? ', ...' : ''}`,
        {
          hint: `commit them (git -C ${layout.workDir} commit -a, or --amend), or discard them, then export; export writes commits only`,
          details: { dirty: status.dirty },
        },
      );
    }
    if (status.meta.version !== loaded.config.base) {
      throw new MeshforkError(
        'STATE_INVALID',
        `the workspace is on upstream ${status.meta.version} but the config's base is ${loaded.config.base}`,
        {
          hint: `move the series with \`meshfork sync rebase --to ${status.meta.version}\`, or recreate the workspace at the base with \`meshfork edit --force\``,
        },
      );
    }
    // Unchanged since the last export (same HEAD, code, release and patches/ bytes): the same answer, nothing read back.
    const code = codeStamp();
    const record = readExportRecord(layout.workDir);
    if (
      record &&
      record.head === status.head &&
      record.version === status.meta.version &&
      record.code === code &&
      seriesDigest(layout.patchesDir, loaded.filesDir) === record.series
    ) {
      tracePhase('export:unchanged');
      const names = record.patches.map((p) => p.name);
      return {
        patchesDir: layout.patchesDir,
        version: record.version,
        patches: record.patches,
        written: [],
        removed: [],
        unchanged: names,
        seriesChanged: false,
      };
    }
    // Loaded only now: an export answered from its record never parses a patch or renders one.
    const [{ loadSeries }, { exportWorkspace }] = await Promise.all([import('../series/load'), import('../workspace/exportWorkspace')]);
    const series = await loadSeries(layout.patchesDir, filesFolder(loaded));
    const seriesText = (await fs.readFile(path.join(layout.patchesDir, SERIES_FILE))).toString('latin1');
    const result = await exportWorkspace({
      workDir: layout.workDir,
      patchesDir: layout.patchesDir,
      current: { patches: series.patches, seriesText, patchNames: series.entries.map((e) => e.name) },
      version: status.meta.version,
      ...(loaded.filesDir !== undefined ? { files: { dir: loaded.filesDir, paths: newFilePaths(series.files) } } : {}),
    });
    const patches = result.plan.patches.map((p) => ({ name: p.name, subject: p.commit.message.subject, commit: p.commit.id }));
    const exported = seriesDigest(layout.patchesDir, loaded.filesDir);
    if (exported !== undefined)
      await writeExportRecord(layout.workDir, { head: status.head, version: status.meta.version, code, series: exported, patches });
    return {
      patchesDir: layout.patchesDir,
      version: status.meta.version,
      patches,
      written: result.written,
      removed: result.removed,
      unchanged: result.unchanged,
      seriesChanged: result.seriesChanged,
      ...(result.files ? { files: result.files, filesDir: loaded.filesDir } : {}),
    };
  });
}
