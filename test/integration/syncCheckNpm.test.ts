/*
 * `sync check` against the real npm registry's meshcentral releases (0.7.99, 1.1.51, 1.1.55), with
 * the JWT series (frozen in test/fixtures/jwt-series-1.1.55: patches/ and files/, made on 1.1.55) and with the fixture series. The
 * upstream cache is shared under .cache/ so the tarballs are fetched once per machine.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import semver from 'semver';
import { syncCheck } from '../../src/commands/syncCheck';
import type { SyncCheckReport } from '../../src/checkReport/schema';
import { ensureBuilt, runCli } from '../support/cli';
import { JWT_SERIES_FILES, JWT_SERIES_PATCHES } from '../support/jwtSeriesFixture';
import { syncCheckValidator } from '../unit/reportSupport';
import { writeProject } from '../support/project';
import { SHARED_CACHE } from '../support/cache';

const FIXTURE_SERIES = path.join(__dirname, '..', 'fixtures', 'series-1.1.55');

let tmp: string;

function makeProject(name: string, seriesDir: string): string {
  // the JWT series adds its module as files/jwt-auth.js (config "files")
  return writeProject(path.join(tmp, name), seriesDir, undefined, seriesDir === JWT_SERIES_PATCHES ? JWT_SERIES_FILES : undefined);
}

let own: string;
let fixture: string;

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'meshfork-check-npm-'));
  own = makeProject('own', JWT_SERIES_PATCHES);
  fixture = makeProject('fixture', FIXTURE_SERIES);
  ensureBuilt();
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const cli = (project: string, args: string[]) =>
  runCli(['-C', project, 'sync', 'check', ...args], { env: { MESHFORK_CACHE: SHARED_CACHE } });

function offsets(report: SyncCheckReport): Record<string, (number | null)[]> {
  const out: Record<string, (number | null)[]> = {};
  for (const patch of report.releases[0].patches) for (const file of patch.files) out[file.path] = file.hunks.map((h) => h.offset);
  return out;
}

test('the JWT series fixture holds its four patches (otherwise these tests would prove nothing about it)', () => {
  expect(readdirSync(JWT_SERIES_PATCHES).filter((f) => f.endsWith('.patch')).length).toBe(4);
});

test('--to 1.1.55 (the base): clean, exit 0, on the CLI', async () => {
  const run = await cli(own, ['--to', '1.1.55']);
  expect(run.stderr).toBe('');
  expect(run.exitCode).toBe(0);
  const lines = run.stdout.trimEnd().split('\n');
  expect(lines[0]).toBe('meshfork sync check: 1.1.55 -> 1.1.55 (npm meshcentral)');
  expect(lines.slice(1, -1).every((l) => l.startsWith('  clean            '))).toBe(true);
  expect(lines.at(-1)).toMatch(/^clean: 1\.1\.55: every patch applies exactly \(\d+ patches\)$/);
});

test('--to 1.1.51: offsets, exit 0; --json validates against the schema', async () => {
  const run = await cli(own, ['--to', '1.1.51', '--json']);
  expect(run.exitCode).toBe(0);
  const report = JSON.parse(run.stdout) as SyncCheckReport;
  expect(syncCheckValidator()(report)).toEqual([]);
  expect(report).toMatchObject({
    schemaVersion: 1,
    mode: 'to',
    status: 'offset',
    exitCode: 0,
    next: null,
    upstream: { kind: 'npm', source: 'meshcentral' },
  });
  expect(report.releases[0].patches.every((p) => p.status === 'clean' || p.status === 'offset')).toBe(true);
  expect(report.releases[0].counts.offset).toBeGreaterThan(0);
  expect(report.releases[0].identity).toMatch(/^sha512-/);
  expect(report.releases[0].securityCommits).toBeNull();
});

test('the fixture series against 1.1.51: the offsets GNU patch finds, in-process', async () => {
  const report = await syncCheck({ cwd: fixture, to: '1.1.51', cacheDir: SHARED_CACHE });
  expect(offsets(report)).toEqual({ 'jwt-auth.js': [0], 'meshcentral.js': [-20], 'webserver.js': [-21, -37], 'package.json': [0] });
  expect(report.releases[0].patches.map((p) => p.status)).toEqual(['offset', 'offset', 'clean']);
});

test('--to 0.7.99 is outside supports: exit 2 naming the range, nothing on stdout', async () => {
  const run = await cli(own, ['--to', '0.7.99']);
  expect(run.exitCode).toBe(2);
  expect(run.stdout).toBe('');
  expect(run.stderr).toContain('error[VERSION_OUT_OF_RANGE]');
  expect(run.stderr).toContain('>=1.1.0 <2');
  expect(run.stderr).toContain('--ignore-range');
});

test('--to 0.7.99 --ignore-range: a conflict report, exit 1, in markdown', async () => {
  const run = await cli(fixture, ['--to', '0.7.99', '--ignore-range', '--format', 'markdown']);
  expect(run.exitCode).toBe(1);
  expect(run.stdout.split('\n')[0]).toBe('**meshfork sync check** (base 1.1.55, npm meshcentral): 0.7.99 **conflict**.');
  expect(run.stdout).toContain(
    '> 0.7.99 is outside supports (`>=1.1.0 <2`); checked with `--ignore-range`; widen `supports` before rebasing onto it.',
  );
  expect(run.stdout).toContain('| `serve-jwt-logins-from-the-web-server.patch` | conflict | `webserver.js` | webserver.js hunk 2 |');
  expect(run.stdout).toMatch(
    /#### `add-the-jwt-single-sign-on-module\.patch`: meshcentral\.js hunk 1 \(patch line \d+\)\n\nconflict: base lines 1925-1930/,
  );

  const json = await cli(own, ['--to', '0.7.99', '--ignore-range', '--json']);
  expect(json.exitCode).toBe(1);
  const report = JSON.parse(json.stdout) as SyncCheckReport;
  expect(syncCheckValidator()(report)).toEqual([]);
  expect(report.releases[0]).toMatchObject({ version: '0.7.99', inSupports: false, status: 'conflict' });
});

test('the default target is the newest release in supports; when that is the base, the base itself is checked', async () => {
  const report = await syncCheck({ cwd: own, cacheDir: SHARED_CACHE });
  expect(report.mode).toBe('newest');
  expect(report.newest).not.toBeNull();
  if (report.newest === '1.1.55') {
    expect(report).toMatchObject({ upToDate: true, baseChecked: true, status: 'clean', exitCode: 0, next: null });
    expect(report.releases.map((r) => [r.version, r.status])).toEqual([['1.1.55', 'clean']]);
    const run = await cli(own, []);
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toBe('5 patches apply cleanly to the base 1.1.55; no newer release in >=1.1.0 <2.\n');
  } else {
    // A registry with releases newer than 1.1.55 (not the one this project's CI uses).
    expect(semver.gt(report.newest ?? '0.0.0', '1.1.55')).toBe(true);
    expect(report.releases.map((r) => r.version)).toEqual([report.newest]);
  }
});

test('usage errors exit 2: --to with --all, an unknown version, a bad --fuzz', async () => {
  const both = await cli(own, ['--to', '1.1.55', '--all']);
  expect(both.exitCode).toBe(2);
  const unknown = await cli(own, ['--to', '1.9.99']);
  expect(unknown.exitCode).toBe(2);
  expect(unknown.stderr).toContain('error[VERSION_UNKNOWN]');
  const fuzz = await cli(own, ['--fuzz', 'lots']);
  expect(fuzz.exitCode).toBe(2);
  expect(fuzz.stderr).toContain('--fuzz');
});

test('errors with --json: {"error"} on stdout, the code and exit 2; a broken patch is named by file and line', async () => {
  const range = await cli(own, ['--to', '0.7.99', '--json']);
  expect(range.exitCode).toBe(2);
  expect(JSON.parse(range.stdout)).toMatchObject({ error: { code: 'VERSION_OUT_OF_RANGE', version: '0.7.99', supports: '>=1.1.0 <2' } });

  const broken = makeProject('broken', FIXTURE_SERIES);
  const patchFile = path.join(broken, 'patches', 'serve-jwt-logins-from-the-web-server.patch');
  writeFileSync(patchFile, readFileSync(patchFile, 'latin1').replace('@@ -6943,6 +6944,7 @@', '@@ -6943,6 +6944,9 @@'), 'latin1');
  const run = await cli(broken, ['--to', '1.1.55']);
  expect(run.exitCode).toBe(2);
  expect(run.stdout).toBe('');
  expect(run.stderr).toMatch(/error\[PATCH_INVALID\]: .*serve-jwt-logins-from-the-web-server\.patch:\d+: /);
});

test('--help documents the flags, examples and exit codes', async () => {
  const run = await cli(own, ['--help']);
  expect(run.exitCode).toBe(0);
  for (const text of ['--to <version>', '--all', '--format <format>', '--ignore-range', '--fuzz <n>', 'Examples:', 'Exit codes:']) {
    expect(run.stdout).toContain(text);
  }
});
