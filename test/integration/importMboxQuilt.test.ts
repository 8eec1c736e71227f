/*
 * `meshfork import mbox` and `meshfork import quilt` on a project with the real meshcentral@1.1.55
 * release: a two-patch mbox from git format-patch appends two patches; a quilt series (DEP-3
 * header, sub-folder, -p0, a commented-out entry) applies with the same bytes as `quilt push -a`,
 * and goes through edit/export with every byte of its patches kept.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { edit } from '../../src/commands/edit';
import { exportCommand } from '../../src/commands/export';
import { importMbox } from '../../src/commands/importMbox';
import { importQuilt } from '../../src/commands/importQuilt';
import { applySeries, MemoryTree } from '../../src/engine';
import { loadSeries } from '../../src/series/load';
import { readTree } from '../../src/rebase/backup';
import { GitScratch } from '../support/gitScratch';
import { writeProject } from '../support/project';
import { REPO_ROOT, releaseDir } from '../support/release';
import { SHARED_CACHE } from '../support/cache';

const FIXTURE_SERIES = path.join(REPO_ROOT, 'test', 'fixtures', 'series-1.1.55');
jest.setTimeout(900000);

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'meshfork-import-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const release = releaseDir('1.1.55');
const releaseFile = (p: string) => readFileSync(path.join(release, p));
function releaseTree(): MemoryTree {
  return new MemoryTree(async (p) => {
    try {
      return readFileSync(path.join(release, p)).toString('latin1');
    } catch {
      return undefined;
    }
  });
}

describe('import mbox', () => {
  async function twoPatchMbox(): Promise<string> {
    const r = await new GitScratch('meshfork-mbox-').init();
    try {
      r.write({ 'readme.md': releaseFile('readme.md'), LICENSE: releaseFile('LICENSE') });
      await r.commit('MeshCentral 1.1.55 files');
      r.write({ 'readme.md': Buffer.concat([releaseFile('readme.md'), Buffer.from('\nThis build carries JWT single sign-on.\n')]) });
      await r.commit(
        'Say in the readme that this build has JWT single sign-on\n\nFor the people who run it.\n\nUpstream-Status: Inappropriate [fork branding]',
      );
      r.write({ NOTICE: 'JWT single sign-on (c) the fork maintainers\n' });
      await r.commit('Add a NOTICE file for the fork');
      const mbox = path.join(tmp, 'pr-42.patch');
      writeFileSync(mbox, (await r.git(['format-patch', '-2', '--stdout'])).stdout);
      return mbox;
    } finally {
      r.remove();
    }
  }

  it('a two-patch mbox appends two patches; existing files keep their bytes; the whole series applies to 1.1.55', async () => {
    const project = writeProject(path.join(tmp, 'mbox'), FIXTURE_SERIES);
    const before = await readTree(path.join(project, 'patches'));
    const result = await importMbox({ cwd: project, files: [await twoPatchMbox()], cacheDir: SHARED_CACHE });
    expect(result.added.map((a) => a.name)).toEqual([
      'say-in-the-readme-that-this-build-has-jwt-single-sign-on.patch',
      'add-a-notice-file-for-the-fork.patch',
    ]);
    const after = await readTree(path.join(project, 'patches'));
    for (const [name, bytes] of before) if (name !== 'series') expect(after.get(name)?.equals(bytes)).toBe(true);
    expect(after.get('series')?.toString()).toBe(`${before.get('series')?.toString()}${result.added.map((a) => `${a.name}\n`).join('')}`);
    const first = after.get(result.added[0].name)?.toString() ?? '';
    expect(first).toMatch(
      /^From: T <t@example\.invalid>\nDate: .*\nSubject: Say in the readme that this build has JWT single sign-on\n\nFor the people who run it\.\n\nUpstream-Status: Inappropriate \[fork branding\]\nMeshfork-Base: 1\.1\.55\n---\ndiff --git a\/readme\.md b\/readme\.md\n/,
    );
    expect(first).not.toMatch(/^-- $/m);
    // Like every patch meshfork writes, the imported ones name the release they apply to; what verify would refuse is listed.
    expect(after.get(result.added[1].name)?.toString()).toMatch(
      /^From: T <t@example\.invalid>\nDate: .*\nSubject: Add a NOTICE file for the fork\n\nMeshfork-Base: 1\.1\.55\n---\ndiff --git a\/NOTICE b\/NOTICE\n/,
    );
    expect(result.toComplete).toEqual([
      { name: 'add-a-notice-file-for-the-fork.patch', missing: ['a description', 'an Upstream-Status trailer'] },
    ]);
    const series = await loadSeries(path.join(project, 'patches'));
    const tree = releaseTree();
    expect((await applySeries(series.patches, tree)).status).toBe('clean');
    expect(await tree.read('NOTICE')).toBe('JWT single sign-on (c) the fork maintainers\n');
  });

  it('--before puts them ahead of a named patch; a series they would not apply to is refused and nothing is written', async () => {
    const project = writeProject(path.join(tmp, 'mbox-before'), FIXTURE_SERIES);
    const mbox = await twoPatchMbox();
    await importMbox({ cwd: project, files: [mbox], before: 'serve-jwt-logins-from-the-web-server.patch', cacheDir: SHARED_CACHE });
    expect((await loadSeries(path.join(project, 'patches'))).entries.map((e) => e.name)).toEqual([
      'add-the-jwt-single-sign-on-module.patch',
      'say-in-the-readme-that-this-build-has-jwt-single-sign-on.patch',
      'add-a-notice-file-for-the-fork.patch',
      'serve-jwt-logins-from-the-web-server.patch',
      'list-jwt-single-sign-on-in-the-package-keywords.patch',
    ]);
    // Imported again, the NOTICE patch finds its file there already: refused, patches/ untouched.
    const before = await readTree(path.join(project, 'patches'));
    await expect(importMbox({ cwd: project, files: [mbox], cacheDir: SHARED_CACHE })).rejects.toMatchObject({ code: 'CONFLICT' });
    const after = await readTree(path.join(project, 'patches'));
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
  });
});

describe('import quilt', () => {
  /** A debian/patches-style folder made with diff -u on the real release files. */
  function quiltDir(): string {
    const dir = path.join(tmp, 'debian-patches');
    const work = path.join(tmp, 'quilt-src');
    mkdirSync(path.join(dir, 'sub'), { recursive: true });
    mkdirSync(path.join(work, 'a'), { recursive: true });
    mkdirSync(path.join(work, 'b'), { recursive: true });
    copyFileSync(path.join(release, 'readme.md'), path.join(work, 'a', 'readme.md'));
    writeFileSync(
      path.join(work, 'b', 'readme.md'),
      releaseFile('readme.md')
        .toString('latin1')
        .replace(/MeshCentral/, 'MeshCentral (JWT build)'),
      'latin1',
    );
    const readme = spawnSync('diff', ['-u', 'a/readme.md', 'b/readme.md'], { cwd: work, encoding: 'latin1' }).stdout;
    writeFileSync(
      path.join(dir, 'readme-name.patch'),
      `Description: Name the JWT build in the readme\n Shown on the project page.\nAuthor: Jane Roe <jane@example.org>\nForwarded: not-needed\nLast-Update: 2024-05-01\n---\nIndex: pkg/readme.md\n===================================================================\n${readme}`,
      'latin1',
    );
    copyFileSync(path.join(release, 'package.json'), path.join(work, 'package.json.orig'));
    writeFileSync(
      path.join(work, 'package.json'),
      releaseFile('package.json').toString('latin1').replace('"description": "', '"description": "JWT build: '),
      'latin1',
    );
    const pkg = spawnSync('diff', ['-u', 'package.json.orig', 'package.json'], { cwd: work, encoding: 'latin1' }).stdout;
    writeFileSync(
      path.join(dir, 'sub', 'describe-the-build.patch'),
      `Describe the JWT build in package.json\n\nUpstream-Status: Inappropriate [fork branding]\n\n${pkg}`,
      'latin1',
    );
    writeFileSync(path.join(dir, 'disabled.patch'), 'not applied: commented out in series\n');
    writeFileSync(path.join(dir, 'series'), '# the fork\nreadme-name.patch\nsub/describe-the-build.patch -p0\n#disabled.patch\n');
    return dir;
  }

  it('applies with the same bytes as quilt push -a, keeps every patch as shipped, and edit + export changes no byte', async () => {
    const dir = quiltDir();
    const byQuilt = path.join(tmp, 'quilt-tree');
    mkdirSync(byQuilt);
    for (const f of ['readme.md', 'package.json']) copyFileSync(path.join(release, f), path.join(byQuilt, f));
    execFileSync('quilt', ['push', '-a', '-q'], {
      cwd: byQuilt,
      env: { ...process.env, QUILT_PATCHES: dir, QUILTRC: '/dev/null' },
      stdio: 'pipe',
    });

    const empty = path.join(tmp, 'empty-series');
    mkdirSync(empty);
    writeFileSync(path.join(empty, 'series'), '');
    const project = writeProject(path.join(tmp, 'quilt'), empty);
    const result = await importQuilt({ cwd: project, dir, cacheDir: SHARED_CACHE });
    expect(result.added.map((a) => [a.name, a.subject])).toEqual([
      ['readme-name.patch', 'Name the JWT build in the readme'],
      ['sub/describe-the-build.patch', 'Describe the JWT build in package.json'],
    ]);
    const patchesDir = path.join(project, 'patches');
    expect(readFileSync(path.join(patchesDir, 'readme-name.patch')).equals(readFileSync(path.join(dir, 'readme-name.patch')))).toBe(true);
    expect(readFileSync(path.join(patchesDir, 'series'), 'utf8')).toBe('readme-name.patch\nsub/describe-the-build.patch -p0\n');
    const series = await loadSeries(patchesDir);
    expect(series.patches[0].header).toMatchObject({ from: 'Jane Roe <jane@example.org>', description: 'Shown on the project page.' });
    const tree = releaseTree();
    expect((await applySeries(series.patches, tree)).status).toBe('clean');
    for (const f of ['readme.md', 'package.json'])
      expect(Buffer.from((await tree.read(f)) ?? '', 'latin1').equals(readFileSync(path.join(byQuilt, f)))).toBe(true);

    const before = await readTree(patchesDir);
    await edit({ cwd: project, cacheDir: SHARED_CACHE });
    const exported = await exportCommand({ cwd: project });
    expect(exported.written).toEqual([]);
    const after = await readTree(patchesDir);
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    for (const [name, bytes] of before) expect(after.get(name)?.equals(bytes)).toBe(true);
  });
});
