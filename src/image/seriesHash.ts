import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Series } from '../series/types';

/**
 * The series hash an image carries (label io.meshfork.series.sha256): sha256 of the `sha256sum`
 * listing of the patch files in series order, i.e. lines "<sha256 of the file>  <name>\n". Comments
 * and blank lines of `series` do not count; a patch's bytes, name or position do. By hand, for a
 * series file of plain names: `cd patches && sha256sum $(grep -Ev '^\s*(#|$)' series) | sha256sum`.
 * A files folder (config "files") comes first, one line per file named `<folder>/<path>`, sorted.
 */
export async function seriesHash(series: Series): Promise<string> {
  const listing: string[] = [];
  for (const op of series.files?.operations ?? []) {
    if (op.kind !== 'create') continue;
    const bytes = Buffer.from(op.hunks.flatMap((h) => h.lines.map((l) => l.text)).join(''), 'latin1');
    listing.push(`${createHash('sha256').update(bytes).digest('hex')}  ${series.files?.name}${op.path}\n`);
  }
  for (const entry of series.entries) {
    const bytes = await fs.readFile(path.join(series.dir, entry.name));
    listing.push(`${createHash('sha256').update(bytes).digest('hex')}  ${entry.name}\n`);
  }
  return createHash('sha256').update(listing.join('')).digest('hex');
}
