import type { Hunk } from '../series/types';
import type { HunkOutcome } from './types';
import { locate } from './locate';
import { locateDifferingLines } from './differingLines';

export function oldSide(hunk: Hunk): string[] {
  return hunk.lines.filter((l) => l.kind !== '+').map((l) => l.text);
}

export function newSide(hunk: Hunk): string[] {
  return hunk.lines.filter((l) => l.kind !== '-').map((l) => l.text);
}

function leadingContext(hunk: Hunk): number {
  let n = 0;
  while (n < hunk.lines.length && hunk.lines[n].kind === ' ') n++;
  return n;
}

function trailingContext(hunk: Hunk): number {
  let n = 0;
  while (n < hunk.lines.length && hunk.lines[hunk.lines.length - 1 - n].kind === ' ') n++;
  return n;
}

export function reverseHunk(hunk: Hunk): Hunk {
  return {
    ...hunk,
    oldStart: hunk.newStart,
    oldLines: hunk.newLines,
    newStart: hunk.oldStart,
    newLines: hunk.oldLines,
    lines: hunk.lines.map((l) => ({ kind: l.kind === '+' ? '-' : l.kind === '-' ? '+' : ' ', text: l.text })),
  };
}

/** Lines equal once whitespace at their end (line ending included) is ignored: GNU patch -l, for CRLF files. */
export function sameIgnoringTrailingWhitespace(a: string, b: string): boolean {
  return a === b || a.replace(/[ \t\r\n]+$/, '') === b.replace(/[ \t\r\n]+$/, '');
}

export interface MatchOptions {
  ignoreTrailingWhitespace?: boolean;
}

function newSideFromImage(hunk: Hunk, image: string[], pos: number): string[] {
  const out: string[] = [];
  let old = 0;
  for (const line of hunk.lines) {
    if (line.kind === ' ') out.push(image[pos + old] ?? line.text);
    if (line.kind !== '+') old++;
    if (line.kind === '+') out.push(line.text);
  }
  return out;
}

export interface HunksResult {
  lines: string[];
  outcomes: HunkOutcome[];
  failed: number[]; // indexes of hunks not placed
}

export interface ApplyHunksOptions extends MatchOptions {
  locateFailed?: boolean; // find where each failed hunk fits best (what a report shows; costs a file scan)
}

// Strict placement follows `git apply` (from the hunk's new start, nearest first); with fuzz, GNU patch (the
// previous hunk's offset carried, never back before the previous hunk, `fuzz` context lines ignored per end).
export function applyHunks(original: string[], hunks: Hunk[], maxFuzz: number, options: ApplyHunksOptions = {}): HunksResult {
  const same = options.ignoreTrailingWhitespace ? sameIgnoringTrailingWhitespace : undefined;
  const image = original.slice();
  const outcomes: HunkOutcome[] = [];
  const failed: number[] = [];
  let delta = 0; // lines added minus removed by hunks applied so far
  let lastOffset = 0;
  let frozen = 0; // first image line after the last line the previous hunk changed (GNU: last_frozen_line + 1)
  hunks.forEach((hunk, index) => {
    const pattern = oldSide(hunk);
    let replacement = newSide(hunk);
    const lead = leadingContext(hunk);
    const trail = trailingContext(hunk);
    const context = Math.max(lead, trail);
    let placed: { pos: number; fuzz: number; prefix: number; suffix: number } | undefined;
    // As GNU patch: never more fuzz than the hunk has context, or changed lines would be ignored too.
    for (let fuzz = 0; fuzz <= Math.min(maxFuzz, context) && !placed; fuzz++) {
      const prefixFuzz = fuzz + lead - context;
      const suffixFuzz = fuzz + trail - context;
      const strict = fuzz === 0 && maxFuzz === 0;
      const spec = {
        start: strict ? Math.max(hunk.newStart - 1, 0) : Math.max(hunk.oldStart - 1, 0) + delta + lastOffset,
        min: strict ? 0 : frozen,
        prefixFuzz: Math.max(prefixFuzz, 0),
        suffixFuzz: Math.max(suffixFuzz, 0),
        matchBeginning: hunk.oldStart <= 1 && (strict ? true : prefixFuzz < 0),
        // git apply: no trailing context means the hunk ends the file; for "@@ -0,0" that is an empty file.
        matchEnd: strict ? trail === 0 && hunk.lines.length > 0 : suffixFuzz < 0,
        same,
      };
      if (hunk.oldLines === 0 && hunk.oldStart === 0) spec.matchBeginning = true;
      const pos = locate(image, pattern, spec);
      if (pos !== undefined) placed = { pos, fuzz, prefix: spec.prefixFuzz, suffix: spec.suffixFuzz };
    }
    const baseLine = hunk.oldStart;
    if (!placed) {
      failed.push(index);
      const expected = Math.max(hunk.oldStart, 1) + lastOffset;
      const located = options.locateFailed ? locateDifferingLines(original, hunk, expected) : undefined;
      outcomes.push({
        index,
        status: 'conflict',
        baseLine,
        targetLine: located?.line ?? expected,
        ...(located ? { differingLines: located.differing } : {}),
      });
      return;
    }
    const { pos, fuzz, prefix, suffix } = placed;
    if (same) replacement = newSideFromImage(hunk, image, pos);
    // GNU patch's running offset (where the next hunk is guessed) counts only the hunks placed so far.
    const placementOffset = pos - Math.max(hunk.oldStart - 1, 0) - delta;
    const removeCount = pattern.length - prefix - suffix;
    image.splice(pos + prefix, removeCount, ...replacement.slice(prefix, replacement.length - suffix));
    const targetLine = pos + 1;
    // Strict: git apply -v's offset, even after a hunk of this patch was left out. With fuzz: GNU patch's.
    const offset = maxFuzz === 0 ? targetLine - Math.max(hunk.newStart, 1) : placementOffset;
    delta += replacement.length - pattern.length;
    lastOffset = placementOffset;
    frozen = pos + replacement.length - trail;
    outcomes.push({
      index,
      status: prefix + suffix > 0 ? 'fuzz' : offset !== 0 ? 'offset' : 'exact',
      baseLine,
      targetLine,
      offset,
      ...(prefix + suffix > 0 ? { fuzz } : {}),
    });
  });
  return { lines: image, outcomes, failed };
}
