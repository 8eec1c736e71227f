import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { readNewFiles } from './newFiles';
import { parseSeriesFile, SERIES_FILE } from './seriesFile';

/** sha256 of the series file, every file it lists and the files folder (what a check or export depends on); undefined when one is unreadable. */
export function seriesDigest(patchesDir: string, filesDir?: string): string | undefined {
  try {
    const seriesPath = path.join(patchesDir, SERIES_FILE);
    const seriesText = readFileSync(seriesPath);
    const hash = createHash('sha256').update(seriesText);
    for (const entry of parseSeriesFile(seriesPath, seriesText.toString('latin1'))) {
      const bytes = readFileSync(path.join(patchesDir, entry.name));
      hash.update(`\0${entry.name}\0${bytes.length}\0`).update(bytes);
    }
    if (filesDir !== undefined)
      for (const file of readNewFiles(filesDir))
        hash.update(`\0file\0${file.path}\0${file.mode}\0${file.content.length}\0`).update(file.content, 'latin1');
    return hash.digest('hex');
  } catch {
    return undefined;
  }
}
