/*
 * verify's patch policy on inline patches: a move-only patch, a change to a generated or vendored
 * upstream file (and the config's allowGenerated letting it through), and that the CR of MeshCentral's
 * CRLF lines is not trailing whitespace. Plus the glob matcher the allow list uses.
 */
import { parsePatch } from '../../src/series/parse';
import { checkPolicy } from '../../src/verify/checkPolicy';
import { globToRegExp } from '../../src/verify/glob';
import type { LoadedPatch } from '../../src/verify/seriesState';

function loaded(name: string, diff: string): LoadedPatch {
  const text = `From: A <a@example.invalid>\nSubject: ${name}\n\nWhy.\n\nUpstream-Status: Pending\n---\n${diff}`;
  return { patch: parsePatch(name, text), text };
}

const MOVE = loaded('move.patch', 'diff --git a/w.js b/w.js\n--- a/w.js\n+++ b/w.js\n@@ -1,4 +1,4 @@\n-one\n two\n+one\n three\n four\n');
const MINIFIED = loaded(
  'min.patch',
  'diff --git a/public/scripts/lib.min.js b/public/scripts/lib.min.js\n--- a/public/scripts/lib.min.js\n+++ b/public/scripts/lib.min.js\n@@ -1 +1 @@\n-a()\n+b()\n',
);
const CRLF = loaded('crlf.patch', 'diff --git a/w.js b/w.js\n--- a/w.js\n+++ b/w.js\n@@ -1,2 +1,3 @@\n one\r\n+added();\r\n two\r\n');

test('a patch that only reorders lines is refused, naming its first hunk', () => {
  expect(checkPolicy([MOVE], 'patches', [])).toEqual([
    {
      patch: 'move.patch',
      file: 'patches/move.patch',
      line: 11,
      message: 'only moves lines: each of the 1 line(s) it adds is one it removes',
      hint: expect.stringContaining('drop the patch'),
    },
  ]);
});

test('a change to a minified upstream file is refused unless policy.allowGenerated names it', () => {
  const [problem] = checkPolicy([MINIFIED], 'patches', []);
  expect(problem).toMatchObject({
    patch: 'min.patch',
    line: 8,
    message: 'changes public/scripts/lib.min.js, an upstream file that is generated or vendored (matches "**/*.min.js")',
  });
  expect(problem.hint).toContain('"policy": {"allowGenerated": ["public/scripts/lib.min.js"]}');
  expect(checkPolicy([MINIFIED], 'patches', ['public/scripts/*.min.js'])).toEqual([]);
});

test('CRLF endings are not trailing whitespace; a space before the CR is', () => {
  expect(checkPolicy([CRLF], 'patches', [])).toEqual([]);
  const spaced = loaded('crlf.patch', CRLF.text.slice(CRLF.text.indexOf('diff --git')).replace('+added();\r\n', '+added(); \r\n'));
  expect(checkPolicy([spaced], 'patches', []).map((p) => [p.line, p.message])).toEqual([
    [13, 'adds trailing whitespace to w.js line 2: "added(); "'],
  ]);
});

test('globs: * stays inside a folder, ** crosses folders', () => {
  expect(globToRegExp('views/*.handlebars').test('views/default.handlebars')).toBe(true);
  expect(globToRegExp('views/*.handlebars').test('views/x/default.handlebars')).toBe(false);
  expect(globToRegExp('**/*.min.js').test('lib.min.js')).toBe(true);
  expect(globToRegExp('**/*.min.js').test('a/b/lib.min.js')).toBe(true);
  expect(globToRegExp('agents/**').test('agents/meshcore.js')).toBe(true);
  expect(globToRegExp('agents/**').test('agentsx/meshcore.js')).toBe(false);
});
