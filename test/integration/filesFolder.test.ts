/*
 * A series with a files folder (config "files"): new files kept as ordinary files, created before the
 * patches by apply, sync check, verify and edit, and written back to the folder by export. The
 * project is the small generated one (a real git upstream with v1.0.0 and v1.1.0); the test adds a
 * release v1.2.0 that ships a file of the same name as one in files/.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { apply } from '../../src/commands/apply';
import { edit } from '../../src/commands/edit';
import { exportCommand } from '../../src/commands/export';
import { seriesCommand } from '../../src/commands/series';
import { syncAbort } from '../../src/commands/syncAbort';
import { syncCheck } from '../../src/commands/syncCheck';
import { syncRebase } from '../../src/commands/syncRebase';
import { verify } from '../../src/commands/verify';
import { renderText } from '../../src/checkReport/text';
import { buildSmallProject, type SmallProject } from '../support/smallProject';

const GIT_ENV = {
  ...process.env,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_AUTHOR_NAME: 'Ada',
  GIT_AUTHOR_EMAIL: 'ada@example.invalid',
  GIT_COMMITTER_NAME: 'Ada',
  GIT_COMMITTER_EMAIL: 'ada@example.invalid',
};
const git = (cwd: string, args: string[]) =>
  execFileSync('git', args, { cwd, env: GIT_ENV, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** CRLF lines and no newline at the end: bytes a text-mode round trip would change. */
const CRLF_MODULE = "'use strict';\r\nmodule.exports = { crlf: true };\r\n// no final newline";
const TOOL = '#!/bin/sh\necho tool\n';

let tmp: string;
let small: SmallProject;
let count = 0;

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'meshfork-files-'));
  small = buildSmallProject(path.join(tmp, 'small'), 20);
  // v1.2.0 ships notes/shipped.txt, a name the fork's files/ also has in one test below
  writeFileSync(path.join(small.upstreamWork, 'package.json'), `${JSON.stringify({ name: 'meshcentral', version: '1.2.0' }, null, 2)}\n`);
  mkdirSync(path.join(small.upstreamWork, 'notes'));
  writeFileSync(path.join(small.upstreamWork, 'notes', 'shipped.txt'), 'upstream\n');
  git(small.upstreamWork, ['add', '--all']);
  git(small.upstreamWork, ['commit', '--quiet', '-m', 'release 1.2.0']);
  git(small.upstreamWork, ['tag', 'v1.2.0']);
  git(small.upstreamWork, ['push', '--quiet', 'origin', 'main', '--tags']);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A copy of the small project with a files folder named in the config. */
function projectWithFiles(extra: Record<string, string> = {}): string {
  const dir = path.join(tmp, `project-${++count}`);
  cpSync(small.dir, dir, { recursive: true });
  const configFile = path.join(dir, 'meshfork.config.json');
  writeFileSync(configFile, `${JSON.stringify({ ...JSON.parse(readFileSync(configFile, 'utf8')), files: 'files' }, null, 2)}\n`);
  const files: Record<string, string> = { 'lib/crlf-module.js': CRLF_MODULE, 'bin/tool.sh': TOOL, ...extra };
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, 'files', rel)), { recursive: true });
    writeFileSync(path.join(dir, 'files', rel), text, 'latin1');
  }
  chmodSync(path.join(dir, 'files', 'bin', 'tool.sh'), 0o755);
  return dir;
}

const cacheDir = () => path.join(tmp, 'cache');

test('apply creates every file of the folder byte for byte (CRLF, no final newline, mode) before the patches', async () => {
  const project = projectWithFiles();
  const out = path.join(tmp, 'apply-out');
  const result = await apply({ cwd: project, out, cacheDir: cacheDir() });
  expect(result.exitCode).toBe(0);
  expect(result.patches.map((p) => [p.name, p.status])).toEqual([
    ['files/', 'clean'],
    ['add-a-greeting.patch', 'clean'],
    ['change-file-three.patch', 'clean'],
    ['remove-a-line.patch', 'clean'],
  ]);
  expect(readFileSync(path.join(out, 'lib', 'crlf-module.js')).equals(Buffer.from(CRLF_MODULE, 'latin1'))).toBe(true);
  expect(readFileSync(path.join(out, 'bin', 'tool.sh'), 'latin1')).toBe(TOOL);
  expect(statSync(path.join(out, 'bin', 'tool.sh')).mode & 0o777).toBe(0o755);
  expect(statSync(path.join(out, 'lib', 'crlf-module.js')).mode & 0o777).toBe(0o644);
  expect(readFileSync(path.join(out, 'greeting.txt'), 'latin1')).toBe('hello\n'); // the patches still apply
  expect((await seriesCommand({ cwd: project })).newFiles).toEqual({ folder: 'files/', paths: ['bin/tool.sh', 'lib/crlf-module.js'] });
});

test('without "files" in the config a files/ folder is ignored: the series behaves as before', async () => {
  const project = projectWithFiles();
  const configFile = path.join(project, 'meshfork.config.json');
  const { files: _files, ...config } = JSON.parse(readFileSync(configFile, 'utf8'));
  writeFileSync(configFile, JSON.stringify(config));
  const out = path.join(tmp, 'apply-plain');
  const result = await apply({ cwd: project, out, cacheDir: cacheDir() });
  expect(result.patches.map((p) => p.name)).toEqual(['add-a-greeting.patch', 'change-file-three.patch', 'remove-a-line.patch']);
  expect(() => statSync(path.join(out, 'bin', 'tool.sh'))).toThrow(/ENOENT/);
});

test('sync check: a release that ships a file of the same name is a conflict of files/, reported like any other', async () => {
  const project = projectWithFiles({ 'notes/shipped.txt': 'fork\n' });
  const clean = await syncCheck({ cwd: project, to: '1.1.0', cacheDir: cacheDir() });
  expect(clean.releases[0].patches.map((p) => [p.name, p.status])).toEqual([
    ['files/', 'clean'],
    ['add-a-greeting.patch', 'offset'],
    ['change-file-three.patch', 'offset'],
    ['remove-a-line.patch', 'offset'],
  ]);
  const report = await syncCheck({ cwd: project, to: '1.2.0', cacheDir: cacheDir() });
  expect(report.exitCode).toBe(1);
  const files = report.releases[0].patches[0];
  expect(files).toMatchObject({ name: 'files/', status: 'conflict' });
  expect(files.files.map((f) => [f.path, f.status])).toEqual([
    ['bin/tool.sh', 'applied'],
    ['lib/crlf-module.js', 'applied'],
    ['notes/shipped.txt', 'conflict'],
  ]);
  expect(renderText(report).split('\n').slice(1, 3)).toEqual([
    '  conflict         files/',
    '      notes/shipped.txt already exists in 1.2.0',
  ]);
});

test('verify: applies the folder first, node --checks its .js files naming files/, and names files/<path> when the base already has the file', async () => {
  const project = projectWithFiles();
  // pin the base in the lock first (verify refuses an unpinned base)
  await apply({ cwd: project, out: path.join(tmp, 'verify-pin'), cacheDir: cacheDir() });
  // (the small project's patches are not verify-clean themselves: bare headers, generated .js that is no JavaScript)
  writeFileSync(path.join(project, 'files', 'lib', 'broken.js'), 'module.exports = {;\r\n');
  const ok = await verify({ cwd: project, cacheDir: cacheDir(), assetsDir: path.join(tmp, 'no-assets') });
  expect(ok.checks.find((c) => c.id === 'applies-strictly')?.status).toBe('pass');
  const parses = ok.checks.find((c) => c.id === 'patched-js-parses')?.problems ?? [];
  expect(parses.filter((p) => p.file?.startsWith('lib/'))).toEqual([
    expect.objectContaining({ patch: 'files/', file: 'lib/broken.js', line: 1 }),
  ]);

  const clash = projectWithFiles({ 'lib0/file-0.js': 'fork\n' });
  await apply({ cwd: clash, out: path.join(tmp, 'verify-pin-2'), cacheDir: cacheDir() }).catch(() => undefined);
  cpSync(path.join(project, 'meshfork.lock.json'), path.join(clash, 'meshfork.lock.json'));
  const report = await verify({ cwd: clash, cacheDir: cacheDir(), assetsDir: path.join(tmp, 'no-assets') });
  const applies = report.checks.find((c) => c.id === 'applies-strictly');
  expect(applies?.status).toBe('fail');
  expect(applies?.problems[0]).toMatchObject({
    patch: 'files/',
    file: 'files/lib0/file-0.js',
    message: 'lib0/file-0.js already exists in the base',
  });
});

test('edit then export: an unchanged round trip changes no byte; a commit that changes or adds a new file writes it back to files/, not into a patch', async () => {
  const project = projectWithFiles();
  // the small project's patches are `git diff` output: one export first writes them the way export does
  await edit({ cwd: project, cacheDir: cacheDir() });
  await exportCommand({ cwd: project });
  const patchesBefore = readFileSync(path.join(project, 'patches', 'add-a-greeting.patch'));
  const result = await edit({ cwd: project, cacheDir: cacheDir() });
  expect(result.patches.map((p) => p.name)).toEqual(['add-a-greeting.patch', 'change-file-three.patch', 'remove-a-line.patch']);
  const work = result.workDir;
  expect(git(work, ['log', '--format=%s', '--reverse', 'upstream..HEAD']).trim().split('\n')).toEqual([
    'Add the files of files/',
    'Add a greeting',
    'Change file three',
    'Remove a line',
  ]);
  expect(readFileSync(path.join(work, 'lib', 'crlf-module.js')).equals(Buffer.from(CRLF_MODULE, 'latin1'))).toBe(true);

  const same = await exportCommand({ cwd: project });
  expect(same).toMatchObject({
    written: [],
    removed: [],
    seriesChanged: false,
    files: { written: [], removed: [], unchanged: ['bin/tool.sh', 'lib/crlf-module.js'] },
  });

  // change the CRLF module (still no final newline), add a new file in an upstream-changing commit
  const changed = CRLF_MODULE.replace('crlf: true', 'crlf: true, changed: true');
  writeFileSync(path.join(work, 'lib', 'crlf-module.js'), changed, 'latin1');
  git(work, ['commit', '--quiet', '-a', '-m', 'Change the module']);
  writeFileSync(path.join(work, 'docs.md'), 'new file\r\n');
  writeFileSync(
    path.join(work, 'lib3', 'file-3.js'),
    readFileSync(path.join(work, 'lib3', 'file-3.js'), 'latin1').replace('line 2 of file 3;', 'line 2 of file 3; // docs'),
  );
  git(work, ['add', '--all']);
  git(work, ['commit', '--quiet', '-m', 'Document the fork', '-m', 'Upstream-Status: Pending']);

  const exported = await exportCommand({ cwd: project });
  expect(exported.files).toEqual({ written: ['docs.md', 'lib/crlf-module.js'], removed: [], unchanged: ['bin/tool.sh'] });
  expect(exported.written).toEqual(['document-the-fork.patch']);
  expect(readFileSync(path.join(project, 'files', 'lib', 'crlf-module.js')).equals(Buffer.from(changed, 'latin1'))).toBe(true);
  expect(readFileSync(path.join(project, 'files', 'docs.md'), 'latin1')).toBe('new file\r\n');
  const docsPatch = readFileSync(path.join(project, 'patches', 'document-the-fork.patch'), 'latin1');
  expect(docsPatch).toContain('diff --git a/lib3/file-3.js b/lib3/file-3.js');
  expect(docsPatch).not.toContain('docs.md');
  expect(readFileSync(path.join(project, 'patches', 'series'), 'utf8')).toBe(
    'add-a-greeting.patch\nchange-file-three.patch\nremove-a-line.patch\ndocument-the-fork.patch\n',
  );
  expect(readFileSync(path.join(project, 'patches', 'add-a-greeting.patch')).equals(patchesBefore)).toBe(true);

  // the exported project applies to the same tree the workspace holds
  const out = path.join(tmp, 'after-export');
  expect((await apply({ cwd: project, out, cacheDir: cacheDir() })).exitCode).toBe(0);
  for (const rel of ['lib/crlf-module.js', 'docs.md', 'lib3/file-3.js', 'bin/tool.sh'])
    expect({ rel, same: readFileSync(path.join(out, rel)).equals(readFileSync(path.join(work, rel))) }).toEqual({ rel, same: true });
});

test('sync rebase moves the folder with the series: files/ keeps its bytes, the summary lists patches only; a release that ships one of its files stops at files/', async () => {
  const project = projectWithFiles();
  const filesBefore = readFileSync(path.join(project, 'files', 'lib', 'crlf-module.js'));
  const done = await syncRebase({ cwd: project, to: '1.1.0', cacheDir: cacheDir() });
  if (done.status !== 'done') throw new Error(`rebase stopped at ${done.patch.name}`);
  expect(done.summary.patches.map((p) => [p.name, p.result])).toEqual([
    ['add-a-greeting.patch', 'moved'],
    ['change-file-three.patch', 'moved'],
    ['remove-a-line.patch', 'moved'],
  ]);
  expect(readFileSync(path.join(project, 'files', 'lib', 'crlf-module.js')).equals(filesBefore)).toBe(true);
  expect(statSync(path.join(project, 'files', 'bin', 'tool.sh')).mode & 0o777).toBe(0o755);
  expect(JSON.parse(readFileSync(path.join(project, 'meshfork.config.json'), 'utf8'))).toMatchObject({ base: '1.1.0', files: 'files' });
  expect((await apply({ cwd: project, out: path.join(tmp, 'rebased-out'), cacheDir: cacheDir() })).exitCode).toBe(0);

  const clash = projectWithFiles({ 'notes/shipped.txt': 'fork\n' });
  const stopped = await syncRebase({ cwd: clash, to: '1.2.0', cacheDir: cacheDir() });
  expect(stopped).toMatchObject({ status: 'stopped', position: 1, total: 4, patch: { name: 'files/' } });
  if (stopped.status !== 'stopped') return;
  expect(stopped.conflicts.map((c) => c.path)).toEqual(['notes/shipped.txt']);
  await syncAbort({ cwd: clash });
  expect(readFileSync(path.join(clash, 'files', 'notes', 'shipped.txt'), 'latin1')).toBe('fork\n');
  expect(JSON.parse(readFileSync(path.join(clash, 'meshfork.config.json'), 'utf8')).base).toBe('1.0.0');
});
