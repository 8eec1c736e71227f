/*
 * For a hunk that conflicts: where in the file its old side (context and removed lines) fits
 * best, and which of those lines differ there. The whole file is searched, because a release far
 * from the base (0.7.99 against a 1.1.55 series) moves code by hundreds of lines. Each differing
 * line says what kind of difference it is, so a changed line ending or trailing space is named
 * instead of showing two lines that look the same.
 */
import type { Hunk } from '../series/types';
import { displayText, stripEol } from '../series/lines';
import type { DifferingLine, LineDifference, LineEnding } from './types';

function oldSide(hunk: Hunk): string[] {
  return hunk.lines.filter((l) => l.kind !== '+').map((l) => l.text);
}

/** A line compared without its ending and with runs of whitespace collapsed: re-indented code still locates. */
function normalized(line: string): string {
  return stripEol(line).trim().replace(/\s+/g, ' ');
}

function endingOf(line: string): LineEnding {
  return line.endsWith('\r\n') ? 'CRLF' : line.endsWith('\n') ? 'LF' : 'none';
}

/** The smallest name for how `actual` differs from `expected` (both with their endings). */
export function classifyDifference(expected: string, actual: string | undefined): LineDifference {
  if (actual === undefined) return 'missing';
  const [e, a] = [stripEol(expected), stripEol(actual)];
  if (e === a) return 'line-ending';
  if (e.trimEnd() === a.trimEnd()) return 'trailing-whitespace';
  if (e.trimStart() === a.trimStart()) return 'indentation';
  if (normalized(e) === normalized(a)) return 'whitespace';
  return 'content';
}

/** One differing line, as reports show it: text decoded as UTF-8 without its ending, and what kind of difference. */
export function differingLine(line: number, expected: string, actual: string | undefined): DifferingLine {
  const difference = classifyDifference(expected, actual);
  return {
    line,
    expected: stripEol(displayText(expected)),
    actual: actual === undefined ? '' : stripEol(displayText(actual)),
    difference,
    endings: difference === 'line-ending' && actual !== undefined ? { expected: endingOf(expected), actual: endingOf(actual) } : null,
  };
}

/** Per file image: the positions of each line, compared up to whitespace (built once, reused for every hunk). */
const lineIndexes = new WeakMap<string[], Map<string, number[]>>();

function lineIndex(target: string[]): Map<string, number[]> {
  let index = lineIndexes.get(target);
  if (!index) {
    const built = new Map<string, number[]>();
    target.forEach((line, pos) => {
      const key = normalized(line);
      if (key === '') return;
      const positions = built.get(key);
      if (positions) positions.push(pos);
      else built.set(key, [pos]);
    });
    lineIndexes.set(target, built);
    index = built;
  }
  return index;
}

/**
 * The 0-based position where `pattern` fits best in `target`: 2 points per identical line, 1 per
 * line equal up to whitespace; blank lines match almost anywhere, so they are no evidence and score
 * nothing. Ties go to the position nearest the 1-based line `near` (the earlier one at equal
 * distance). Undefined when nothing fits. Only positions some line of the pattern points to are
 * scored, so a whole 9000-line file costs about as much as the pattern's matching lines.
 */
export function bestFit(target: string[], pattern: string[], near: number): number | undefined {
  const index = lineIndex(target);
  const scores = new Map<number, number>();
  pattern.forEach((line, i) => {
    const key = normalized(line);
    if (key === '') return;
    for (const p of index.get(key) ?? []) {
      const pos = p - i;
      if (pos < 0) continue;
      scores.set(pos, (scores.get(pos) ?? 0) + (target[p] === line ? 2 : 1));
    }
  });
  let best: { pos: number; score: number } | undefined;
  for (const [pos, score] of [...scores].sort((x, y) => x[0] - y[0])) {
    const closer = best !== undefined && score === best.score && Math.abs(pos + 1 - near) < Math.abs(best.pos + 1 - near);
    if (best === undefined || score > best.score || closer) best = { pos, score };
  }
  return best?.pos;
}

/**
 * The best-fitting position of the hunk's old side in `target` (ties go to the position nearest
 * `near`, a 1-based line), and the lines that differ there, byte for byte. Undefined when not one
 * non-blank line of the hunk appears anywhere, even up to whitespace.
 */
export function locateDifferingLines(target: string[], hunk: Hunk, near: number): { line: number; differing: DifferingLine[] } | undefined {
  const pattern = oldSide(hunk);
  const start = bestFit(target, pattern, near);
  if (start === undefined) return undefined;
  const differing: DifferingLine[] = [];
  pattern.forEach((expected, i) => {
    const actual = target[start + i];
    if (actual !== expected) differing.push(differingLine(start + i + 1, expected, actual));
  });
  return { line: start + 1, differing };
}
