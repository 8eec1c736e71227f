/*
 * A conflicting hunk's differing lines are found in the file as its patch found it: the release plus
 * the earlier patches on that file. Reports say "lines of <release>", so each line is also given as
 * the release's own line (README, sync check): a line-by-line diff of the release's file against
 * that file tells which lines the earlier patches wrote (no release line) and how far the rest moved.
 */
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

/**
 * The differing lines with `releaseLine` set. `now` null: no earlier patch changed the file, the line
 * is the release's. A file the release lacks (an earlier patch created it) has no release lines.
 */
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
