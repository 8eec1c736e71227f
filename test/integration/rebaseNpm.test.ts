/*
 * `meshfork sync rebase --to 1.1.55` of a series made on 1.1.51 (test/fixtures/rebase-series-1.1.51),
 * against the real npm releases, through the built binary, in a temporary project repository with a
 * local bare repository as its `origin` (real git; GitHub itself is not reachable here).
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadSeries } from '../../src/series/load';
import { trailerValue } from '../../src/series/types';
import { gitText, runGit } from '../../src/tools/git';
import type { SyncCheckReport } from '../../src/checkReport/schema';
import { ensureBuilt, MESHFORK_BIN, runCli } from '../support/cli';
import { SHARED_CACHE } from '../support/cache';

const FIXTURE = path.join(__dirname, '..', 'fixtures', 'rebase-series-1.1.51');
/** The same series as an uninterrupted rebase to 1.1.55 writes it. */
const EXPECTED = path.join(__dirname, '..', 'fixtures', 'rebase-series-1.1.51-on-1.1.55');

/** Every patch file and the series file of `dir` equal the expected fixture's, byte for byte. */
function expectExpectedSeries(dir: string): void {
  const names = readFileSync(path.join(EXPECTED, 'series'), 'utf8')
    .split('\n')
    .filter((l) => l.endsWith('.patch'));
  expect(names.length).toBe(5);
  for (const name of ['series', ...names]) {
    expect({ name, same: readFileSync(path.join(dir, 'patches', name)).equals(readFileSync(path.join(EXPECTED, name))) }).toEqual({
      name,
      same: true,
    });
  }
}
const USER = {
  GIT_AUTHOR_NAME: 'CI',
  GIT_AUTHOR_EMAIL: 'ci@example.invalid',
  GIT_COMMITTER_NAME: 'CI',
  GIT_COMMITTER_EMAIL: 'ci@example.invalid',
};
// Hand-formatted on purpose: the rebase must change the "base" value and nothing else.
const CONFIG = `{
  "upstream": {"source": "npm", "package": "meshcentral"},
  "base":   "1.1.51",
  "supports": ">=1.1.0 <2"
}
`;

let tmp: string;
let project: string;
let origin: string;
const cli = (args: string[], dir = project) => runCli(['-C', dir, ...args], { env: { MESHFORK_CACHE: SHARED_CACHE, ...USER } });

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'meshfork-rebase-npm-'));
  project = path.join(tmp, 'project');
  origin = path.join(tmp, 'origin.git');
  cpSync(FIXTURE, path.join(project, 'patches'), { recursive: true });
  writeFileSync(path.join(project, 'meshfork.config.json'), CONFIG);
  await runGit(['init', '-q', '--bare', '-b', 'main', origin], { cwd: tmp });
  await runGit(['init', '-q', '-b', 'main'], { cwd: project });
  await runGit(['remote', 'add', 'origin', origin], { cwd: project });
  await runGit(['add', '-A'], { cwd: project });
  await runGit(['commit', '-q', '-m', 'fork on 1.1.51'], { cwd: project, env: USER });
  ensureBuilt();
}, 900_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

test('a release outside "supports" cannot become the base: exit 2 before anything changes', async () => {
  const run = await cli(['sync', 'rebase', '--to', '0.7.99']);
  expect(run.exitCode).toBe(2);
  expect(run.stderr).toMatch(
    /^error\[VERSION_OUT_OF_RANGE\]: 0\.7\.99 is outside the supported range ">=1\.1\.0 <2" .*so it cannot become the base\nhint: widen "supports"/,
  );
  expect(existsSync(path.join(project, '.meshfork'))).toBe(false);
  expect(await gitText(['status', '--porcelain'], { cwd: project })).toBe('');
});

test('rebase --to 1.1.55 --commit --branch x --summary s.md: moved patches, config, lock, trailers, one commit, push', async () => {
  const run = await cli(['sync', 'rebase', '--to', '1.1.55', '--commit', '--branch', 'x', '--summary', 's.md', '--non-interactive']);
  expect(run.stderr).toBe('');
  expect(run.exitCode).toBe(0);
  expect(run.stdout.split('\n').slice(0, 6)).toEqual([
    'Rebased the series from 1.1.51 to 1.1.55:',
    '  unchanged  add-the-jwt-single-sign-on-module.patch',
    '  unchanged  pin-jsonwebtoken-and-pg-for-jwt-single-sign-on.patch',
    '  moved      start-jwt-single-sign-on-before-the-web-server-is-created.patch  (meshcentral.js 1901→1921, meshcentral.js 4407→4428)',
    '  moved      accept-jwt-logins-over-http-token-url-and-bearer-header.patch  (webserver.js 2901→2922, webserver.js 6817→6854)',
    '  moved      accept-jwt-logins-on-websocket-connections.patch  (webserver.js 8437→8527)',
  ]);

  // The config: only the base value changed, formatting kept.
  expect(readFileSync(path.join(project, 'meshfork.config.json'), 'utf8')).toBe(CONFIG.replace('"1.1.51"', '"1.1.55"'));
  // The lock pins both releases with their npm integrity.
  const lock = JSON.parse(readFileSync(path.join(project, 'meshfork.lock.json'), 'utf8')) as {
    upstreams: Record<string, Record<string, { identity: string }>>;
  };
  expect(Object.keys(lock.upstreams['npm:meshcentral']).sort()).toEqual(['1.1.51', '1.1.55']);
  expect(lock.upstreams['npm:meshcentral']['1.1.55'].identity).toMatch(/^sha512-/);
  // Every trailer says 1.1.55; the patch files differ from the fixture only in trailers and hunk line numbers.
  const series = await loadSeries(path.join(project, 'patches'));
  expect(series.patches.map((p) => trailerValue(p.header, 'Meshfork-Base'))).toEqual(Array(5).fill('1.1.55'));
  for (const entry of series.entries) {
    const before = readFileSync(path.join(FIXTURE, entry.name), 'latin1').split('\n');
    const after = readFileSync(path.join(project, 'patches', entry.name), 'latin1').split('\n');
    expect(after.length).toBe(before.length);
    const differing = after.filter((line, i) => line !== before[i]);
    expect(differing.every((l) => l === 'Meshfork-Base: 1.1.55' || l.startsWith('@@ '))).toBe(true);
  }
  expectExpectedSeries(project);

  // The summary's table says what happened.
  const summary = readFileSync(path.join(project, 's.md'), 'utf8');
  const rows = summary
    .split('\n')
    .filter((l) => /^\| \d+ \|/.test(l))
    .map((l) =>
      l
        .split('|')
        .map((c) => c.trim())
        .slice(2, 4),
    );
  expect(rows).toEqual([
    ['`add-the-jwt-single-sign-on-module.patch`', 'unchanged'],
    ['`pin-jsonwebtoken-and-pg-for-jwt-single-sign-on.patch`', 'unchanged'],
    ['`start-jwt-single-sign-on-before-the-web-server-is-created.patch`', 'moved'],
    ['`accept-jwt-logins-over-http-token-url-and-bearer-header.patch`', 'moved'],
    ['`accept-jwt-logins-on-websocket-connections.patch`', 'moved'],
  ]);
  expect(summary).toContain('webserver.js 8437→8527 (+90)');

  // Branch x: exactly one commit on top of main, holding patches/, config and lock, checked out.
  expect(await gitText(['rev-parse', '--abbrev-ref', 'HEAD'], { cwd: project })).toBe('x');
  expect(await gitText(['rev-list', '--count', 'main..x'], { cwd: project })).toBe('1');
  const files = (await gitText(['diff-tree', '--no-commit-id', '--name-only', '-r', 'x'], { cwd: project })).split('\n');
  expect(files).toEqual([
    'meshfork.config.json',
    'meshfork.lock.json',
    'patches/accept-jwt-logins-on-websocket-connections.patch',
    'patches/accept-jwt-logins-over-http-token-url-and-bearer-header.patch',
    'patches/add-the-jwt-single-sign-on-module.patch',
    'patches/pin-jsonwebtoken-and-pg-for-jwt-single-sign-on.patch',
    'patches/start-jwt-single-sign-on-before-the-web-server-is-created.patch',
  ]);
  expect(await gitText(['log', '-1', '--format=%s%n%an', 'x'], { cwd: project })).toBe(
    'meshfork: move the patch series to upstream 1.1.55\nCI',
  );
  // Nothing of the project's own files is left uncommitted (s.md is new and not ours to commit).
  expect(await gitText(['status', '--porcelain'], { cwd: project })).toBe('?? s.md');
  expect(existsSync(path.join(project, '.meshfork', 'rebase.json'))).toBe(false);

  // `sync check --to 1.1.55` is now clean with zero offsets.
  const check = await cli(['--json', 'sync', 'check', '--to', '1.1.55']);
  expect(check.exitCode).toBe(0);
  const report = JSON.parse(check.stdout) as SyncCheckReport;
  expect(report.status).toBe('clean');
  const offsets = report.releases[0].patches.flatMap((p) => p.files.flatMap((f) => f.hunks.map((h) => h.offset)));
  expect(offsets.length).toBeGreaterThan(0);
  expect(offsets.every((o) => o === 0)).toBe(true);

  // `sync push` publishes the branch to origin.
  const push = await cli(['sync', 'push']);
  expect(push.exitCode).toBe(0);
  expect(push.stdout).toMatch(/^Pushed x \([0-9a-f]{12}\) to origin\.\n$/);
  expect(await gitText(['rev-parse', 'refs/heads/x'], { cwd: origin })).toBe(await gitText(['rev-parse', 'x'], { cwd: project }));

  // A second --commit to the same branch is refused before any work (exit 2), nothing changes.
  const again = await cli(['sync', 'rebase', '--to', '1.1.55', '--commit', '--branch', 'x']);
  expect(again.exitCode).toBe(2);
  expect(again.stderr).toMatch(/^error\[OUTPUT_EXISTS\]: branch x already exists/);
  expect(existsSync(path.join(project, '.meshfork', 'rebase.json'))).toBe(false);
}, 300_000);

test('a rebase killed after its workspace is ready, with a half-written file, resumes with `sync continue` to the same result', async () => {
  const other = path.join(tmp, 'killed');
  cpSync(FIXTURE, path.join(other, 'patches'), { recursive: true });
  writeFileSync(path.join(other, 'meshfork.config.json'), CONFIG);
  const stateFile = path.join(other, '.meshfork', 'rebase.json');
  const child = spawn(process.execPath, [MESHFORK_BIN, '-C', other, 'sync', 'rebase', '--to', '1.1.55'], {
    stdio: 'ignore',
    env: { ...process.env, MESHFORK_CACHE: SHARED_CACHE },
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  // Kill it as soon as the state says the workspace is ready (it may have done some patches by then).
  for (;;) {
    const text = existsSync(stateFile) ? readFileSync(stateFile, 'utf8') : '';
    if (text.includes('"head"')) break;
    if (child.exitCode !== null) throw new Error('the rebase finished before it could be killed');
    await new Promise((r) => setTimeout(r, 5));
  }
  child.kill('SIGKILL');
  expect(await exited).toBeNull();
  // What a kill in the middle of writing a patch's files leaves behind.
  const webserver = path.join(other, '.meshfork', 'work', 'webserver.js');
  writeFileSync(webserver, Buffer.concat([readFileSync(webserver), Buffer.from('half-written\r\n')]));
  writeFileSync(path.join(other, '.meshfork', 'work', 'stray.tmp'), 'x');
  // ... and what a kill during its `git commit` leaves (the kill may or may not have landed there).
  writeFileSync(path.join(other, '.meshfork', 'work', '.git', 'index.lock'), '');

  const status = await cli(['--json', 'sync', 'status'], other);
  expect(JSON.parse(status.stdout)).toMatchObject({ base: '1.1.51', rebase: { from: '1.1.51', to: '1.1.55', total: 5 } });
  const resumed = await cli(['sync', 'continue'], other);
  expect(resumed.stderr).toBe('');
  expect(resumed.exitCode).toBe(0);
  // Byte for byte what an uninterrupted rebase writes.
  expectExpectedSeries(other);
  expect(readFileSync(path.join(other, 'meshfork.config.json'), 'utf8')).toBe(CONFIG.replace('"1.1.51"', '"1.1.55"'));
}, 300_000);
