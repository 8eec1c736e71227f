/*
 * Inputs where meshfork must do what the reference tools do (issue 22, item 11), each run by the
 * engine and by `git apply` on the same files in a real temporary repository: same success, same bytes.
 *   - an empty patch file in a series: no change (quilt and dpkg-source: a no-op; git apply refuses
 *     an empty input, which is why this one is not compared with git)
 *   - `--- x` / `+++ x.new`: x is patched (git apply and GNU patch choose the shorter name)
 *   - one patch that renames a file and then modifies the new name (git's "same file after rename")
 *   - one patch that creates an empty file and then adds to it
 *   - hunks that must match at the file's beginning or end, on a file that has more there: both fail
 *   - deleting a path the release does not have: git refuses; meshfork says already-applied (README,
 *     "How patches apply": the end state the patch asks for is there)
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { applySeries, MemoryTree } from '../../src/engine';
import { parsePatch } from '../../src/series/parse';

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'meshfork-reference-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

type Files = Record<string, string>;

function byGit(files: Files, patchText: string): { exitCode: number; files: Files } {
  const dir = mkdtempSync(path.join(tmp, 'git-'));
  execFileSync('git', ['init', '-q'], { cwd: dir });
  for (const [p, c] of Object.entries(files)) writeFileSync(path.join(dir, p), c);
  writeFileSync(`${dir}.patch`, patchText);
  const run = spawnSync('git', ['apply', `${dir}.patch`], {
    cwd: dir,
    env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' },
  });
  const after: Files = {};
  for (const f of readdirSync(dir)
    .filter((f) => f !== '.git')
    .sort())
    after[f] = readFileSync(path.join(dir, f), 'utf8');
  return { exitCode: run.status ?? -1, files: after };
}

async function byEngine(files: Files, patchTexts: string[]): Promise<{ statuses: string[]; files: Files }> {
  const tree = new MemoryTree(async (p) => files[p]);
  const outcome = await applySeries(
    patchTexts.map((t, i) => parsePatch(`${i + 1}.patch`, t)),
    tree,
  );
  const after: Files = { ...files };
  for (const [p, change] of tree.changes()) {
    if (change.content === null) delete after[p];
    else after[p] = change.content;
  }
  return {
    statuses: outcome.patches.map((p) => p.status),
    files: Object.fromEntries(Object.entries(after).sort(([a], [b]) => (a < b ? -1 : 1))),
  };
}

const LETTERS = 'a\nb\nc\nd\ne\nf\ng\nh\n';

test('an empty patch file is a no-op patch between two others', async () => {
  expect(parsePatch('empty.patch', '').operations).toEqual([]);
  expect(parsePatch('blank.patch', '\n\n').operations).toEqual([]);
  const edit = (from: string, to: string) => `--- a/x\n+++ b/x\n@@ -1 +1 @@\n-${from}\n+${to}\n`;
  const result = await byEngine({ x: 'one\n' }, [edit('one', 'two'), '', edit('two', 'three')]);
  expect(result).toEqual({ statuses: ['clean', 'clean', 'clean'], files: { x: 'three\n' } });
});

test('--- x / +++ x.new patches x, as git apply does', async () => {
  const patch = '--- x\n+++ x.new\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n';
  const git = byGit({ x: 'a\nb\n' }, patch);
  expect(git).toEqual({ exitCode: 0, files: { x: 'a\nc\n' } });
  expect(await byEngine({ x: 'a\nb\n' }, [patch])).toEqual({ statuses: ['clean'], files: git.files });
});

test("a rename, then a change to the new name in the same patch (git's same file after rename)", async () => {
  const patch = [
    'diff --git a/same_fn b/new_fn',
    'similarity index 87%',
    'rename from same_fn',
    'rename to new_fn',
    '--- a/same_fn',
    '+++ b/new_fn',
    '@@ -1,7 +1,7 @@',
    ' a',
    ' b',
    ' c',
    '-d',
    '+z',
    ' e',
    ' f',
    ' g',
    'diff --git a/new_fn b/new_fn',
    '--- a/new_fn',
    '+++ b/new_fn',
    '@@ -2,7 +2,7 @@',
    ' b',
    ' c',
    ' z',
    '-e',
    '+y',
    ' f',
    ' g',
    ' h',
    '',
  ].join('\n');
  const git = byGit({ same_fn: LETTERS }, patch);
  expect(git).toEqual({ exitCode: 0, files: { new_fn: 'a\nb\nc\nz\ny\nf\ng\nh\n' } });
  expect(await byEngine({ same_fn: LETTERS }, [patch])).toEqual({ statuses: ['clean'], files: git.files });
});

test('a patch that creates an empty file, then adds to it', async () => {
  const patch =
    'diff --git a/e b/e\nnew file mode 100644\nindex 0000000..e69de29\ndiff --git a/e b/e\n--- a/e\n+++ b/e\n@@ -0,0 +1 @@\n+x\n';
  const git = byGit({}, patch);
  expect(git).toEqual({ exitCode: 0, files: { e: 'x\n' } });
  expect(await byEngine({}, [patch])).toEqual({ statuses: ['clean'], files: git.files });
});

test.each([
  [
    'a hunk ending at the beginning, on a file with a line before',
    'x\nb\nc\nd\ne\nf\n',
    'diff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -1,3 +1,4 @@\n+a\n b\n c\n d\n',
  ],
  [
    'a hunk ending at the end, on a file with a line after',
    'b\nc\nd\ne\nf\nx\n',
    'diff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -3,3 +3,4 @@\n d\n e\n f\n+g\n',
  ],
])('%s: git apply fails and so does meshfork (conflict, not already-applied)', async (_name, text, patch) => {
  expect(byGit({ f: text }, patch).exitCode).toBe(1);
  expect(await byEngine({ f: text }, [patch])).toEqual({ statuses: ['conflict'], files: { f: text } });
});

test('deleting a path that is absent: git refuses, meshfork says already-applied (README)', async () => {
  const patch = 'diff --git a/f b/f\ndeleted file mode 100644\n--- a/f\n+++ /dev/null\n@@ -1 +0,0 @@\n-x\n';
  expect(byGit({ g: 'x\n' }, patch)).toEqual({ exitCode: 1, files: { g: 'x\n' } });
  expect(await byEngine({ g: 'x\n' }, [patch])).toEqual({ statuses: ['already-applied'], files: { g: 'x\n' } });
  const readme = readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8').replace(/\s+/g, ' ');
  expect(readme).toContain('A patch that deletes a file the release does not have is `already-applied`');
});
