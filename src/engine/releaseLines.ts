// Differing lines are found in the file as the patch found it (release + earlier patches); reports say
// "lines of <release>" (README, sync check), so a line diff against the release maps them back.
import { splitLines } from '../series/lines';
import type { DifferingLine } from './types';

/** For each line of `now` (index 0 = line 1): its 1-based line in `release`, or null when an earlier patch wrote it. */
export function releaseLineMap(release: string, now: string): (number | null)[] {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only here: a clean or remembered check never needs it (fastPaths test)
  const { diffArrays } = require('diff') as typeof import('diff');
  const map: (number | null)[] = [];
  let releaseLine = 0;
  for (const part of diffArrays(splitLines(release), splitLines(now))) {
    const count = part.value.length;
    if (part.removed) releaseLine += count;
    else if (part.added) for (let i = 0; i < count; i++) map.push(null);
    else for (let i = 0; i < count; i++) map.push(++releaseLine);
  }
  return map;
}

export function withReleaseLines(
  lines: DifferingLine[],
  release: string | null | undefined,
  now: string | null | undefined,
): DifferingLine[] {
  if (now === null || release === now) return lines.map((d) => ({ ...d, releaseLine: d.line }));
  if (release === undefined || release === null || now === undefined) return lines.map((d) => ({ ...d, releaseLine: null }));
  const map = releaseLineMap(release, now);
  return lines.map((d) => ({ ...d, releaseLine: map[d.line - 1] ?? null }));
}
