import { SERIES_FILE } from '../series/seriesFile';
import type { Patch } from '../series/types';
import { readTree } from './readTree';
import { listPatchCommits } from './commits';
import { planExport, type CurrentSeries, type ExportPlan } from './exportPlan';
import { seriesDigest } from '../series/digest';
import { requireMeta, writeMeta } from './meta';
import { replacePatchesDir } from '../series/patchesSwap';
import { tracePhase } from '../util/tracePhase';
import { splitNewFiles, workspaceNewFiles, writeNewFiles, type NewFilesWrite } from './newFilesExport';

export interface ExportResult {
  plan: ExportPlan;
  written: string[];
  removed: string[];
  unchanged: string[];
  seriesChanged: boolean;
  files?: NewFilesWrite;
}

/** New files that stay in their patch rather than move to the files folder. */
function createdByPatches(patches: Patch[]): string[] {
  return patches.flatMap((p) =>
    p.operations.flatMap((op) => (op.kind === 'create' || op.kind === 'copy' ? [op.path] : op.kind === 'rename' ? [op.to] : [])),
  );
}

/** One atomic set; files in patches/ that are not series patches (a README) are kept. */
export async function exportWorkspace(options: {
  workDir: string;
  patchesDir: string;
  current: CurrentSeries & { patchNames: string[] };
  version: string;
  files?: { dir: string; paths: string[] };
}): Promise<ExportResult> {
  tracePhase('export:read');
  const meta = await requireMeta(options.workDir);
  const listed = await listPatchCommits(options.workDir, meta.baseCommit);
  const split = options.files ? splitNewFiles(listed, options.files.paths, createdByPatches(options.current.patches)) : undefined;
  const commits = split?.commits ?? listed;
  const plan = planExport(commits, options.current, options.version);
  const before = await readTree(options.patchesDir);
  const files = new Map<string, Buffer>();
  const oldPatches = new Set(options.current.patchNames);
  for (const [rel, data] of before) if (rel !== SERIES_FILE && !oldPatches.has(rel)) files.set(rel, data);
  for (const patch of plan.patches) files.set(patch.name, Buffer.from(patch.text, 'latin1'));
  files.set(SERIES_FILE, Buffer.from(plan.seriesText, 'latin1'));

  const written = plan.patches.filter((p) => !before.get(p.name)?.equals(files.get(p.name) as Buffer)).map((p) => p.name);
  const kept = new Set(plan.patches.map((p) => p.name));
  const removed = options.current.patchNames.filter((n) => !kept.has(n));
  const unchanged = plan.patches.map((p) => p.name).filter((n) => !written.includes(n));
  const seriesChanged = !before.get(SERIES_FILE)?.equals(files.get(SERIES_FILE) as Buffer);
  // Skip the swap when nothing changes: an unchanged export leaves patches/ untouched.
  const sameSet = written.length === 0 && removed.length === 0 && !seriesChanged && before.size === files.size;
  const newFiles =
    options.files && split ? await writeNewFiles(options.files.dir, workspaceNewFiles(options.workDir, split.newPaths)) : undefined;
  if (!sameSet) await replacePatchesDir(options.patchesDir, files);
  // base..HEAD is a straight line, so its last commit is the HEAD that was exported
  const head = listed.at(-1)?.id ?? meta.baseCommit;
  // an unchanged export leaves the record as it is too (writing it costs an fsync)
  const series = seriesDigest(options.patchesDir, options.files?.dir);
  if (head !== meta.syncedHead || series !== meta.syncedSeries)
    await writeMeta(options.workDir, { ...meta, syncedHead: head, ...(series === undefined ? {} : { syncedSeries: series }) });
  return { plan, written, removed, unchanged, seriesChanged, ...(newFiles ? { files: newFiles } : {}) };
}
