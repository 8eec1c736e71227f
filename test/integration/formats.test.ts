/*
 * Real-world patch formats, each made by the tool that writes it (diff -Naur, git diff --binary,
 * git diff -C / -M -B) or copied from the format's documentation, applied by the engine and compared
 * byte for byte with what git apply or GNU patch makes of the same input.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadSeries } from '../../src/series/load';
import { parsePatch } from '../../src/series/parse';
import { upstreamStatus } from '../../src/series/upstreamStatus';
import { engineApply, listing } from '../support/engineFiles';
import { rejectionOf } from '../support/errors';
import { GitScratch } from '../support/gitScratch';

const cleanup: (() => void)[] = [];
afterAll(() => cleanup.forEach((f) => f()));

async function repo(files: Record<string, string | Buffer>): Promise<GitScratch> {
  const r = await new GitScratch('meshfork-formats-').init();
  cleanup.push(() => r.remove());
  r.write(files);
  await r.commit('base');
  return r;
}

function scratch(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'meshfork-formats-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Apply `diff` with git apply in a fresh copy of `r`'s base and return the files. */
async function gitApplied(r: GitScratch, diff: string | Buffer, args: string[] = []): Promise<Map<string, Buffer>> {
  await r.git(['reset', '-q', '--hard']);
  await r.git(['clean', '-qfdx']);
  await r.git(['apply', ...args], [0], Buffer.isBuffer(diff) ? diff : Buffer.from(diff, 'latin1'));
  return r.files();
}

describe('traditional unified diffs', () => {
  it('diff -Naur with time stamps and pkg.orig/ prefixes (a new file with the epoch stamp, a deleted one) applies as GNU patch -p1 does', async () => {
    const dir = scratch();
    const write = (root: string, files: Record<string, string>) => {
      for (const [p, c] of Object.entries(files)) {
        mkdirSync(path.dirname(path.join(dir, root, p)), { recursive: true });
        writeFileSync(path.join(dir, root, p), c);
      }
    };
    const lines = Array.from({ length: 30 }, (_, i) => `line ${i + 1}\n`);
    write('pkg.orig', { 'src/main.c': lines.join(''), 'old.txt': 'gone\n', 'keep.txt': 'same\n' });
    const changed = lines.slice();
    changed[4] = 'LINE 5\n';
    changed.splice(20, 0, 'inserted\n');
    write('pkg', { 'src/main.c': changed.join(''), 'src/new.h': '#define NEW 1\n', 'keep.txt': 'same\n' });
    const diff = spawnSync('diff', ['-Naur', 'pkg.orig', 'pkg'], { cwd: dir, encoding: 'latin1' }).stdout;
    expect(diff).toMatch(/^--- pkg\.orig\/src\/new\.h\t1970-01-01 00:00:00\.000000000 \+0000$/m);
    const patch = parsePatch('debian.patch', diff);
    expect(patch.operations.map((o) => `${o.kind} ${o.kind === 'rename' ? o.to : o.path}`)).toEqual([
      'delete old.txt',
      'modify src/main.c',
      'create src/new.h',
    ]);

    const original = new Map([
      ['src/main.c', Buffer.from(lines.join(''))],
      ['old.txt', Buffer.from('gone\n')],
      ['keep.txt', Buffer.from('same\n')],
    ]);
    const byEngine = await engineApply([patch], original);
    // GNU patch as dpkg-source runs it (-E: remove files left empty).
    const target = path.join(dir, 'target');
    write('target', { 'src/main.c': lines.join(''), 'old.txt': 'gone\n', 'keep.txt': 'same\n' });
    execFileSync('patch', ['-p1', '-E', '-s', '-F', '0', '-N'], { cwd: target, input: diff });
    const byPatch = new Map<string, Buffer>();
    for (const p of ['src/main.c', 'src/new.h', 'keep.txt', 'old.txt']) {
      try {
        byPatch.set(p, readFileSync(path.join(target, p)));
      } catch {
        /* deleted */
      }
    }
    expect(listing(byEngine.files)).toEqual(listing(byPatch));
    expect(byEngine.outcomes[0].status).toBe('clean');
  });

  it("quilt's Index:/==== preamble, -p0 and -p2 strip levels", async () => {
    const quilt =
      'Index: pkg/lib/a.js\n===================================================================\n--- pkg.orig/lib/a.js\n+++ pkg/lib/a.js\n@@ -1,2 +1,2 @@\n one\n-two\n+TWO\n';
    expect(parsePatch('q.patch', quilt).operations[0]).toMatchObject({ kind: 'modify', path: 'lib/a.js' });
    expect(parsePatch('q.patch', quilt, { strip: 0 }).operations[0]).toMatchObject({ kind: 'modify', path: 'pkg/lib/a.js' });
    expect(parsePatch('q.patch', quilt, { strip: 2 }).operations[0]).toMatchObject({ kind: 'modify', path: 'a.js' });
    const r = await repo({ 'lib/a.js': 'one\ntwo\n' });
    const byGit = await gitApplied(r, quilt);
    const byEngine = await engineApply([parsePatch('q.patch', quilt)], new Map([['lib/a.js', Buffer.from('one\ntwo\n')]]));
    expect(byEngine.files.get('lib/a.js')).toEqual(byGit.get('lib/a.js'));
  });

  it('a strip level deeper than a name is refused, naming the line and the series option', () => {
    expect(() => parsePatch('q.patch', '--- a.js\n+++ a.js\n@@ -1 +1 @@\n-a\n+b\n', { strip: 1 })).toThrow(
      /^q\.patch:1: cannot remove 1 leading folder\(s\) from "a\.js" \(-p1\)/,
    );
  });
});

describe('patches without a mail header', () => {
  it('raw git diff output: subject from the file name, applied as git apply does', async () => {
    const r = await repo({ 'x.js': 'a\nb\n' });
    r.write({ 'x.js': 'a\nB\n' });
    const diff = (await r.git(['diff'])).stdout.toString('latin1');
    const patch = parsePatch('fix-x.diff', diff);
    expect(patch.header).toMatchObject({ subject: 'fix-x', from: '', trailers: [] });
    const byGit = await gitApplied(r, diff);
    expect((await engineApply([patch], new Map([['x.js', Buffer.from('a\nb\n')]]))).files.get('x.js')).toEqual(byGit.get('x.js'));
  });

  it('a patch-package file: node_modules/<pkg>/ removed with -p3 (-p4 for a scoped package)', () => {
    const text =
      'diff --git a/node_modules/left-pad/index.js b/node_modules/left-pad/index.js\nindex 26f73ff..8f1ac5e 100644\n--- a/node_modules/left-pad/index.js\n+++ b/node_modules/left-pad/index.js\n@@ -1 +1 @@\n-a\n+b\n';
    expect(parsePatch('left-pad+1.3.0.patch', text, { strip: 3 }).operations[0]).toMatchObject({ kind: 'modify', path: 'index.js' });
    const scoped = text.replace(/left-pad/g, '@scope/pkg');
    expect(parsePatch('@scope+pkg+1.0.0.patch', scoped, { strip: 4 }).operations[0]).toMatchObject({ kind: 'modify', path: 'index.js' });
  });
});

describe('DEP-3 headers', () => {
  const diff = '--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n';
  it('Description/Author/Forwarded/Bug/Last-Update map to subject, author, description, trailers and upstream status; the header bytes are kept', () => {
    const header =
      'Description: Fix the frobnicator\n When frobbing, do not crash.\n .\n Second paragraph.\nAuthor: Jane Roe <jane@example.org>\nBug-Debian: https://bugs.debian.org/123456\nForwarded: https://github.com/x/y/pull/7\nLast-Update: 2024-05-01\n---\n';
    const patch = parsePatch('fix.patch', header + diff);
    expect(patch.header).toEqual({
      from: 'Jane Roe <jane@example.org>',
      date: undefined,
      subject: 'Fix the frobnicator',
      description: 'When frobbing, do not crash.\n\nSecond paragraph.',
      trailers: [
        { key: 'Bug-Debian', value: 'https://bugs.debian.org/123456' },
        { key: 'Forwarded', value: 'https://github.com/x/y/pull/7' },
        { key: 'Last-Update', value: '2024-05-01' },
      ],
    });
    expect(upstreamStatus(patch.header)).toBe('Submitted [https://github.com/x/y/pull/7]');
    expect(patch.source).toMatchObject({ format: 'dep3', headerText: header });
  });

  it('an Origin: line above a "From <sha>" mail, Subject: without From:, Applied-Upstream and Forwarded: not-needed', () => {
    const mail =
      'Origin: upstream, https://github.com/x/y/commit/abc\nFrom 0123456789abcdef0123456789abcdef01234567 Mon Sep 17 00:00:00 2001\nFrom: Up Stream <up@example.org>\nDate: Tue, 3 Sep 2024 10:00:00 +0000\nSubject: [PATCH] Handle empty input\n\nBody.\n---\n';
    const a = parsePatch('a.patch', mail + diff).header;
    expect(a).toMatchObject({ from: 'Up Stream <up@example.org>', subject: 'Handle empty input', description: 'Body.' });
    expect(upstreamStatus(a)).toBe('Backport [https://github.com/x/y/commit/abc]');
    expect(upstreamStatus(parsePatch('b.patch', `Subject: Use the system zlib\nApplied-Upstream: 2.1.0\n\n${diff}`).header)).toBe(
      'Accepted [2.1.0]',
    );
    expect(upstreamStatus(parsePatch('c.patch', `Description: Debian paths\nForwarded: not-needed\n\n${diff}`).header)).toBe(
      'Inappropriate [not needed upstream]',
    );
  });

  it.each([
    'Backport [https://example.org/c/1]',
    'Denied',
    'Denied [upstream wants another fix]',
    'Submitted [https://example.org/pr/1]',
    'Accepted',
    'Pending',
    'pending',
    'Inappropriate [oe specific]',
  ])('Upstream-Status: %s is accepted in a meshfork header', (status) => {
    const patch = parsePatch('p.patch', `From: A <a@example.org>\nSubject: s\n\nUpstream-Status: ${status}\n---\n${diff}`);
    expect(upstreamStatus(patch.header)).toBe(status);
  });

  it('a free-text (Yocto-style) header: first line is the subject, the trailer block is kept', () => {
    const patch = parsePatch(
      'p.patch',
      `Fix build with gcc 14\n\nSome detail.\n\nUpstream-Status: Pending\nSigned-off-by: A <a@example.org>\n\n${diff}`,
    );
    expect(patch.header).toMatchObject({ subject: 'Fix build with gcc 14', description: 'Some detail.' });
    expect(upstreamStatus(patch.header)).toBe('Pending');
  });
});

describe('git extended diffs, compared with git apply', () => {
  const png = (seed: number, size = 3000) => Buffer.from(Array.from({ length: size }, (_, i) => (i * seed + (i >> 3)) % 256));

  it('GIT binary patch, literal and delta, byte-exact; a file with another blob id is refused', async () => {
    const r = await repo({ 'logo.png': png(7), 'icon.png': png(3, 200) });
    const changed = Buffer.from(png(7));
    changed[1500] ^= 0xff;
    r.write({ 'logo.png': changed, 'icon.png': png(11, 300), 'new.png': png(5, 100) });
    const diff = (await r.git(['diff', '--binary', '--full-index'])).stdout;
    const text = diff.toString('latin1');
    expect(text).toMatch(/^delta \d+$/m);
    expect(text).toMatch(/^literal \d+$/m);
    const patch = parsePatch('images.patch', text);
    const original = new Map([
      ['logo.png', png(7)],
      ['icon.png', png(3, 200)],
    ]);
    const byEngine = await engineApply([patch], original);
    const byGit = await gitApplied(r, diff);
    expect(listing(byEngine.files)).toEqual(listing(byGit));
    expect(byEngine.outcomes[0].status).toBe('clean');
    const other = await engineApply(
      [patch],
      new Map([
        ['logo.png', png(9)],
        ['icon.png', png(3, 200)],
      ]),
    );
    expect(other.outcomes[0].status).toBe('conflict');
    expect(other.outcomes[0].files.find((f) => f.path === 'logo.png')?.status).toBe('conflict');
  });

  it('copies (git diff -C --find-copies-harder)', async () => {
    const body = Array.from({ length: 20 }, (_, i) => `row ${i}\n`).join('');
    const r = await repo({ 'a.js': body });
    r.write({ 'b.js': body.replace('row 3\n', 'ROW 3\n') });
    await r.git(['add', '-A']);
    const diff = (await r.git(['diff', '--cached', '-C', '--find-copies-harder'])).stdout.toString('latin1');
    expect(diff).toContain('copy from a.js');
    const patch = parsePatch('copy.patch', diff);
    expect(patch.operations[0]).toMatchObject({ kind: 'copy', from: 'a.js', path: 'b.js' });
    const byEngine = await engineApply([patch], new Map([['a.js', Buffer.from(body)]]));
    expect(listing(byEngine.files)).toEqual(listing(await gitApplied(r, diff)));
  });

  it('swapped renames (git diff -M -B) apply as one step', async () => {
    // git only breaks files of 400 bytes or more (-B), so the swap needs some size.
    const a = Array.from({ length: 100 }, (_, i) => `alpha line number ${i}\n`).join('');
    const b = Array.from({ length: 100 }, (_, i) => `beta line number ${i}\n`).join('');
    const r = await repo({ 'a.txt': a, 'b.txt': b });
    r.write({ 'a.txt': b, 'b.txt': a });
    const diff = (await r.git(['diff', '-M', '-B'])).stdout.toString('latin1');
    expect(diff).toMatch(/rename from a\.txt\nrename to b\.txt/);
    expect(diff).toMatch(/rename from b\.txt\nrename to a\.txt/);
    const byEngine = await engineApply(
      [parsePatch('swap.patch', diff)],
      new Map([
        ['a.txt', Buffer.from(a)],
        ['b.txt', Buffer.from(b)],
      ]),
    );
    expect(byEngine.outcomes[0].status).toBe('clean');
    expect(listing(byEngine.files)).toEqual(listing(await gitApplied(r, diff)));
  });

  it('one file twice in one patch: the second diff applies to the result of the first, as git apply does', async () => {
    const r = await repo({ 'f.txt': 'a\nb\nc\n' });
    const diff =
      'diff --git a/f.txt b/f.txt\n--- a/f.txt\n+++ b/f.txt\n@@ -1,3 +1,3 @@\n-a\n+A\n b\n c\ndiff --git a/f.txt b/f.txt\n--- a/f.txt\n+++ b/f.txt\n@@ -1,3 +1,3 @@\n A\n-b\n+B\n c\n';
    const byEngine = await engineApply([parsePatch('twice.patch', diff)], new Map([['f.txt', Buffer.from('a\nb\nc\n')]]));
    expect(byEngine.files.get('f.txt')?.toString()).toBe('A\nB\nc\n');
    expect(listing(byEngine.files)).toEqual(listing(await gitApplied(r, diff)));
  });
});

describe('matching context ignoring trailing whitespace', () => {
  const crlf = 'one\r\ntwo\r\nthree\r\n';
  const lf = '--- a/w.txt\n+++ b/w.txt\n@@ -1,3 +1,3 @@\n one\n-two\n+TWO\n three\n';

  it("an LF patch on a CRLF file conflicts strictly (the report says only line endings differ), and applies with --ignore-trailing-whitespace keeping the file's CRLF context", async () => {
    const strict = await engineApply([parsePatch('w.patch', lf)], new Map([['w.txt', Buffer.from(crlf)]]));
    expect(strict.outcomes[0].status).toBe('conflict');
    expect(strict.outcomes[0].files[0].hunks[0].differingLines?.[0]).toEqual({
      line: 1,
      expected: 'one',
      actual: 'one',
      difference: 'line-ending',
      endings: { expected: 'LF', actual: 'CRLF' },
    });
    const loose = await engineApply(
      [parsePatch('w.patch', lf, { ignoreTrailingWhitespace: true })],
      new Map([['w.txt', Buffer.from(crlf)]]),
    );
    expect(loose.outcomes[0].status).toBe('clean');
    expect(loose.files.get('w.txt')?.toString('latin1')).toBe('one\r\nTWO\nthree\r\n');
  });
});

describe('meshfork series on a folder with several bad patches', () => {
  it('reports every invalid patch in one error, each with its file and line', async () => {
    const dir = scratch();
    writeFileSync(path.join(dir, 'series'), 'ok.patch\nbad1.patch\nsub/bad2.patch\nmissing.patch\n# off.patch\n');
    writeFileSync(path.join(dir, 'ok.patch'), '--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n');
    writeFileSync(path.join(dir, 'bad1.patch'), '--- a/x\n+++ b/x\n@@ -1,2 +1 @@\n-a\n');
    mkdirSync(path.join(dir, 'sub'));
    writeFileSync(path.join(dir, 'sub', 'bad2.patch'), 'diff --git a/y b/y\n--- a/y\n+++ b/z\n@@ -1 +1 @@\n-a\n+b\n');
    writeFileSync(path.join(dir, 'off.patch'), 'not even a patch');
    const error = await rejectionOf(loadSeries(dir));
    expect(error.code).toBe('PATCH_INVALID');
    const lines = error.message.split('\n');
    expect(lines[0]).toBe('3 patches are invalid:');
    expect(lines[1]).toMatch(/bad1\.patch:3: truncated hunk/);
    expect(lines[2]).toMatch(/sub\/bad2\.patch:3: "\+\+\+ b\/z" names "z"/);
    expect(lines[3]).toMatch(/\[SERIES_INVALID\] .*series:4: "missing\.patch" is listed but/);
  });
});

describe('the writer and binary files', () => {
  it('a change to a binary file is written as a GIT binary patch that git apply and the engine both apply byte for byte', async () => {
    const { formatPatch } = await import('../../src/engine/formatPatch');
    const old = Buffer.from(Array.from({ length: 600 }, (_, i) => (i * 13) % 256));
    const next = Buffer.from(old);
    next[10] = 0;
    next[300] ^= 0x5a;
    const text = formatPatch({ from: 'T <t@example.invalid>', subject: 'Rebrand the logo', description: '', trailers: [] }, [
      { oldPath: 'logo.png', newPath: 'logo.png', oldContent: old.toString('latin1'), newContent: next.toString('latin1') },
      { oldPath: null, newPath: 'icon.png', oldContent: null, newContent: '\0\x01\x02icon' },
    ]);
    expect(text).toMatch(/^GIT binary patch\nliteral 600\n/m);
    const r = await repo({ 'logo.png': old });
    const byGit = await gitApplied(r, text);
    const byEngine = await engineApply([parsePatch('rebrand.patch', text)], new Map([['logo.png', old]]));
    expect(listing(byEngine.files)).toEqual(listing(byGit));
    expect(byEngine.files.get('logo.png')?.equals(next)).toBe(true);
  });
});
