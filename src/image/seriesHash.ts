import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Series } from '../series/types';

// Label io.meshfork.series.sha256, by hand: `cd patches && sha256sum $(grep -Ev '^\s*(#|$)' series) | sha256sum`.
// A files folder comes first, one line per file named `<folder>/<path>`, sorted.
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
