import { promises as fs } from 'node:fs';
import path from 'node:path';
import { MeshforkError } from '../errors';
import { parsePatch } from './parse';
import { recoverPatchesSwap } from './patchesSwap';
import { parseSeriesFile, SERIES_FILE } from './seriesFile';
import type { Patch, Series } from './types';

/** A file's bytes as a binary string; null when it does not exist. `where` starts the error messages. */
async function readOrNull(file: string, where: string, hint: string): Promise<string | null> {
  try {
    return (await fs.readFile(file)).toString('latin1');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (code === 'EISDIR') throw new MeshforkError('SERIES_INVALID', `${where}: ${where === file ? 'is' : `${file} is`} a folder, not a file`, { hint });
    if (code === 'ENOTDIR') throw new MeshforkError('SERIES_INVALID', `${where}: ${path.dirname(file)} is not a folder`, { hint: 'point "patches" in meshfork.config.json at the folder holding the series' });
    throw new MeshforkError('IO_FAILED', `${where}: cannot read ${file}: ${(error as Error).message}`, { cause: error, hint: 'check the file permissions' });
  }
}

/**
 * Read and validate a whole series: the series file, every patch it lists, and no stray patch
 * files. Errors name the file and line.
 */
export async function loadSeries(patchesDir: string): Promise<Series> {
  // An export killed mid-swap leaves the old or the new set beside patches/: finish or undo it first.
  await recoverPatchesSwap(patchesDir);
  const seriesPath = path.join(patchesDir, SERIES_FILE);
  const seriesText = await readOrNull(seriesPath, seriesPath, `${SERIES_FILE} must be a file listing the patch files in order`);
  if (seriesText === null) {
    throw new MeshforkError('SERIES_INVALID', `${seriesPath}: missing series file`, { hint: `create ${seriesPath} listing the patch files in order (one a line)` });
  }
  const entries = parseSeriesFile(seriesPath, seriesText);
  const patches: Patch[] = [];
  for (const entry of entries) {
    const file = path.join(patchesDir, entry.name);
    const text = await readOrNull(file, `${seriesPath}:${entry.line}`, 'list patch files only; remove the line or the folder');
    if (text === null) {
      throw new MeshforkError('SERIES_INVALID', `${seriesPath}:${entry.line}: "${entry.name}" is listed but ${file} does not exist`, { hint: 'add the patch file or remove the line from the series' });
    }
    patches.push({ ...parsePatch(file, text), name: entry.name });
  }
  const listed = new Set(entries.map((e) => e.name));
  const stray = (await fs.readdir(patchesDir)).filter((f) => (f.endsWith('.patch') || f.endsWith('.diff')) && !listed.has(f)).sort();
  if (stray.length) {
    throw new MeshforkError('SERIES_INVALID', `${path.join(patchesDir, stray[0])}: not listed in ${seriesPath}${stray.length > 1 ? ` (nor ${stray.length - 1} more: ${stray.slice(1).join(', ')})` : ''}`, {
      hint: 'add it to the series file in the right position, or delete it',
    });
  }
  return { dir: patchesDir, entries, patches };
}
