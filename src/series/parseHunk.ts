import { stripEol } from './lines';
import { invalid, type Cursor } from './parseCursor';
import type { Hunk, HunkLine } from './types';

const HUNK_HEADER = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@ ?(.*)$/;

/** The header counts must match the lines. */
export function parseHunk(cur: Cursor): Hunk {
  const name = cur.name;
  const headerLine = cur.lineNo;
  const m = HUNK_HEADER.exec(cur.text);
  if (!m) throw invalid(name, headerLine, `malformed hunk header: ${cur.text}`);
  const hunk: Hunk = {
    oldStart: Number(m[1]),
    oldLines: m[2] === undefined ? 1 : Number(m[2]),
    newStart: Number(m[3]),
    newLines: m[4] === undefined ? 1 : Number(m[4]),
    section: m[5] ?? '',
    lines: [],
    headerLine,
  };
  cur.index++;
  let oldSeen = 0;
  let newSeen = 0;
  while (oldSeen < hunk.oldLines || newSeen < hunk.newLines) {
    if (cur.done)
      throw invalid(
        name,
        headerLine,
        `truncated hunk: the header promises ${hunk.oldLines} old and ${hunk.newLines} new lines, the file ends after ${oldSeen} old and ${newSeen} new`,
      );
    const raw = cur.raw;
    const marker = raw[0];
    let line: HunkLine;
    if (raw === '\n' || raw === '\r\n') line = { kind: ' ', text: raw };
    else if (marker === ' ' || marker === '-' || marker === '+') line = { kind: marker, text: raw.slice(1) };
    else if (marker === '\\') {
      dropLastEol(cur, hunk);
      cur.index++;
      continue;
    } else {
      throw invalid(
        name,
        cur.lineNo,
        `hunk at line ${headerLine} ends early: the header promises ${hunk.oldLines} old and ${hunk.newLines} new lines, found ${oldSeen} old and ${newSeen} new before "${stripEol(raw).slice(0, 60)}"`,
      );
    }
    if (line.kind !== '+') oldSeen++;
    if (line.kind !== '-') newSeen++;
    if (oldSeen > hunk.oldLines || newSeen > hunk.newLines)
      throw invalid(
        name,
        cur.lineNo,
        `hunk at line ${headerLine} has more lines than its header promises (${hunk.oldLines} old, ${hunk.newLines} new)`,
      );
    if (!line.text.endsWith('\n')) throw invalid(name, cur.lineNo, 'the patch file ends in the middle of a hunk line');
    hunk.lines.push(line);
    cur.index++;
  }
  while (!cur.done && cur.raw.startsWith('\\')) {
    dropLastEol(cur, hunk);
    cur.index++;
  }
  return hunk;
}

function dropLastEol(cur: Cursor, hunk: Hunk): void {
  const last = hunk.lines[hunk.lines.length - 1];
  if (!last || !last.text.endsWith('\n')) throw invalid(cur.name, cur.lineNo, 'misplaced "\\ No newline at end of file" marker');
  last.text = last.text.slice(0, -1);
}

export function parseHunks(cur: Cursor): Hunk[] {
  const hunks: Hunk[] = [];
  while (!cur.done && cur.text.startsWith('@@')) hunks.push(parseHunk(cur));
  return hunks;
}

export function checkHunkOrder(cur: Cursor, hunks: Hunk[]): void {
  for (let i = 1; i < hunks.length; i++) {
    const prev = hunks[i - 1];
    if (hunks[i].oldStart < prev.oldStart + prev.oldLines)
      throw invalid(cur.name, hunks[i].headerLine, 'hunks overlap or are out of order');
  }
}
