import { applyHunks, reverseHunk } from '../../src/engine/hunks';
import { locate } from '../../src/engine/locate';
import { splitLines } from '../../src/series/lines';
import { parsePatch } from '../../src/series/parse';
import type { Hunk } from '../../src/series/types';

/** Hunks of a one-file diff body ("@@ ..." lines onwards). */
function hunks(body: string): Hunk[] {
  const text = `From: T <t@example.invalid>\nSubject: t\n---\ndiff --git a/f b/f\n--- a/f\n+++ b/f\n${body}`;
  return parsePatch('t.patch', text).operations[0].hunks;
}

/** "a\nb\n..." from a list of names. */
function file(...names: string[]): string[] {
  return names.map((n) => `${n}\n`);
}

const TEN = file('1', '2', '3', '4', '5', '6', '7', '8', '9', '10');
const CHANGE_5 = hunks('@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n');

describe('applyHunks: placement', () => {
  it('exact: lands where the header says', () => {
    const result = applyHunks(TEN, CHANGE_5, 0);
    expect(result.failed).toEqual([]);
    expect(result.outcomes).toEqual([{ index: 0, status: 'exact', baseLine: 2, targetLine: 2, offset: 0 }]);
    expect(result.lines.join('')).toBe(file('1', '2', '3', '4', 'five', '6', '7', '8', '9', '10').join(''));
  });

  it('offset: lines added or removed above move the hunk, and the offset is reported', () => {
    const down = applyHunks([...file('x', 'y', 'z'), ...TEN], CHANGE_5, 0);
    expect(down.outcomes[0]).toEqual({ index: 0, status: 'offset', baseLine: 2, targetLine: 5, offset: 3 });
    expect(down.lines[7]).toBe('five\n');
    const up = applyHunks(TEN.slice(1), hunks('@@ -3,7 +3,7 @@\n 3\n 4\n 5\n-6\n+six\n 7\n 8\n 9\n'), 0);
    expect(up.outcomes[0]).toMatchObject({ status: 'offset', targetLine: 2, offset: -1 });
  });

  it('offset: the nearest match wins; among equal distances the later one (as git apply and GNU patch search)', () => {
    // "k X k" occurs at lines 2-4 and 6-8.
    const target = file('a', 'k', 'X', 'k', 'b', 'k', 'X', 'k', 'c');
    const expectedAt = (line: number) => hunks(`@@ -${line},3 +${line},3 @@\n k\n-X\n+Y\n k\n`);
    expect(applyHunks(target, expectedAt(3), 0).outcomes[0]).toMatchObject({ status: 'offset', targetLine: 2, offset: -1 });
    expect(applyHunks(target, expectedAt(5), 0).outcomes[0]).toMatchObject({ status: 'offset', targetLine: 6, offset: 1 });
    expect(applyHunks(target, expectedAt(4), 0).outcomes[0]).toMatchObject({ status: 'offset', targetLine: 6, offset: 2 });
  });

  it('a hunk without any context must match at the end of the file (git apply: no trailing context)', () => {
    const target = file('a', 'X', 'b', 'X');
    expect(applyHunks(target, hunks('@@ -2 +2 @@\n-X\n+Y\n'), 0).outcomes[0]).toMatchObject({ status: 'offset', targetLine: 4, offset: 2 });
    expect(applyHunks(file('a', 'X', 'b'), hunks('@@ -2 +2 @@\n-X\n+Y\n'), 0).failed).toEqual([0]);
  });

  it("several hunks: later hunks keep the earlier ones' line changes in mind", () => {
    const two = hunks('@@ -1,3 +1,4 @@\n 1\n+1.5\n 2\n 3\n@@ -7,4 +8,3 @@\n 7\n-8\n 9\n 10\n');
    const result = applyHunks(TEN, two, 0);
    expect(result.outcomes.map((o) => [o.status, o.targetLine, o.offset])).toEqual([
      ['exact', 1, 0],
      // git apply -v counts the line hunk 1 added: "Hunk #2 succeeded at 8".
      ['exact', 8, 0],
    ]);
    expect(result.lines.join('')).toBe(file('1', '1.5', '2', '3', '4', '5', '6', '7', '9', '10').join(''));
  });

  it('conflict: a changed context line fails in strict mode, the image is left as it was for that hunk', () => {
    const target = TEN.slice();
    target[2] = '3 changed\n';
    const result = applyHunks(target, CHANGE_5, 0);
    expect(result.failed).toEqual([0]);
    expect(result.outcomes[0]).toEqual({ index: 0, status: 'conflict', baseLine: 2, targetLine: 2 });
    expect(result.lines).toEqual(target);
  });

  it('fuzz: the same hunk lands with fuzz 1 when fuzz is allowed, ignoring the outer context line', () => {
    const target = TEN.slice();
    target[1] = '2 changed\n';
    expect(applyHunks(target, CHANGE_5, 0).failed).toEqual([0]);
    const result = applyHunks(target, CHANGE_5, 2);
    expect(result.outcomes[0]).toEqual({ index: 0, status: 'fuzz', baseLine: 2, targetLine: 2, offset: 0, fuzz: 1 });
    // The ignored context line keeps the target's version.
    expect(result.lines.join('')).toBe(file('1', '2 changed', '3', '4', 'five', '6', '7', '8', '9', '10').join(''));
  });

  it('fuzz: a change two lines from the edge of the context needs fuzz 2; three needs more than allowed', () => {
    const two = TEN.slice();
    two[2] = '3 changed\n';
    expect(applyHunks(two, CHANGE_5, 1).failed).toEqual([0]);
    expect(applyHunks(two, CHANGE_5, 2).outcomes[0]).toMatchObject({ status: 'fuzz', fuzz: 2 });
    const three = TEN.slice();
    three[3] = '4 changed\n';
    expect(applyHunks(three, CHANGE_5, 2).failed).toEqual([0]);
  });

  it("fuzz never exceeds the hunk's context (GNU patch caps it): a 1-line-context hunk cannot land on unrelated lines", () => {
    const small = hunks('@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n');
    expect(applyHunks(file('x', 'b', 'y'), small, 2).outcomes[0]).toMatchObject({ status: 'fuzz', fuzz: 1, targetLine: 1 });
    const unrelated = applyHunks(file('q', 'r', 's'), small, 2);
    expect(unrelated.failed).toEqual([0]);
    expect(unrelated.lines).toEqual(file('q', 'r', 's'));
  });

  it('a hunk at the beginning (less leading context) must match at the beginning', () => {
    const atStart = hunks('@@ -1,3 +1,3 @@\n-1\n+one\n 2\n 3\n');
    expect(applyHunks(TEN, atStart, 0).outcomes[0]).toMatchObject({ status: 'exact', targetLine: 1 });
    // Same lines further down: git apply refuses rather than move a beginning-of-file hunk.
    expect(applyHunks([...file('new first'), ...TEN], atStart, 0).failed).toEqual([0]);
  });

  it('a hunk without trailing context must match at the end', () => {
    const atEnd = hunks('@@ -8,3 +8,3 @@\n 8\n 9\n-10\n+ten\n');
    expect(applyHunks(TEN, atEnd, 0).outcomes[0]).toMatchObject({ status: 'exact', targetLine: 8 });
    expect(applyHunks([...TEN, ...file('appended')], atEnd, 0).failed).toEqual([0]);
    // Offsets are fine as long as the match is still at the end.
    expect(applyHunks([...file('x'), ...TEN], atEnd, 0).outcomes[0]).toMatchObject({ status: 'offset', offset: 1 });
  });

  it('no newline at end of file: the missing ending is part of the line', () => {
    const target = [...TEN.slice(0, 9), '10'];
    const addEol = hunks('@@ -9,2 +9,2 @@\n 9\n-10\n\\ No newline at end of file\n+10\n');
    expect(applyHunks(target, addEol, 0).lines.slice(-1)).toEqual(['10\n']);
    // The same hunk does not fit a file whose last line has its newline.
    expect(applyHunks(TEN, addEol, 0).failed).toEqual([0]);
  });

  it('CRLF and LF versions of a line are different lines', () => {
    const crlf = TEN.map((l) => l.replace('\n', '\r\n'));
    expect(applyHunks(crlf, CHANGE_5, 0).failed).toEqual([0]);
  });

  it('a hunk into an empty file fits only an empty file (git apply refuses it on one that has content)', () => {
    const fill = hunks('@@ -0,0 +1,2 @@\n+a\n+b\n');
    const result = applyHunks([], fill, 0);
    expect(result.outcomes[0]).toMatchObject({ status: 'exact', targetLine: 1 });
    expect(result.lines).toEqual(['a\n', 'b\n']);
    expect(applyHunks(file('existing'), fill, 0).failed).toEqual([0]);
  });
});

describe('reverseHunk', () => {
  it('swaps the sides: applying the reverse undoes the hunk', () => {
    const forward = applyHunks(TEN, CHANGE_5, 0);
    const [reversed] = CHANGE_5.map(reverseHunk);
    expect(reversed).toMatchObject({ oldStart: 2, oldLines: 7, newStart: 2, newLines: 7 });
    expect(reversed.lines.filter((l) => l.kind !== ' ')).toEqual([
      { kind: '+', text: '5\n' },
      { kind: '-', text: 'five\n' },
    ]);
    expect(applyHunks(forward.lines, [reversed], 0).lines).toEqual(TEN);
  });
});

describe('locate', () => {
  const image = splitLines('a\nb\nc\nb\nc\n');
  const base = { min: 0, prefixFuzz: 0, suffixFuzz: 0, matchBeginning: false, matchEnd: false };

  it('finds the nearest match to start, later first on ties', () => {
    expect(locate(image, ['b\n', 'c\n'], { ...base, start: 0 })).toBe(1);
    expect(locate(image, ['b\n', 'c\n'], { ...base, start: 2 })).toBe(3);
    expect(locate(image, ['b\n', 'c\n'], { ...base, start: 4 })).toBe(3);
  });

  it('respects min, matchBeginning and matchEnd', () => {
    expect(locate(image, ['b\n', 'c\n'], { ...base, start: 1, min: 2 })).toBe(3);
    expect(locate(image, ['b\n', 'c\n'], { ...base, start: 1, matchEnd: true })).toBe(3);
    expect(locate(image, ['b\n', 'c\n'], { ...base, start: 1, matchBeginning: true })).toBeUndefined();
    expect(locate(image, ['x\n'], { ...base, start: 1 })).toBeUndefined();
  });

  it('fuzz ignores pattern lines at the ends', () => {
    expect(locate(image, ['X\n', 'b\n', 'c\n'], { ...base, start: 0 })).toBeUndefined();
    expect(locate(image, ['X\n', 'b\n', 'c\n'], { ...base, start: 0, prefixFuzz: 1 })).toBe(0);
    expect(locate(image, ['b\n', 'c\n', 'Y\n'], { ...base, start: 3, suffixFuzz: 1 })).toBe(3);
  });
});
