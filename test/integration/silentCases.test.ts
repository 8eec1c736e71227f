/*
 * The three inputs that used to exit 0 while doing the wrong thing, each compared with git itself
 * on a real repository: UTF-8 file names, a multi-patch mbox, and ---/+++ names that disagree with
 * the diff --git line.
 */
import { MemoryTree, applyPatch } from '../../src/engine';
import { parsePatch } from '../../src/series/parse';
import { errorOf } from '../support/errors';
import { GitScratch } from '../support/gitScratch';

const repos: GitScratch[] = [];
afterAll(() => repos.forEach((r) => r.remove()));

async function repo(): Promise<GitScratch> {
  const r = await new GitScratch('meshfork-silent-').init();
  repos.push(r);
  return r;
}

/** The tree of a repository as the engine reads it: decoded names, binary-string contents. */
function treeOf(files: Map<string, Buffer>): MemoryTree {
  return new MemoryTree(async (p) => files.get(p)?.toString('latin1'));
}

describe('UTF-8 file names', () => {
  it('quoted, octal-escaped names (as git writes them) modify café.txt and create naïve.txt under their real names, as git apply does', async () => {
    const r = await repo();
    r.write({ 'café.txt': 'one\ntwo\n' });
    const base = await r.commit('base');
    r.write({ 'café.txt': 'one\nTWO\n', 'naïve.txt': 'new\n' });
    await r.commit('change');
    const diff = (await r.git(['diff', base, 'HEAD'])).stdout.toString('latin1');
    expect(diff).toContain('diff --git "a/caf\\303\\251.txt" "b/caf\\303\\251.txt"');
    const patch = parsePatch('utf8.patch', diff);
    expect(patch.operations.map((o) => (o.kind === 'rename' ? o.to : o.path))).toEqual(['café.txt', 'naïve.txt']);

    await r.git(['checkout', '-q', base]);
    const before = r.files();
    const tree = treeOf(before);
    const outcome = await applyPatch(patch, tree);
    expect(outcome.status).toBe('clean');
    await r.git(['apply'], [0], Buffer.from(diff, 'latin1'));
    const byGit = r.files();
    expect(tree.changes().map(([p]) => p)).toEqual(['café.txt', 'naïve.txt']);
    for (const [p, change] of tree.changes()) expect(Buffer.from(change.content ?? '', 'latin1')).toEqual(byGit.get(p));
  });

  it('unquoted UTF-8 names (core.quotePath=false) read the same', async () => {
    const r = await repo();
    r.write({ 'café.txt': 'one\n' });
    const base = await r.commit('base');
    r.write({ 'café.txt': 'uno\n' });
    await r.commit('change');
    const diff = (await r.git(['-c', 'core.quotePath=false', 'diff', base, 'HEAD'])).stdout.toString('latin1');
    expect(diff).toContain('diff --git a/caf\xc3\xa9.txt b/caf\xc3\xa9.txt');
    const op = parsePatch('utf8.patch', diff).operations[0];
    expect(op).toMatchObject({ kind: 'modify', path: 'café.txt' });
    const tree = treeOf(new Map([['café.txt', Buffer.from('one\n')]]));
    expect((await applyPatch(parsePatch('utf8.patch', diff), tree)).status).toBe('clean');
    expect(await tree.read('café.txt')).toBe('uno\n');
  });

  it('a name that is not valid UTF-8 is refused, naming the line, rather than written double-encoded', () => {
    const error = errorOf(() =>
      parsePatch(
        'bad.patch',
        'diff --git "a/\\351t\\351" "b/\\351t\\351"\nnew file mode 100644\n--- /dev/null\n+++ "b/\\351t\\351"\n@@ -0,0 +1 @@\n+x\n',
      ),
    );
    expect(error.code).toBe('PATCH_INVALID');
    expect(error.message).toMatch(/^bad\.patch:1: the file name ".*" is not valid UTF-8/);
  });
});

describe('a multi-patch mbox', () => {
  it('git format-patch -2 --stdout is refused at the second patch, with the import command as the next step', async () => {
    const r = await repo();
    r.write({ 'a.txt': 'a\n' });
    await r.commit('base');
    r.write({ 'a.txt': 'a1\n' });
    await r.commit('first change');
    r.write({ 'b.txt': 'b\n' });
    await r.commit('second change');
    const mbox = (await r.git(['format-patch', '-2', '--stdout'])).stdout.toString('latin1');
    const second = mbox.split('\n').findIndex((l, i) => i > 0 && /^From [0-9a-f]{40} /.test(l)) + 1;
    const error = errorOf(() => parsePatch('pr.patch', mbox));
    expect(error.code).toBe('PATCH_INVALID');
    expect(error.message).toMatch(new RegExp(`^pr\\.patch:${second}: a second patch starts here: this file is an mbox of 2 patches`));
    expect(error.hint).toMatch(/meshfork import mbox/);
  });

  it('more diff after a "-- " signature (mbox lines stripped) is refused too, not cut off', () => {
    const one =
      'From: T <t@example.invalid>\nSubject: one\n---\ndiff --git a/a b/a\n--- a/a\n+++ b/a\n@@ -1 +1 @@\n-a\n+b\n-- \n2.39.5\n\n';
    const two =
      'From: T <t@example.invalid>\nSubject: two\n---\ndiff --git a/b b/b\n--- a/b\n+++ b/b\n@@ -1 +1 @@\n-a\n+b\n-- \n2.39.5\n\n';
    const error = errorOf(() => parsePatch('two.patch', one + two));
    expect(error.code).toBe('PATCH_INVALID');
    expect(error.message).toMatch(/^two\.patch:13: more diff after the "-- " signature/);
  });

  it('one patch with its signature still parses', () => {
    const one =
      'From: T <t@example.invalid>\nSubject: one\n---\ndiff --git a/a b/a\n--- a/a\n+++ b/a\n@@ -1 +1 @@\n-a\n+b\n-- \n2.39.5\n\n';
    expect(parsePatch('one.patch', one).operations).toHaveLength(1);
  });
});

describe('---/+++ names that disagree with the diff --git line', () => {
  const header = 'From: T <t@example.invalid>\nSubject: s\n---\n';
  it.each([
    [
      'new',
      'diff --git a/f b/f\n--- a/f\n+++ b/f-blah\n@@ -1 +1 @@\n-a\n+b\n',
      6,
      /"\+\+\+ b\/f-blah" names "f-blah" but the diff --git header names "f" \(inconsistent new file name/,
    ],
    [
      'old',
      'diff --git a/f b/f\n--- a/g\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n',
      5,
      /"--- a\/g" names "g" but the diff --git header names "f" \(inconsistent old file name/,
    ],
  ])('an inconsistent %s file name is refused, naming the line (not turned into an undeclared rename)', (_side, diff, line, message) => {
    const error = errorOf(() => parsePatch('p.patch', header + diff));
    expect(error.code).toBe('PATCH_INVALID');
    expect(error.message).toMatch(new RegExp(`^p\\.patch:${line}: `));
    expect(error.message).toMatch(message);
  });

  it('the same names with rename lines are a rename', () => {
    const patch = parsePatch(
      'p.patch',
      `${header}diff --git a/f b/f-blah\nsimilarity index 50%\nrename from f\nrename to f-blah\n--- a/f\n+++ b/f-blah\n@@ -1 +1 @@\n-a\n+b\n`,
    );
    expect(patch.operations[0]).toMatchObject({ kind: 'rename', from: 'f', to: 'f-blah' });
  });
});
