import { locateDifferingLines } from '../../src/checkReport/differingLines';
import { classifyDifference, differingLine } from '../../src/engine/differingLines';
import { differenceWords, visibleLine } from '../../src/checkReport/describe';
import { splitLines } from '../../src/series/lines';
import { parsePatch } from '../../src/series/parse';
import type { Hunk } from '../../src/series/types';

/** One hunk with old side "    a();", "    b();", "", "    c();" (CRLF) and one added line. */
function hunk(): Hunk {
  const text = [
    'From: F <f@example.invalid>',
    'Subject: Add x',
    '',
    '---',
    'diff --git a/f.js b/f.js',
    '--- a/f.js',
    '+++ b/f.js',
    '@@ -50,4 +50,5 @@',
    '     a();\r',
    '     b();\r',
    '+    x();\r',
    ' \r',
    '     c();\r',
    '',
  ].join('\n');
  return parsePatch('add-x.patch', text).operations[0].hunks[0];
}

const filler = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `other ${from + i};\r\n`);

test('finds the hunk hundreds of lines away and lists exactly the lines that differ', () => {
  const target = [...filler(400), '    a();\r\n', '    b2();\r\n', '\r\n', '    c();\r\n', ...filler(10, 400)];
  expect(locateDifferingLines(target, hunk(), 50)).toEqual({
    line: 401,
    differing: [{ line: 402, expected: '    b();', actual: '    b2();', difference: 'content', endings: null }],
  });
});

test('re-indented code still locates, and the indentation shows as a difference', () => {
  const target = splitLines(`${filler(5).join('')}  a();\r\n  b();\r\n\r\n  c();\r\n`);
  const found = locateDifferingLines(target, hunk(), 50);
  expect(found?.line).toBe(6);
  expect(found?.differing.map((d) => [d.line, d.actual])).toEqual([
    [6, '  a();'],
    [7, '  b();'],
    [9, '  c();'],
  ]);
});

test('between equally good places, the one nearest the expected line wins', () => {
  const block = ['    a();\r\n', '    zz();\r\n', '\r\n', '    zz();\r\n'];
  const target = [...filler(10), ...block, ...filler(100, 10), ...block, ...filler(10, 110)];
  expect(locateDifferingLines(target, hunk(), 120)?.line).toBe(115);
  expect(locateDifferingLines(target, hunk(), 5)?.line).toBe(11);
});

test('blank lines alone are no evidence: nothing similar anywhere gives undefined', () => {
  expect(locateDifferingLines([...filler(20), '\r\n', ...filler(5)], hunk(), 10)).toBeUndefined();
});

test('invisible differences are named, and the text shows them: ␍ for a CR, · for a space, → for a tab', () => {
  expect(classifyDifference('a();\r\n', 'a();\n')).toBe('line-ending');
  expect(classifyDifference('a();\r\n', 'a();  \r\n')).toBe('trailing-whitespace');
  expect(classifyDifference('    a();\r\n', '\ta();\r\n')).toBe('indentation');
  expect(classifyDifference('a(b, c);\r\n', 'a(b,  c);\r\n')).toBe('whitespace');
  expect(classifyDifference('a();\r\n', 'b();\r\n')).toBe('content');
  expect(classifyDifference('a();\r\n', undefined)).toBe('missing');
  const cr = differingLine(7, 'a();\r\n', 'a();\n');
  expect(cr).toEqual({ line: 7, expected: 'a();', actual: 'a();', difference: 'line-ending', endings: { expected: 'CRLF', actual: 'LF' } });
  expect([visibleLine(cr.expected, cr, 'expected'), visibleLine(cr.actual, cr, 'actual'), differenceWords(cr)]).toEqual([
    'a();␍',
    'a();',
    'differs only in line ending',
  ]);
  const trailing = differingLine(8, 'a();\r\n', 'a(); \t\r\n');
  expect([visibleLine(trailing.actual, trailing, 'actual'), differenceWords(trailing)]).toEqual([
    'a();·→',
    'differs only in trailing whitespace',
  ]);
  const indent = differingLine(9, '    a();\r\n', '\ta();\r\n');
  expect([visibleLine(indent.expected, indent, 'expected'), visibleLine(indent.actual, indent, 'actual'), differenceWords(indent)]).toEqual(
    ['····a();', '→a();', 'differs only in indentation'],
  );
  const content = differingLine(10, ' a();\r\n', ' b();\r\n');
  expect([visibleLine(content.actual, content, 'actual'), differenceWords(content)]).toEqual([' b();', undefined]);
});
