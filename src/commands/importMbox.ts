import { promises as fs } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../config/load';
import { MeshforkError } from '../errors';
import { freeName } from '../import/appendPatches';
import { addToSeries, type ImportedPatch } from '../import/addToSeries';
import { headerGaps, type HeaderGap } from '../import/headerGaps';
import { normalizeMessage, splitMbox } from '../import/mbox';
import { loadSeries } from '../series/load';
import { patchFileName } from '../series/writer';
import { projectLayout } from '../project/layout';
import { withProjectLock } from '../project/projectLock';
import { tracePhase } from '../util/tracePhase';

export interface ImportMboxOptions {
  cwd: string;
  configFile?: string;
  files: string[];
  before?: string;
  cacheDir?: string;
}

export interface ImportResult {
  patchesDir: string;
  base: string;
  added: { name: string; subject: string; source: string }[];
  toComplete?: HeaderGap[];
}

export async function importMbox(options: ImportMboxOptions): Promise<ImportResult> {
  if (options.files.length === 0)
    throw new MeshforkError('USAGE', 'import mbox needs at least one FILE', { hint: 'meshfork import mbox 1234.patch' });
  const loaded = await loadConfig(options.cwd, options.configFile);
  const layout = projectLayout(loaded);
  return withProjectLock(layout, async () => {
    tracePhase('import:read');
    const series = await loadSeries(loaded.patchesDir);
    const taken = new Set([...series.entries.map((e) => e.name), ...(await fs.readdir(loaded.patchesDir).catch(() => []))]);
    const added: ImportedPatch[] = [];
    for (const file of options.files) {
      const full = path.resolve(options.cwd, file);
      const text = await fs.readFile(full).then(
        (b) => b.toString('latin1'),
        (error: NodeJS.ErrnoException) => {
          throw new MeshforkError('USAGE', `${full}: cannot read: ${error.code ?? error.message}`, { hint: 'pass mbox files that exist' });
        },
      );
      splitMbox(full, text).forEach((message, k) => {
        const { patch, text: normalized } = normalizeMessage(`${full} (message ${k + 1})`, message, loaded.config.base);
        const name = freeName(patchFileName(patch.header.subject), taken);
        taken.add(name);
        added.push({ name, text: normalized, patch: { ...patch, name }, source: `${file}#${k + 1}` });
      });
    }
    await addToSeries(loaded, series, added, options.before, options.cacheDir);
    return {
      patchesDir: loaded.patchesDir,
      base: loaded.config.base,
      added: added.map((a) => ({ name: a.name, subject: a.patch.header.subject, source: a.source })),
      toComplete: headerGaps(added.map((a) => a.patch)),
    };
  });
}
