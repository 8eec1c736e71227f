import type { Hunk } from '../series/types';
import { bestFit } from './differingLines';
import { newSide, oldSide } from './hunks';
import type { HunkOutcome } from './types';

function endingOf(lines: string[]): string {
  return lines[0]?.endsWith('\r\n') ? '\r\n' : '\n';
}

function terminated(lines: string[], eol: string): string[] {
  return lines.map((line) => (line.endsWith('\n') ? line : line + eol));
}

/** Markers for hunks git merge-file cannot merge: old side where it fits best as "upstream", new side as "patch". */
export function rejectMarkers(lines: string[], hunks: Hunk[], conflicts: HunkOutcome[]): string {
  const eol = endingOf(lines);
  const out = lines.slice();
  const placed = conflicts
    .map((outcome) => {
      const hunk = hunks[outcome.index];
      const near = outcome.targetLine ?? outcome.baseLine;
      const old = oldSide(hunk);
      const pos = bestFit(out, old, near);
      return pos === undefined
        ? { outcome, hunk, pos: Math.min(Math.max(near - 1, 0), out.length), count: 0 }
        : { outcome, hunk, pos, count: Math.min(old.length, out.length - pos) };
    })
    // from the bottom up, so each splice leaves the positions above it as they were
    .sort((a, b) => b.pos - a.pos);
  let floor = out.length;
  for (const { outcome, hunk, pos, count } of placed) {
    const upstream = out.slice(pos, Math.min(pos + count, floor));
    const block = [
      `<<<<<<< upstream${eol}`,
      ...terminated(upstream, eol),
      `=======${eol}`,
      ...terminated(newSide(hunk), eol),
      `>>>>>>> patch (hunk ${outcome.index + 1} does not apply: resolve by hand)${eol}`,
    ];
    out.splice(pos, upstream.length, ...block);
    floor = pos;
  }
  return out.join('');
}
