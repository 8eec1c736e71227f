import { MeshforkError } from '../errors';
import { unsafePathReason } from './pathSafety';
import type { PatchOptions, SeriesEntry } from './types';

export const SERIES_FILE = 'series';

/** The quilt options meshfork reads on a series line; anything else is refused rather than ignored. */
function parseOptions(file: string, line: number, name: string, options: string[]): PatchOptions {
  const result: PatchOptions = {};
  for (let i = 0; i < options.length; i++) {
    const option = options[i];
    const strip = /^-p(\d+)$/.exec(option) ?? (option === '-p' && /^\d+$/.test(options[i + 1] ?? '') ? [option, options[++i]] : null);
    if (strip) result.strip = Number(strip[1]);
    else if (option === '--ignore-trailing-whitespace') result.ignoreTrailingWhitespace = true;
    else {
      throw new MeshforkError('SERIES_INVALID', `${file}:${line}: unsupported option "${option}" for ${name}`, {
        hint: 'a series line takes -pN (path components to strip, default -p1) and --ignore-trailing-whitespace; remove the option',
      });
    }
  }
  return result;
}

/** Quilt-style: a commented-out patch is not applied. */
export function parseSeriesFile(file: string, text: string): SeriesEntry[] {
  const entries: SeriesEntry[] = [];
  const seen = new Map<string, number>();
  // Editors on Windows may start the file with a UTF-8 byte order mark (read as latin1 or UTF-16).
  text
    .replace(/^(\xef\xbb\xbf|\ufeff)/, '')
    .split('\n')
    .forEach((raw, i) => {
      const line = i + 1;
      const content = raw
        .replace(/\r$/, '')
        .replace(/(^|\s)#.*$/, '')
        .trim();
      if (!content) return;
      const [name, ...options] = content.split(/\s+/);
      if (unsafePathReason(name) !== undefined) {
        throw new MeshforkError('SERIES_INVALID', `${file}:${line}: "${name}" must be a file name inside the patches folder`, {
          hint: 'list patch files by their path inside the patches folder, without ".."',
        });
      }
      const parsed = parseOptions(file, line, name, options);
      const previous = seen.get(name);
      if (previous !== undefined) {
        throw new MeshforkError('SERIES_INVALID', `${file}:${line}: "${name}" is listed twice (first at line ${previous})`, {
          hint: 'remove the duplicate line',
        });
      }
      seen.set(name, line);
      entries.push({ name, line, options: parsed });
    });
  return entries;
}

export function formatSeriesFile(names: string[]): string {
  return names.map((n) => `${n}\n`).join('');
}
