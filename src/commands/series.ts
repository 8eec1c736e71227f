import { loadConfig } from '../config/load';
import { loadSeries } from '../series/load';
import { trailerValue } from '../series/types';

export interface SeriesOptions {
  cwd: string;
  configFile?: string;
}

export interface SeriesSummary {
  patchesDir: string;
  base: string;
  patches: {
    name: string;
    subject: string;
    upstreamStatus?: string;
    meshforkBase?: string;
    files: { kind: string; path: string; from?: string; hunks: number }[];
  }[];
}

/** Load and validate the config and the whole series; list what it contains. */
export async function seriesCommand(options: SeriesOptions): Promise<SeriesSummary> {
  const loaded = await loadConfig(options.cwd, options.configFile);
  const series = await loadSeries(loaded.patchesDir);
  return {
    patchesDir: loaded.patchesDir,
    base: loaded.config.base,
    patches: series.patches.map((p) => ({
      name: p.name,
      subject: p.header.subject,
      upstreamStatus: trailerValue(p.header, 'Upstream-Status'),
      meshforkBase: trailerValue(p.header, 'Meshfork-Base'),
      files: p.operations.map((op) => (op.kind === 'rename' ? { kind: op.kind, path: op.to, from: op.from, hunks: op.hunks.length } : { kind: op.kind, path: op.path, hunks: op.hunks.length })),
    })),
  };
}
