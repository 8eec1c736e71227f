import { promises as fs } from 'node:fs';
import path from 'node:path';
import { loadSeries } from '../series/load';
import type { Patch, Series } from '../series/types';
import { failureKindOf, problemFromError } from './problems';
import type { FailureKind, Problem } from './types';

/** A patch with the bytes of its file (a binary string), for line numbers and the up-to-date check. */
export interface LoadedPatch {
  patch: Patch;
  text: string;
}

export interface SeriesCheck {
  series?: Series;
  patches: LoadedPatch[];
  kind?: FailureKind;
  problems: Problem[];
}

export async function checkSeries(patchesDir: string, root: string, files?: { dir: string; name: string }): Promise<SeriesCheck> {
  try {
    const series = await loadSeries(patchesDir, files);
    // Loading only warns about a patch file the series does not list (quilt's rule); the gate refuses it.
    if (series.unlisted.length) {
      const seriesFile = path.relative(root, path.join(patchesDir, 'series'));
      const problems = series.unlisted.map((name) => {
        const file = path.relative(root, path.join(patchesDir, name));
        return {
          message: `${file}: not listed in ${seriesFile}, so it is not applied`,
          patch: name,
          file,
          hint: `add it to ${seriesFile} or delete it`,
        };
      });
      return { patches: [], kind: 'input', problems };
    }
    const patches = await Promise.all(
      series.patches.map(async (patch) => ({ patch, text: (await fs.readFile(path.join(patchesDir, patch.name))).toString('latin1') })),
    );
    return { series, patches, problems: [] };
  } catch (error) {
    return { patches: [], kind: failureKindOf(error), problems: [problemFromError(error, root)] };
  }
}
