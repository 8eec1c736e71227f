import { MeshforkError } from '../errors';
import type { SeriesEntry } from './types';

export const SERIES_FILE = 'series';

/** Parse a quilt-style series file: one patch name a line, `#` comments, blank lines, optional -p1. */
export function parseSeriesFile(file: string, text: string): SeriesEntry[] {
  const entries: SeriesEntry[] = [];
  const seen = new Map<string, number>();
  // Editors on Windows may start the file with a UTF-8 byte order mark (read as latin1 or UTF-16).
  text.replace(/^(\xef\xbb\xbf|\ufeff)/, '').split('\n').forEach((raw, i) => {
    const line = i + 1;
    const content = raw.replace(/\r$/, '').replace(/(^|\s)#.*$/, '').trim();
    if (!content) return;
    const [name, ...options] = content.split(/\s+/);
    const bad = options.find((o) => o !== '-p1');
    if (bad) {
      throw new MeshforkError('SERIES_INVALID', `${file}:${line}: unsupported option "${bad}" for ${name}`, { hint: 'meshfork patches are always -p1 (a/ and b/ prefixes); remove the option' });
    }
    if (name.includes('/') || name === '.' || name === '..') {
      throw new MeshforkError('SERIES_INVALID', `${file}:${line}: "${name}" must be a file name inside the patches folder`, { hint: 'list patch file names only, without folders' });
    }
    const previous = seen.get(name);
    if (previous !== undefined) {
      throw new MeshforkError('SERIES_INVALID', `${file}:${line}: "${name}" is listed twice (first at line ${previous})`, { hint: 'remove the duplicate line' });
    }
    seen.set(name, line);
    entries.push({ name, line });
  });
  return entries;
}

export function formatSeriesFile(names: string[]): string {
  return names.map((n) => `${n}\n`).join('');
}
