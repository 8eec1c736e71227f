/*
 * `meshfork import quilt DIR`: add a quilt series (debian/patches style) to the project's series,
 * each patch kept as shipped with its -pN, after checking that the result applies strictly.
 */
import path from 'node:path';
import { promises as fs } from 'node:fs';
import { loadConfig } from '../config/load';
import { appendPatches, freeName } from '../import/appendPatches';
import { checkApplies } from '../import/checkApplies';
import { optionText, readQuiltDir } from '../import/quilt';
import { loadSeries } from '../series/load';
import { openUpstream } from '../upstream';
import { projectLayout } from '../workspace/layout';
import { withProjectLock } from '../workspace/projectLock';
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
    const series = await loadSeries(loaded.patchesDir);
    const quilt = await readQuiltDir(path.resolve(options.cwd, options.dir));
    const taken = new Set([...series.entries.map((e) => e.name), ...(await fs.readdir(loaded.patchesDir).catch(() => []))]);
    const added = quilt.map((q) => {
      const name = freeName(q.name, taken);
      taken.add(name);
      return { name, text: q.text, options: optionText(q.options), patch: { ...q.patch, name }, source: q.name };
    });
    const at = options.before === undefined ? series.patches.length : series.entries.findIndex((e) => e.name === options.before);
    const combined = at === -1 ? [...series.patches, ...added.map((a) => a.patch)] : [...series.patches.slice(0, at), ...added.map((a) => a.patch), ...series.patches.slice(at)];
    const upstream = await openUpstream(loaded, { cacheDir: options.cacheDir });
    try {
      await checkApplies(upstream, loaded.config.base, combined, new Set(added.map((a) => a.name)));
    } finally {
      upstream.close();
    }
    await appendPatches(loaded.patchesDir, added, options.before);
    return { patchesDir: loaded.patchesDir, base: loaded.config.base, added: added.map((a) => ({ name: a.name, subject: a.patch.header.subject, source: a.source })) };
  });
}
