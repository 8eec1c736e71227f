// Where a conflicting hunk's old side fits best, and which lines differ there. The whole file is searched:
// a release far from the base (0.7.99 against a 1.1.55 series) moves code by hundreds of lines.
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

export function classifyDifference(expected: string, actual: string | undefined): LineDifference {
  if (actual === undefined) return 'missing';
  const [e, a] = [stripEol(expected), stripEol(actual)];
  if (e === a) return 'line-ending';
  if (e.trimEnd() === a.trimEnd()) return 'trailing-whitespace';
  if (e.trimStart() === a.trimStart()) return 'indentation';
  if (normalized(e) === normalized(a)) return 'whitespace';
  return 'content';
}

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

// Best fit: 2 points per identical line, 1 up to whitespace, 0 for blank lines (no evidence); ties go nearest
// `near`. Only positions a pattern line points to are scored, so a 9000-line file stays cheap.
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
