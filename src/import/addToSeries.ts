import type { LoadedConfig } from '../config/load';
import { MeshforkError } from '../errors';
import type { Patch, Series } from '../series/types';
import { openUpstream } from '../upstream';
import { appendPatches, type NewPatchFile } from './appendPatches';
import { checkApplies } from './checkApplies';
import { tracePhase } from '../util/tracePhase';

export interface ImportedPatch extends NewPatchFile {
  patch: Patch;
  source: string;
}

/** Imported patches go in only once the whole series applies strictly to the base; patches/ is written as a set or not at all. */
export async function addToSeries(
  loaded: LoadedConfig,
  series: Series,
  added: ImportedPatch[],
  before: string | undefined,
  cacheDir?: string,
): Promise<void> {
  const at = before === undefined ? series.patches.length : series.entries.findIndex((e) => e.name === before);
  if (at === -1)
    throw new MeshforkError('USAGE', `--before ${before}: the series has no such patch`, {
      hint: 'name a patch as listed in patches/series (meshfork series lists them)',
    });
  const combined = [...series.patches.slice(0, at), ...added.map((a) => a.patch), ...series.patches.slice(at)];
  tracePhase('import:check');
  const upstream = await openUpstream(loaded, { cacheDir });
  try {
    await checkApplies(upstream, loaded.config.base, combined, new Set(added.map((a) => a.name)));
  } finally {
    upstream.close();
  }
  await appendPatches(loaded.patchesDir, added, before);
}
