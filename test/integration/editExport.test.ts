/*
 * `meshfork edit` + `meshfork export` on real meshcentral releases from the npm registry (cache
 * shared under .cache/): the round trip keeps every byte, edits made with plain git in the
 * workspace become the expected patch files, and those apply strictly with the engine and with
 * `git apply`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, promises as fs, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { edit } from '../../src/commands/edit';
import { exportCommand } from '../../src/commands/export';
import { applySeries, MemoryTree } from '../../src/engine';
import { isMeshforkError } from '../../src/errors';
import { loadSeries } from '../../src/series/load';
import { trailerValue } from '../../src/series/types';
import { runGit } from '../../src/tools/git';
import { readTree } from '../../src/rebase/backup';
import { directoryReader } from '../../src/workspace/files';
import { ensureBuilt, runCli } from '../support/cli';
import { JWT_SERIES_PATCHES } from '../support/jwtSeriesFixture';
import { releaseDir } from '../support/release';
import { writeProject } from '../support/project';
import { SHARED_CACHE } from '../support/cache';

const FIXTURE_SERIES = path.join(__dirname, '..', 'fixtures', 'series-1.1.55');
const USER = {
  GIT_AUTHOR_NAME: 'Ada Maintainer',
  GIT_AUTHOR_EMAIL: 'ada@example.invalid',
  GIT_COMMITTER_NAME: 'Ada Maintainer',
  GIT_COMMITTER_EMAIL: 'ada@example.invalid',
};

let tmp: string;

function makeProject(name: string, seriesDir: string): string {
  return writeProject(path.join(tmp, name), seriesDir);
}

const git = (cwd: string, args: string[], input?: string) => runGit(args, { cwd, env: USER, input });

async function expectError(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isMeshforkError(error) ? error.code : error).toBe(code);
}

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'meshfork-edit-'));
  ensureBuilt();
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

test('round trip on the JWT series: edit then export leaves patches/ byte-identical', async () => {
  const project = makeProject('own', JWT_SERIES_PATCHES);
  const before = await readTree(path.join(project, 'patches'));
  expect([...before.keys()].filter((f) => f.endsWith('.patch')).length).toBeGreaterThan(0);
  const result = await edit({ cwd: project, cacheDir: SHARED_CACHE });
  expect(result.version).toBe('1.1.55');
  expect(result.patches.map((p) => p.name)).toEqual((await loadSeries(path.join(project, 'patches'))).entries.map((e) => e.name));

  // The workspace's files are its own copies, never hard links into the upstream cache.
  expect((await fs.stat(path.join(project, '.meshfork', 'work', 'webserver.js'))).nlink).toBe(1);

  const exported = await exportCommand({ cwd: project });
  expect(exported.written).toEqual([]);
  expect(exported.removed).toEqual([]);
  expect(exported.seriesChanged).toBe(false);
  const after = await readTree(path.join(project, 'patches'));
  expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
  for (const [name, bytes] of before) expect({ name, same: after.get(name)?.equals(bytes) }).toEqual({ name, same: true });

  // --at another release: the workspace is built there, and export refuses to write a series for
  // a release that is not the base (moving the series is `sync rebase`'s job).
  await expectError(edit({ cwd: project, cacheDir: SHARED_CACHE, at: '0.7.99' }), 'VERSION_OUT_OF_RANGE');
  const at = await edit({ cwd: project, cacheDir: SHARED_CACHE, at: '1.1.51' });
  expect({ version: at.version, replaced: at.replaced, patches: at.patches.length }).toEqual({
    version: '1.1.51',
    replaced: true,
    patches: result.patches.length,
  });
  const run = await runCli(['-C', project, 'export'], { env: { MESHFORK_CACHE: SHARED_CACHE } });
  expect(run.exitCode).toBe(2);
  expect(run.stderr).toBe(
    "error[STATE_INVALID]: the workspace is on upstream 1.1.51 but the config's base is 1.1.55\nhint: move the series with `meshfork sync rebase --to 1.1.51`, or recreate the workspace at the base with `meshfork edit --force`\n",
  );
});

describe('edits in the workspace', () => {
  let project: string;
  let work: string;
  beforeAll(async () => {
    project = makeProject('fixture', FIXTURE_SERIES);
    await edit({ cwd: project, cacheDir: SHARED_CACHE });
    work = path.join(project, '.meshfork', 'work');
  });

  test('the workspace: upstream commit, then one commit per patch with its author, subject, description and trailers', async () => {
    const log = (await git(work, ['log', '--format=%an <%ae>%x00%B%x01', 'upstream..HEAD'])).stdout.toString('utf8');
    const [last] = log.split('\x01');
    expect(last).toBe(
      'Fork Maintainers <maintainers@example.invalid>\0List JWT single sign-on in the package keywords\n\nMakes the fork findable; touches package.json only.\n\nUpstream-Status: Inappropriate [test fixture]\n',
    );
    expect((await git(work, ['log', '-1', '--format=%s', 'upstream'])).stdout.toString().trim()).toBe('upstream 1.1.55');
    // The user's own git sees the workspace clean (no CRLF conversion, no stray files).
    expect((await git(work, ['status', '--porcelain'])).stdout.toString()).toBe('');
  });

  test('uncommitted changes: export refuses (exit 2), and edit will not throw the work away without --force', async () => {
    const readme = path.join(work, 'readme.md');
    const original = readFileSync(readme);
    writeFileSync(readme, Buffer.concat([original, Buffer.from('draft\n')]));
    const run = await runCli(['-C', project, 'export'], { env: { MESHFORK_CACHE: SHARED_CACHE } });
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/^error\[STATE_INVALID\]: the workspace has uncommitted changes: readme\.md/);
    await expectError(edit({ cwd: project, cacheDir: SHARED_CACHE }), 'STATE_INVALID');
    // Nor will a rebase set it aside without --force.
    const rebase = await runCli(['-C', project, 'sync', 'rebase', '--to', '1.1.51'], { env: { MESHFORK_CACHE: SHARED_CACHE } });
    expect(rebase.exitCode).toBe(2);
    expect(rebase.stderr).toMatch(/^error\[STATE_INVALID\]: the workspace .* has 1 uncommitted file\(s\) not exported to patches\//);
    expect(existsSync(path.join(project, '.meshfork', 'rebase.json'))).toBe(false);
    writeFileSync(readme, original);
  });

  test('amend a patch with a new subject, add a commit: export writes, renames and appends; the set applies strictly', async () => {
    // Amend the last patch: one more keyword, and a new subject (so a new file name).
    const pkgPath = path.join(work, 'package.json');
    const pkg = readFileSync(pkgPath, 'latin1').replace(
      '    "JWT Single Sign-On",\r\n',
      '    "JWT Single Sign-On",\r\n    "JSON Web Token",\r\n',
    );
    writeFileSync(pkgPath, Buffer.from(pkg, 'latin1'));
    await git(
      work,
      ['commit', '-q', '-a', '--amend', '-F', '-'],
      'List JWT and JSON Web Token in the package keywords\n\nMakes the fork findable; touches package.json only.\n\nUpstream-Status: Inappropriate [test fixture]\n',
    );
    // A new commit: a new file and a change to an upstream file without a final newline edit.
    await fs.mkdir(path.join(work, 'docs'), { recursive: true });
    writeFileSync(path.join(work, 'docs', 'jwt.md'), '# JWT single sign-on\n\nSee jwt-auth.js.\n');
    const readme = path.join(work, 'readme.md');
    writeFileSync(readme, Buffer.concat([readFileSync(readme), Buffer.from('\r\nJWT single sign-on: see docs/jwt.md\r\n')]));
    await git(work, ['add', '-A']);
    await git(work, ['commit', '-q', '-F', '-'], 'Document JWT single sign-on\n\nUpstream-Status: Pending\n');

    const result = await exportCommand({ cwd: project });
    expect(result.written).toEqual(['list-jwt-and-json-web-token-in-the-package-keywords.patch', 'document-jwt-single-sign-on.patch']);
    expect(result.removed).toEqual(['list-jwt-single-sign-on-in-the-package-keywords.patch']);
    expect(result.unchanged).toEqual(['add-the-jwt-single-sign-on-module.patch', 'serve-jwt-logins-from-the-web-server.patch']);

    const patchesDir = path.join(project, 'patches');
    // The series keeps its comment line; README.md in patches/ is kept; the old file is gone.
    expect(readFileSync(path.join(patchesDir, 'series'), 'utf8')).toBe(
      [
        '# Fixture series made on meshcentral@1.1.55 (see README.md)',
        'add-the-jwt-single-sign-on-module.patch',
        'serve-jwt-logins-from-the-web-server.patch',
        'list-jwt-and-json-web-token-in-the-package-keywords.patch',
        'document-jwt-single-sign-on.patch',
        '',
      ].join('\n'),
    );
    expect(readFileSync(path.join(patchesDir, 'README.md'))).toEqual(readFileSync(path.join(FIXTURE_SERIES, 'README.md')));
    for (const name of result.unchanged)
      expect(readFileSync(path.join(patchesDir, name))).toEqual(readFileSync(path.join(FIXTURE_SERIES, name)));
    const added = readFileSync(path.join(patchesDir, 'document-jwt-single-sign-on.patch'), 'latin1');
    expect(
      added.startsWith(
        'From: Ada Maintainer <ada@example.invalid>\nSubject: Document JWT single sign-on\n\nUpstream-Status: Pending\nMeshfork-Base: 1.1.55\n---\n',
      ),
    ).toBe(true);
    expect(added).toContain('diff --git a/docs/jwt.md b/docs/jwt.md\nnew file mode 100644\n');
    const amended = readFileSync(path.join(patchesDir, 'list-jwt-and-json-web-token-in-the-package-keywords.patch'), 'latin1');
    expect(amended).toContain('+    "JWT Single Sign-On",\r\n+    "JSON Web Token",\r\n');

    // The new set is a valid series and applies strictly to 1.1.55 with the engine ...
    const series = await loadSeries(patchesDir);
    expect(series.patches.map((p) => trailerValue(p.header, 'Meshfork-Base'))).toEqual(['1.1.55', '1.1.55', '1.1.55', '1.1.55']);
    const tree = new MemoryTree(directoryReader(releaseDir('1.1.55')));
    const outcome = await applySeries(series.patches, tree);
    expect(outcome.patches.map((p) => p.status)).toEqual(['clean', 'clean', 'clean', 'clean']);
    // ... and with git apply, to the same bytes as the workspace holds.
    const check = path.join(tmp, 'git-apply');
    // Hard links to the kept release: git apply removes a file it changes and writes a new one, never through the link.
    execFileSync('cp', ['-al', releaseDir('1.1.55'), check]);
    for (const entry of series.entries) await runGit(['apply', '--whitespace=nowarn', path.join(patchesDir, entry.name)], { cwd: check });
    for (const [file] of tree.changes())
      expect({ file, same: readFileSync(path.join(check, file)).equals(readFileSync(path.join(work, file))) }).toEqual({
        file,
        same: true,
      });
    rmSync(check, { recursive: true, force: true });

    // Exporting again changes nothing.
    const again = await exportCommand({ cwd: project });
    expect(again.written).toEqual([]);
    expect(again.seriesChanged).toBe(false);
  });
});
