/*
 * The rebase summary, on inline patches: unchanged, moved (offsets only), refreshed (content),
 * resolved (a conflict was resolved) and dropped, and the markdown a pull request shows.
 */
import { parsePatch } from '../../src/series/parse';
import { renderSummaryMarkdown, summarizeRebase } from '../../src/rebase/summary';

function patch(name: string, hunks: string, base = '1.1.51'): { name: string; text: string } {
  return {
    name,
    text: `From: A <a@example.invalid>\nSubject: ${name}\n\nMeshfork-Base: ${base}\n---\ndiff --git a/w.js b/w.js\n--- a/w.js\n+++ b/w.js\n${hunks}`,
  };
}

const HUNK = (start: number, context = ' c1\n') => `@@ -${start},2 +${start},3 @@\n${context} c2\n+added\n`;

test('each patch is classified by comparing old and new hunks', () => {
  const old = [
    patch('same.patch', HUNK(10)),
    patch('moved.patch', HUNK(10) + HUNK(50)),
    patch('refreshed.patch', HUNK(10)),
    patch('resolved.patch', HUNK(10)),
    patch('dropped.patch', HUNK(10)),
  ];
  const now = [
    { ...patch('same.patch', HUNK(10), '1.1.55'), previous: 'same.patch' },
    { ...patch('moved.patch', HUNK(12) + HUNK(50), '1.1.55'), previous: 'moved.patch' },
    { ...patch('refreshed.patch', HUNK(10, ' c1 changed upstream\n'), '1.1.55'), previous: 'refreshed.patch' },
    { ...patch('resolved.patch', HUNK(30, ' c1 resolved\n'), '1.1.55'), previous: 'resolved.patch' },
  ];
  const steps = [
    { name: 'same.patch', action: 'applied' as const, strict: 'clean' },
    { name: 'moved.patch', action: 'applied' as const, strict: 'offset' },
    { name: 'refreshed.patch', action: 'merged' as const, strict: 'conflict' },
    { name: 'resolved.patch', action: 'resolved' as const, strict: 'conflict' },
    { name: 'dropped.patch', action: 'dropped' as const, strict: 'already-applied' },
  ];
  const summary = summarizeRebase(
    '1.1.51',
    '1.1.55',
    old.map((p) => parsePatch(p.name, p.text)),
    steps,
    now,
  );
  expect(summary.patches.map((p) => [p.name, p.result])).toEqual([
    ['same.patch', 'unchanged'],
    ['moved.patch', 'moved'],
    ['refreshed.patch', 'refreshed'],
    ['resolved.patch', 'resolved'],
    ['dropped.patch', 'dropped'],
  ]);
  expect(summary.patches[1].moves).toEqual([{ path: 'w.js', oldStart: 10, newStart: 12 }]);
  expect(summary.patches[4].dropReason).toBe('upstream-contains');
  // No history given (an npm upstream): no security list rather than an empty one.
  expect(summary.securityCommits).toBeNull();
  // Line-number churn is not content: the refreshed patch's diff shows only the context line.
  expect(summary.patches[2].contentDiff).toBe(' modify w.js\n @@ @@\n- c1\n+ c1 changed upstream\n  c2\n +added');

  const markdown = renderSummaryMarkdown(summary);
  expect(markdown.split('\n').filter((l) => l.startsWith('| '))).toEqual([
    '| # | patch | result | line-number churn |',
    '| --- | --- | --- | --- |',
    '| 1 | `same.patch` | unchanged | - |',
    '| 2 | `moved.patch` | moved | w.js 10→12 (+2) |',
    '| 3 | `refreshed.patch` | refreshed | - |',
    // A resolved or refreshed hunk's churn is listed too, and a dropped patch says why.
    '| 4 | `resolved.patch` | resolved | w.js 10→30 (+20) |',
    '| 5 | `dropped.patch` | dropped: upstream already contains it | - |',
  ]);
  expect(markdown).toContain('### refreshed: `refreshed.patch`');
  expect(markdown).toContain('### resolved: `resolved.patch`');
  expect(markdown).toContain('1 unchanged, 1 moved, 1 refreshed, 1 resolved, 1 dropped');
});
