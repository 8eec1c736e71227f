import { filesFolder, loadConfig } from '../config/load';
import { newFilePaths } from '../series/newFiles';
import { loadSeries } from '../series/load';
import { operationTargetPath } from '../series/types';
import { upstreamStatus } from '../series/upstreamStatus';

export interface SeriesOptions {
  cwd: string;
  configFile?: string;
}

export interface SeriesSummary {
  patchesDir: string;
  base: string;
  warnings: string[];
  newFiles?: { folder: string; paths: string[] };
  patches: {
    name: string;
    subject: string;
    upstreamStatus?: string;
    meshforkBase?: string;
    files: { kind: string; path: string; from?: string; hunks: number }[];
  }[];
}

export async function seriesCommand(options: SeriesOptions): Promise<SeriesSummary> {
  const loaded = await loadConfig(options.cwd, options.configFile);
  const series = await loadSeries(loaded.patchesDir, filesFolder(loaded));
  return {
    patchesDir: loaded.patchesDir,
    base: loaded.config.base,
    warnings: series.warnings,
    ...(series.files ? { newFiles: { folder: series.files.name, paths: newFilePaths(series.files) } } : {}),
    patches: series.patches.map((p) => ({
      name: p.name,
      subject: p.header.subject,
      upstreamStatus: upstreamStatus(p.header),
      meshforkBase: p.header.trailers.find((t) => t.key.toLowerCase() === 'meshfork-base')?.value,
      files: p.operations.map((op) => ({
        kind: op.kind,
        path: operationTargetPath(op),
        ...(op.kind === 'rename' || op.kind === 'copy' ? { from: op.from } : {}),
        hunks: op.hunks.length,
      })),
    })),
  };
}
