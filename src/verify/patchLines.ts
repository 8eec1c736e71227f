/* Where things are inside a patch file: the lines verify's messages point at. */
import { splitLines, stripEol } from '../series/lines';
import type { Hunk } from '../series/types';

/** 1-based lines of a patch file's header: its Subject:, and the `---` line that ends the header. */
export function headerLines(text: string): { subject: number; separator: number } {
  const lines = splitLines(text).map(stripEol);
  const subject = lines.findIndex((l) => /^subject:/i.test(l));
  const separator = lines.findIndex((l) => l === '---' || l.startsWith('diff --git '));
  return { subject: subject + 1, separator: separator === -1 ? lines.length : separator + 1 };
}

/** One line of a hunk with where it sits: in the patch file, and in the file the patch writes. */
export interface LocatedLine {
  kind: ' ' | '-' | '+';
  text: string;
  patchLine: number;
  fileLine: number; // in the new file for ' ' and '+', in the old file for '-'
}

export function locateHunkLines(hunk: Hunk): LocatedLine[] {
  let patchLine = hunk.headerLine;
  let oldNo = hunk.oldStart;
  let newNo = hunk.newStart;
  return hunk.lines.map((line, k) => {
    // "\ No newline at end of file" follows a line without its ending and takes a patch line of its own
    const previous = hunk.lines[k - 1];
    patchLine += previous && !previous.text.endsWith('\n') ? 2 : 1;
    const located = { kind: line.kind, text: line.text, patchLine, fileLine: line.kind === '-' ? oldNo : newNo };
    if (line.kind !== '+') oldNo++;
    if (line.kind !== '-') newNo++;
    return located;
  });
}
