import path from 'node:path';
import { promises as fs } from 'node:fs';
import { loadConfig } from '../config/load';
import { freeName } from '../import/appendPatches';
import { addToSeries } from '../import/addToSeries';
import { optionText, readQuiltDir } from '../import/quilt';
import { loadSeries } from '../series/load';
import { projectLayout } from '../project/layout';
import { withProjectLock } from '../project/projectLock';
import { tracePhase } from '../util/tracePhase';
import type { ImportResult } from './importMbox';

export interface ImportQuiltOptions {
  cwd: string;
  configFile?: string;
  dir: string;
  before?: string;
  cacheDir?: string;
}

export async function importQuilt(options: ImportQuiltOptions): Promise<ImportResult> {
  const loaded = await loadConfig(options.cwd, options.configFile);
  const layout = projectLayout(loaded);
  return withProjectLock(layout, async () => {
    tracePhase('import:read');
    const series = await loadSeries(loaded.patchesDir);
    const quilt = await readQuiltDir(path.resolve(options.cwd, options.dir));
    const taken = new Set([...series.entries.map((e) => e.name), ...(await fs.readdir(loaded.patchesDir).catch(() => []))]);
    const added = quilt.map((q) => {
      const name = freeName(q.name, taken);
      taken.add(name);
      return { name, text: q.text, options: optionText(q.options), patch: { ...q.patch, name }, source: q.name };
    });
    await addToSeries(loaded, series, added, options.before, options.cacheDir);
    return {
      patchesDir: loaded.patchesDir,
      base: loaded.config.base,
      added: added.map((a) => ({ name: a.name, subject: a.patch.header.subject, source: a.source })),
    };
  });
}
