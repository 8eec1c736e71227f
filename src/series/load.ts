import { existsSync, promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import { isMeshforkError, MeshforkError } from '../errors';
import { newFilesPatch, readNewFiles } from './newFiles';
import { parsePatch } from './parse';
import { recoverPatchesSwap } from './patchesSwap';
import { parseSeriesFile, SERIES_FILE } from './seriesFile';
import type { Patch, Series } from './types';

/** Synchronous: for hundreds of small files a thread-pool round trip per open, stat, read and close costs more than the read. */
function readOrNull(file: string, where: string, hint: string): string | null {
  try {
    return readFileSync(file).toString('latin1');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (code === 'EISDIR')
      throw new MeshforkError('SERIES_INVALID', `${where}: ${where === file ? 'is' : `${file} is`} a folder, not a file`, { hint });
    if (code === 'ENOTDIR')
      throw new MeshforkError('SERIES_INVALID', `${where}: ${path.dirname(file)} is not a folder`, {
        hint: 'point "patches" in meshfork.config.json at the folder holding the series',
      });
    throw new MeshforkError('IO_FAILED', `${where}: cannot read ${file}: ${(error as Error).message}`, {
      cause: error,
      hint: 'check the file permissions',
    });
  }
}

async function patchFilesBelow(dir: string, rel = ''): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await fs.readdir(path.join(dir, rel), { withFileTypes: true })) {
    const name = rel ? `${rel}/${entry.name}` : entry.name;
    if (entry.isDirectory() && !entry.name.startsWith('.')) found.push(...(await patchFilesBelow(dir, name)));
    else if (entry.isFile() && /\.(patch|diff)$/.test(entry.name)) found.push(name);
  }
  return found;
}

/** One error for every invalid patch of the series, so a single run lists them all. */
function combine(errors: MeshforkError[]): MeshforkError {
  if (errors.length === 1) return errors[0];
  const first = errors[0];
  return new MeshforkError(
    first.code,
    `${errors.length} patches are invalid:\n${errors.map((e) => `  [${e.code}] ${e.message}`).join('\n')}`,
    {
      hint: first.hint,
      details: { errors: errors.map((e) => ({ code: e.code, message: e.message, hint: e.hint })) },
    },
  );
}

/** Every invalid patch is reported, not only the first; an unlisted patch file is not applied (quilt) and gives a warning. */
export async function loadSeries(patchesDir: string, files?: { dir: string; name: string }): Promise<Series> {
  // An export killed mid-swap leaves the old or the new set beside patches/: finish or undo it first.
  await recoverPatchesSwap(patchesDir);
  const seriesPath = path.join(patchesDir, SERIES_FILE);
  const seriesText = readOrNull(seriesPath, seriesPath, `${SERIES_FILE} must be a file listing the patch files in order`);
  if (seriesText === null) {
    if (!existsSync(patchesDir)) {
      throw new MeshforkError('SERIES_INVALID', `${patchesDir}: the patches folder does not exist`, {
        hint: `create it with an empty series (mkdir -p ${patchesDir} && touch ${seriesPath}), or point "patches" in meshfork.config.json at the folder holding the series; \`meshfork import fork\`, \`import mbox\` and \`import quilt\` fill an empty series`,
        details: { missing: 'folder' },
      });
    }
    throw new MeshforkError('SERIES_INVALID', `${seriesPath}: missing series file`, {
      hint: `create ${seriesPath} listing the patch files in order (one a line)`,
      details: { missing: 'series' },
    });
  }
  const entries = parseSeriesFile(seriesPath, seriesText);
  const patches: Patch[] = [];
  const errors: MeshforkError[] = [];
  for (const entry of entries) {
    const file = path.join(patchesDir, entry.name);
    try {
      const text = readOrNull(file, `${seriesPath}:${entry.line}`, 'list patch files only; remove the line or the folder');
      if (text === null) {
        throw new MeshforkError('SERIES_INVALID', `${seriesPath}:${entry.line}: "${entry.name}" is listed but ${file} does not exist`, {
          hint: 'add the patch file or remove the line from the series',
        });
      }
      patches.push({ ...parsePatch(file, text, entry.options), name: entry.name });
    } catch (error) {
      if (!isMeshforkError(error) || error.code === 'IO_FAILED') throw error;
      errors.push(error);
    }
  }
  if (errors.length) throw combine(errors);
  const listed = new Set(entries.map((e) => e.name));
  const stray = (await patchFilesBelow(patchesDir)).filter((f) => !listed.has(f)).sort();
  const warnings = stray.map(
    (f) => `${path.join(patchesDir, f)}: not listed in ${seriesPath}, so it is not applied (add it to the series or delete it)`,
  );
  const series: Series = { dir: patchesDir, entries, patches, warnings, unlisted: stray };
  if (files) series.files = newFilesPatch(files.name, readNewFiles(files.dir));
  return series;
}
