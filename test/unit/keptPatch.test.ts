/* export of foreign patches: kept byte for byte when unchanged; the header kept when only the diff changed. */
import { parsePatch } from '../../src/series/parse';
import { parseCommitMessage, commitMessage } from '../../src/workspace/commitMessage';
import type { PatchCommit } from '../../src/workspace/commits';
import { planExport } from '../../src/workspace/exportPlan';
import { renderSeries } from '../../src/project/seriesText';

const HEADER = 'Description: Fix the greeting\n Say hello properly.\nAuthor: Jane Roe <jane@example.org>\nForwarded: no\n---\n';
const TEXT = `${HEADER}Index: pkg/hello.txt\n===================================================================\n--- pkg.orig/hello.txt\t2024-01-01 10:00:00.000000000 +0000\n+++ pkg/hello.txt\t2024-01-02 10:00:00.000000000 +0000\n@@ -1,2 +1,2 @@\n-helo\n+hello\n world\n`;

function commitFor(newContent: string): PatchCommit {
  const patch = parsePatch('fix-greeting.patch', TEXT);
  return {
    id: 'c'.repeat(40),
    author: { name: 'Jane Roe', email: 'jane@example.org' },
    message: parseCommitMessage(commitMessage(patch.header)),
    changes: [{ oldPath: 'hello.txt', newPath: 'hello.txt', oldContent: 'helo\nworld\n', newContent }],
  };
}

describe('export of a foreign (DEP-3, traditional diff) patch', () => {
  const asListed = { ...parsePatch('fix-greeting.patch', TEXT), name: 'fix-greeting.patch' };

  it('an unchanged commit keeps every byte of the patch', () => {
    const plan = planExport([commitFor('hello\nworld\n')], { patches: [asListed], seriesText: 'fix-greeting.patch\n' }, '1.1.55');
    expect(plan.patches[0]).toMatchObject({ name: 'fix-greeting.patch', text: TEXT, kept: 'verbatim' });
    expect(plan.seriesText).toBe('fix-greeting.patch\n');
  });

  it('a changed diff under the same message keeps the header bytes above the new diff, and the series line loses -pN', () => {
    const plan = planExport(
      [commitFor('hello\nworld!\n')],
      { patches: [{ ...asListed, options: { strip: 1 } }], seriesText: 'fix-greeting.patch -p1\n' },
      '1.1.55',
    );
    expect(plan.patches[0].kept).toBe('header');
    expect(plan.patches[0].text.startsWith(HEADER)).toBe(true);
    expect(plan.patches[0].text.slice(HEADER.length)).toBe(
      'diff --git a/hello.txt b/hello.txt\n--- a/hello.txt\n+++ b/hello.txt\n@@ -1,2 +1,2 @@\n-helo\n-world\n+hello\n+world!\n',
    );
    expect(parsePatch('fix-greeting.patch', plan.patches[0].text).header.subject).toBe('Fix the greeting');
    expect(
      renderSeries('fix-greeting.patch -p2\n', [{ name: 'fix-greeting.patch', previous: 'fix-greeting.patch', keepOptions: false }]),
    ).toBe('fix-greeting.patch\n');
  });
});
