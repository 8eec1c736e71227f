/*
 * `meshfork verify` on the frozen JWT series (test/fixtures/jwt-series-1.1.55) and on purpose-made broken
 * copies of it (config, lock, patches/ and files/ copied to a temp folder, one defect each): the check that fails, the exit code README
 * documents, and the place (patch, file, line) the message names. The real 1.1.55 release from npm
 * is read through the shared test cache.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { verify } from '../../src/commands/verify';
import { checkImageAssets } from '../../src/verify/checkImageAssets';
import type { CheckId, VerifyReport } from '../../src/verify/types';
import { ensureBuilt, runCli } from '../support/cli';
import { copyJwtSeriesProject, JWT_SERIES_FIXTURE, JWT_SERIES_PATCHES } from '../support/jwtSeriesFixture';
import { REPO_ROOT } from '../support/release';
import { SHARED_CACHE } from '../support/cache';

const ASSETS = path.join(__dirname, '..', 'fixtures', 'image-assets');
const PIN = 'pin-jsonwebtoken-and-pg-for-jwt-single-sign-on.patch';
const MODULE = 'files/jwt-auth.js';

let tmp: string;
let count = 0;

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'meshfork-verify-'));
  ensureBuilt();
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A copy of the fixture project, with `edit` applied to one file's text (a patch name, or a path such as files/x). */
function brokenCopy(edits: Record<string, (text: string) => string> = {}): string {
  const dir = path.join(tmp, `copy-${++count}`);
  copyJwtSeriesProject(dir, ['meshfork.config.json', 'meshfork.lock.json', 'patches', 'files']);
  for (const [file, edit] of Object.entries(edits)) {
    const target = file.includes('/') ? path.join(dir, file) : path.join(dir, 'patches', file);
    const before = readFileSync(target, 'latin1');
    const after = edit(before);
    if (after === before) throw new Error(`the edit of ${file} changed nothing: the fault did not land`);
    writeFileSync(target, after, 'latin1');
  }
  return dir;
}

/** 1-based line of the first line of patches/NAME (in the fixture) that `match` accepts. */
function lineOf(name: string, match: (line: string) => boolean): number {
  const at = readFileSync(path.join(JWT_SERIES_PATCHES, name), 'latin1').split('\n').findIndex(match);
  if (at === -1) throw new Error(`no such line in ${name}`);
  return at + 1;
}
const PIN_HUNK = () => lineOf(PIN, (l) => l.startsWith('@@ -46,6 +46,8 @@'));
const PIN_PG = () => lineOf(PIN, (l) => l.startsWith('+    "pg": '));

const run = (cwd: string, assets = path.join(tmp, 'no-assets')) => verify({ cwd, cacheDir: SHARED_CACHE, assetsDir: assets });

function statuses(report: VerifyReport): Record<string, string> {
  return Object.fromEntries(report.checks.map((c) => [c.id, c.status]));
}

function failed(report: VerifyReport): CheckId[] {
  return report.checks.filter((c) => c.status === 'fail').map((c) => c.id);
}

function problems(report: VerifyReport, id: CheckId) {
  return report.checks.find((c) => c.id === id)?.problems ?? [];
}

test('the JWT series passes every check; image assets and smoke are reported skipped with the reason', async () => {
  const report = await run(brokenCopy());
  expect(report.exitCode).toBe(0);
  expect(statuses(report)).toEqual({
    config: 'pass',
    series: 'pass',
    'patch-headers': 'pass',
    'patch-policy': 'pass',
    'applies-strictly': 'pass',
    'up-to-date': 'pass',
    'patched-js-parses': 'pass',
    'patched-package-json': 'pass',
    'image-assets': 'skip',
    smoke: 'skip',
  });
  expect(report.checks.find((c) => c.id === 'image-assets')?.reason).toMatch(/^no image assets/);
});

test('unlisted patch: the series check fails (exit 2) naming the file; later checks are skipped', async () => {
  const dir = brokenCopy();
  writeFileSync(path.join(dir, 'patches', 'stray.patch'), readFileSync(path.join(dir, 'patches', PIN)));
  const report = await run(dir);
  expect(report.exitCode).toBe(2);
  expect(failed(report)).toEqual(['series']);
  expect(problems(report, 'series')[0]).toMatchObject({ file: 'patches/stray.patch', patch: 'stray.patch' });
  expect(problems(report, 'series')[0].message).toMatch(/not listed in .*patches\/series/);
  expect(statuses(report)['applies-strictly']).toBe('skip');
});

test('a patch whose context names another value (GNU patch would place it with fuzz 1): applies-strictly fails with exit 1, a conflict as sync check says', async () => {
  // the first context line of the hunk no longer matches 1.1.55
  const dir = brokenCopy({ [PIN]: (t) => t.replace(' "express": "4.21.2",', ' "express": "4.21.1",') });
  const report = await run(dir);
  expect(report.exitCode).toBe(1);
  expect(failed(report)).toEqual(['applies-strictly']);
  const [problem] = problems(report, 'applies-strictly');
  expect(problem).toMatchObject({ patch: PIN, file: `patches/${PIN}`, line: PIN_HUNK() });
  expect(problem.message).toMatch(/^package\.json hunk 1 does not apply at base line 46; base line 46 is "\\"express\\": \\"4\.21\.2\\","/);
  expect(problem.hint).toContain('meshfork sync rebase --to 1.1.55');
  expect(statuses(report)['up-to-date']).toBe('skip');
});

test('stale patch (made at other lines): up-to-date fails with exit 3, naming the line and the refresh command', async () => {
  const dir = brokenCopy({ [PIN]: (t) => t.replace('@@ -46,6 +46,8 @@', '@@ -44,6 +44,8 @@') });
  const report = await run(dir);
  expect(report.exitCode).toBe(3);
  expect(failed(report)).toEqual(['up-to-date']);
  expect(problems(report, 'up-to-date')).toEqual([
    {
      patch: PIN,
      file: `patches/${PIN}`,
      line: PIN_HUNK(),
      message: `not what export writes: line ${PIN_HUNK()} is "@@ -44,6 +44,8 @@", export writes "@@ -46,6 +46,8 @@"`,
      hint: expect.stringContaining('meshfork edit && meshfork export'),
    },
  ]);
});

test('stale Meshfork-Base: up-to-date fails on the trailer line', async () => {
  const dir = brokenCopy({ [PIN]: (t) => t.replace('Meshfork-Base: 1.1.55', 'Meshfork-Base: 1.1.51') });
  const report = await run(dir);
  expect(report.exitCode).toBe(3);
  expect(problems(report, 'up-to-date')[0]).toMatchObject({
    patch: PIN,
    line: lineOf(PIN, (l) => l.startsWith('Meshfork-Base:')),
    message: expect.stringContaining('"Meshfork-Base: 1.1.51", export writes "Meshfork-Base: 1.1.55"'),
  });
});

test('syntax error in a patched .js file: patched-js-parses fails with exit 1, naming the patch, file and line', async () => {
  const dir = brokenCopy({ [MODULE]: (t) => t.replace('"use strict";\r\n', '"use strict";}\r\n') });
  const report = await run(dir);
  expect(report.exitCode).toBe(1);
  expect(failed(report)).toEqual(['patched-js-parses']);
  const [problem] = problems(report, 'patched-js-parses');
  const moduleLine = readFileSync(path.join(JWT_SERIES_FIXTURE, MODULE), 'latin1').split('\n').indexOf('"use strict";\r') + 1;
  expect(moduleLine).toBeGreaterThan(0);
  expect(problem).toMatchObject({ patch: 'files/', file: 'jwt-auth.js', line: moduleLine });
  expect(problem.message).toMatch(/^SyntaxError: Unexpected token '}'/);
});

test('missing Upstream-Status: patch-headers fails with exit 2 at the end of the header', async () => {
  const dir = brokenCopy({ [PIN]: (t) => t.replace(/^Upstream-Status: .*\n/m, '') });
  const report = await run(dir);
  expect(report.exitCode).toBe(2);
  expect(failed(report)).toEqual(['patch-headers']);
  expect(problems(report, 'patch-headers')).toEqual([
    expect.objectContaining({
      patch: PIN,
      file: `patches/${PIN}`,
      line: lineOf(PIN, (l) => l === '---') - 1,
      message: expect.stringMatching(/^no Upstream-Status trailer/),
    }),
  ]);
});

test('trailing whitespace added: patch-policy fails with exit 1, naming the patch line and the target line', async () => {
  const dir = brokenCopy({ [PIN]: (t) => t.replace('+    "pg": "8.16.3",\r\n', '+    "pg": "8.16.3",  \r\n') });
  const report = await run(dir);
  expect(report.exitCode).toBe(1);
  expect(failed(report)).toEqual(['patch-policy']);
  expect(problems(report, 'patch-policy')).toEqual([
    expect.objectContaining({
      patch: PIN,
      file: `patches/${PIN}`,
      line: PIN_PG(),
      message: 'adds trailing whitespace to package.json line 50: "    \\"pg\\": \\"8.16.3\\",  "',
    }),
  ]);
});

describe('image assets', () => {
  test('a template that renders NaN, and one that renders cut-off JSON text: exit 1 naming the template and the field', async () => {
    const nan = await run(brokenCopy(), path.join(ASSETS, 'invalid-json'));
    expect(nan.exitCode).toBe(1);
    expect(failed(nan)).toEqual(['image-assets']);
    // outside the project folder, so named by its absolute path
    expect(problems(nan, 'image-assets')[0].file).toBe(path.join(ASSETS, 'invalid-json', 'render-config.js'));
    expect(problems(nan, 'image-assets')[0].message).toBe(
      'render-config.js with sample.env: renders a value that is not JSON at settings.port: NaN is not a JSON number',
    );
    const text = await checkImageAssets(path.join(ASSETS, 'not-json-string'), REPO_ROOT);
    expect(text?.[0].message).toMatch(/^render-config\.js with sample\.env: renders a string that is not JSON: /);
  });

  test("the fixture project's image assets (its image.assets, as the image build copies them) render from their sample.env", async () => {
    expect(await checkImageAssets(path.join(JWT_SERIES_FIXTURE, 'image', 'assets'), REPO_ROOT)).toEqual([]);
  });

  test('no assets at all: undefined (verify reports the check skipped)', async () => {
    expect(await checkImageAssets(path.join(tmp, 'nothing-here'), REPO_ROOT)).toBeUndefined();
  });

  test('a template that renders from its sample environment passes; one whose sample lacks a variable fails with the variable named', async () => {
    expect(await checkImageAssets(path.join(ASSETS, 'good'), REPO_ROOT)).toEqual([]);
    const partial = path.join(tmp, 'partial-assets');
    cpSync(path.join(ASSETS, 'good'), partial, { recursive: true });
    writeFileSync(path.join(partial, 'sample.env'), 'MESHCENTRAL_HOST=mesh.example.com\n');
    const report = await checkImageAssets(partial, REPO_ROOT);
    expect(report?.[0].message).toBe('render-config.js with sample.env: throws: MESHCENTRAL_PORT is not set');
  });
});

describe('the CLI', () => {
  test('text names the place and the hint; --json lists every check with its result; exit codes as documented', async () => {
    const dir = brokenCopy({ [PIN]: (t) => t.replace('+    "pg": "8.16.3",\r\n', '+    "pg": "8.16.3",\t\r\n') });
    const env = { MESHFORK_CACHE: SHARED_CACHE };
    const text = await runCli(['-C', dir, 'verify'], { env });
    expect(text.exitCode).toBe(1);
    expect(text.stdout).toContain(`FAIL  patch-policy`);
    expect(text.stdout).toContain(`      patches/${PIN}:${PIN_PG()}: adds trailing whitespace to package.json line 50`);
    expect(text.stdout).toMatch(/verify: 1 check\(s\) failed \(exit 1\)\n$/);
    const json = await runCli(['-C', dir, '--json', 'verify'], { env });
    expect(json.exitCode).toBe(1);
    const report = JSON.parse(json.stdout) as VerifyReport;
    expect(report.checks.map((c) => c.id)).toEqual([
      'config',
      'series',
      'patch-headers',
      'patch-policy',
      'applies-strictly',
      'up-to-date',
      'patched-js-parses',
      'patched-package-json',
      'image-assets',
      'smoke',
    ]);
    expect(report).toMatchObject({ schemaVersion: 1, base: '1.1.55', ok: false, exitCode: 1 });
  });

  test('a config that is not JSON: exit 2, the config check names line:column, everything else skipped', async () => {
    const dir = brokenCopy();
    writeFileSync(path.join(dir, 'meshfork.config.json'), '{\n  "base": 1.1.55\n}\n');
    const result = await runCli(['-C', dir, '--json', 'verify'], { env: { MESHFORK_CACHE: SHARED_CACHE } });
    expect(result.exitCode).toBe(2);
    const report = JSON.parse(result.stdout) as VerifyReport;
    expect(report.checks[0]).toMatchObject({
      id: 'config',
      status: 'fail',
      kind: 'input',
      problems: [{ file: 'meshfork.config.json', line: 2 }],
    });
    expect(report.checks.slice(1, 8).every((c) => c.status === 'skip' && c.reason === 'the config did not load')).toBe(true);
  });
});
