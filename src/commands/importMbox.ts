/*
 * `meshfork import mbox FILE...`: split each mailbox into its patches, normalize them, check that the
 * series still applies strictly to the base with them in place, and add them to patches/ as one set.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../config/load';
import { MeshforkError } from '../errors';
import { appendPatches, freeName, type NewPatchFile } from '../import/appendPatches';
import { checkApplies } from '../import/checkApplies';
import { normalizeMessage, splitMbox } from '../import/mbox';
import { loadSeries } from '../series/load';
import type { Patch } from '../series/types';
import { patchFileName } from '../series/writer';
import { openUpstream } from '../upstream';
import { projectLayout } from '../workspace/layout';
import { withProjectLock } from '../workspace/projectLock';

export interface ImportMboxOptions {
  cwd: string;
  configFile?: string;
  files: string[];
  /** Insert before this series entry instead of appending. */
  before?: string;
  cacheDir?: string;
}

export interface ImportResult {
  patchesDir: string;
  base: string;
  /** The patch files added, in series order. */
  added: { name: string; subject: string; source: string }[];
}

export async function importMbox(options: ImportMboxOptions): Promise<ImportResult> {
  if (options.files.length === 0) throw new MeshforkError('USAGE', 'import mbox needs at least one FILE', { hint: 'meshfork import mbox 1234.patch' });
  const loaded = await loadConfig(options.cwd, options.configFile);
  const layout = projectLayout(loaded);
  return withProjectLock(layout, async () => {
    const series = await loadSeries(loaded.patchesDir);
    const taken = new Set([...series.entries.map((e) => e.name), ...(await fs.readdir(loaded.patchesDir).catch(() => []))]);
    const added: (NewPatchFile & { patch: Patch; source: string })[] = [];
    for (const file of options.files) {
      const full = path.resolve(options.cwd, file);
      const text = await fs.readFile(full).then((b) => b.toString('latin1'), (error: NodeJS.ErrnoException) => {
        throw new MeshforkError('USAGE', `${full}: cannot read: ${error.code ?? error.message}`, { hint: 'pass mbox files that exist' });
      });
      splitMbox(full, text).forEach((message, k) => {
        const { patch, text: normalized } = normalizeMessage(`${full} (message ${k + 1})`, message);
        const name = freeName(patchFileName(patch.header.subject), taken);
        taken.add(name);
        added.push({ name, text: normalized, patch: { ...patch, name }, source: `${file}#${k + 1}` });
      });
    }
    const at = options.before === undefined ? series.patches.length : series.entries.findIndex((e) => e.name === options.before);
    if (at === -1) throw new MeshforkError('USAGE', `--before ${options.before}: the series has no such patch`, { hint: 'name a patch as listed in patches/series (meshfork series lists them)' });
    const combined = [...series.patches.slice(0, at), ...added.map((a) => a.patch), ...series.patches.slice(at)];
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
