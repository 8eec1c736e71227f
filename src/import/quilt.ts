// The quilt series governs; each patch is read with its -pN and kept byte for byte, DEP-3 header and all.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { MeshforkError } from '../errors';
import { parsePatch } from '../series/parse';
import { parseSeriesFile, SERIES_FILE } from '../series/seriesFile';
import type { Patch, PatchOptions } from '../series/types';

export interface QuiltPatch {
  name: string;
  text: string;
  patch: Patch;
  options: PatchOptions;
}

export function optionText(options: PatchOptions): string | undefined {
  const parts = [
    options.strip !== undefined ? `-p${options.strip}` : '',
    options.ignoreTrailingWhitespace ? '--ignore-trailing-whitespace' : '',
  ].filter(Boolean);
  return parts.length ? parts.join(' ') : undefined;
}

export async function readQuiltDir(dir: string): Promise<QuiltPatch[]> {
  const seriesPath = path.join(dir, SERIES_FILE);
  const seriesText = await fs.readFile(seriesPath).then(
    (b) => b.toString('latin1'),
    () => undefined,
  );
  if (seriesText === undefined) {
    throw new MeshforkError('SERIES_INVALID', `${seriesPath}: missing series file`, {
      hint: 'import quilt reads DIR/series for the order; write one (one patch file a line) if the recipe keeps the order elsewhere',
    });
  }
  const result: QuiltPatch[] = [];
  for (const entry of parseSeriesFile(seriesPath, seriesText)) {
    const file = path.join(dir, entry.name);
    const text = await fs.readFile(file).then(
      (b) => b.toString('latin1'),
      () => {
        throw new MeshforkError('SERIES_INVALID', `${seriesPath}:${entry.line}: "${entry.name}" is listed but ${file} does not exist`, {
          hint: 'fix the quilt series first (quilt applies nothing either)',
        });
      },
    );
    result.push({ name: entry.name, text, patch: { ...parsePatch(file, text, entry.options), name: entry.name }, options: entry.options });
  }
  return result;
}
