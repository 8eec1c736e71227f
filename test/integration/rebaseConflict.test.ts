/*
 * A rebase that conflicts, on a real git upstream built by the test (test/support/gitUpstream.ts:
 * the real 1.1.51 and 1.1.55 tarballs as commits, plus v1.1.56 made here: upstream renames the
 * logout handler on the line right above the one the fixture series inserts).
 *   - abort: patches/, config, lock, the project repository and the earlier workspace come back byte for byte
 *   - stop, `continue` refused while markers remain, resolve, `continue`: the exported patch applies strictly to 1.1.56
 *   - an empty resolution is refused; `continue --skip` drops the patch
 *   - v1.1.58 changes the first context line of a meshcentral.js hunk: merged 3-way without a stop,
 *     reported `refreshed` with the context change in the summary's content view
 *   - v1.1.57 deletes readme.md: a patch changing readme.md and package.json stops with the
 *     package.json part already in, readme.md reported missing; continue keeps what is there
 */
import { existsSync, mkdtempSync, promises as fs, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { edit } from '../../src/commands/edit';
import { applySeries, MemoryTree } from '../../src/engine';
import { loadSeries } from '../../src/series/load';
import { trailerValue } from '../../src/series/types';
import { gitText, runGit } from '../../src/tools/git';
import { readTree } from '../../src/rebase/backup';
import { directoryReader } from '../../src/workspace/files';
import { formatPatch } from '../../src/engine/formatPatch';
import { ensureBuilt, runCli } from '../support/cli';
import { buildGitUpstream, commitFiles, push, tag, type GitUpstream } from '../support/gitUpstream';
import { releaseFile } from '../support/release';
import { writeProject } from '../support/project';

const FIXTURE = path.join(__dirname, '..', 'fixtures', 'series-1.1.55');
const LOGOUT = "                obj.app.get(url + 'logout', handleLogoutRequest);";
const RENAMED = LOGOUT.replace('handleLogoutRequest', 'handleLogoutRequestEx');
const JWT_ROUTE =
  "                obj.app.get(url + 'jwt-login', function (req, res) { if (parent.jwtauth != null) { parent.jwtauth.handleLoginRequest(req, res, getDomain(req)); } else { res.sendStatus(404); } });";
const JWT_ROOT =
  '        if ((parent.jwtauth != null) && parent.jwtauth.handleRootRequest(req, res, domain)) { return; } // JWT single sign-on';
const USER = {
  GIT_AUTHOR_NAME: 'Ada',
  GIT_AUTHOR_EMAIL: 'ada@example.invalid',
  GIT_COMMITTER_NAME: 'Ada',
  GIT_COMMITTER_EMAIL: 'ada@example.invalid',
};

let tmp: string;
let project: string;
let cacheDir: string;
let upstream: GitUpstream;
const cli = (args: string[], dir = project) => runCli(['-C', dir, ...args], { env: { MESHFORK_CACHE: cacheDir } });
const work = (dir = project) => path.join(dir, '.meshfork', 'work');

/** 1.1.56's webserver.js: 1.1.55 with the logout handler renamed. */
function webserver156(): string {
  const lines = releaseFile('1.1.55', 'webserver.js').split('\r\n');
  const i = lines.indexOf(LOGOUT);
  if (i === -1) throw new Error('logout route not found in 1.1.55');
  lines[i] = RENAMED;
  return lines.join('\r\n');
}

const WEBSERVER_CREATE =
  "                    obj.webserver = require('./webserver.js').CreateWebServer(obj, obj.db, obj.args, obj.certificates, obj.StartEx5);";
const WEBSERVER_CREATE_158 = WEBSERVER_CREATE.replace('obj.StartEx5)', 'obj.StartEx5, obj.webrelay)');

/** 1.1.58's meshcentral.js: 1.1.55 with the line above the series' hook changed. */
function meshcentral158(): string {
  const text = releaseFile('1.1.55', 'meshcentral.js');
  if (!text.includes(WEBSERVER_CREATE)) throw new Error('CreateWebServer line not found in 1.1.55');
  return text.replace(WEBSERVER_CREATE, WEBSERVER_CREATE_158);
}

/** What a person resolving the conflict writes: 1.1.56 plus both of the patch's lines. */
function resolvedWebserver(): string {
  const lines = webserver156().split('\r\n');
  lines.splice(lines.indexOf(RENAMED) + 1, 0, JWT_ROUTE);
  const anchor = lines.findIndex(
    (l, k) => lines[k - 2] === '    function handleRootRequest(req, res, direct) {' && l === '        if (domain == null) { return; }',
  );
  if (anchor === -1) throw new Error('handleRootRequest not found');
  lines.splice(anchor + 1, 0, JWT_ROOT);
  return lines.join('\r\n');
}

function makeProject(name: string): string {
  return writeProject(path.join(tmp, name), FIXTURE, { source: 'git', url: upstream.url, tagPattern: 'v*' });
}

/** Every project file a rebase may touch, plus the project repository's state. */
async function projectSnapshot(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [name, data] of await readTree(path.join(project, 'patches'))) out[`patches/${name}`] = data.toString('base64');
  for (const file of ['meshfork.config.json', 'meshfork.lock.json']) out[file] = readFileSync(path.join(project, file)).toString('base64');
  out.gitHead = await gitText(['rev-parse', 'HEAD'], { cwd: project });
  out.gitBranch = await gitText(['rev-parse', '--abbrev-ref', 'HEAD'], { cwd: project });
  out.gitStatus = await gitText(['status', '--porcelain'], { cwd: project });
  out.workspaceHead = await gitText(['rev-parse', 'HEAD'], { cwd: work() });
  return out;
}

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'meshfork-rebase-git-'));
  cacheDir = path.join(tmp, 'cache');
  upstream = await buildGitUpstream(tmp, ['1.1.51', '1.1.55']);
  await commitFiles(upstream.workDir, { 'webserver.js': webserver156() }, 'Rename the logout handler');
  await tag(upstream.workDir, 'v1.1.56');
  await runGit(['checkout', '-q', '-b', 'no-readme', 'v1.1.55'], { cwd: upstream.workDir });
  await commitFiles(upstream.workDir, { 'readme.md': null }, 'Remove the readme');
  await tag(upstream.workDir, 'v1.1.57');
  await runGit(['checkout', '-q', '-b', 'relay', 'v1.1.55'], { cwd: upstream.workDir });
  await commitFiles(upstream.workDir, { 'meshcentral.js': meshcentral158() }, 'Pass the relay to the web server');
  await tag(upstream.workDir, 'v1.1.58');
  await push(upstream.workDir);

  project = makeProject('project');
  // A workspace from `edit` exists before the rebases (abort must bring it back), and the lock pins 1.1.55.
  await edit({ cwd: project, cacheDir });
  await runGit(['init', '-q', '-b', 'main'], { cwd: project });
  await runGit(['add', '-A'], { cwd: project });
  await runGit(['commit', '-q', '-m', 'fork on 1.1.55'], { cwd: project, env: USER });
  ensureBuilt();
}, 600_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

test('conflict, then abort: everything comes back byte for byte', async () => {
  const before = await projectSnapshot();
  const run = await cli(['sync', 'merge', '--to', '1.1.56']);
  expect(run.exitCode).toBe(1);
  expect(existsSync(path.join(project, '.meshfork', 'rebase.json'))).toBe(true);
  // Meanwhile the lock already pins 1.1.56: abort must undo that too.
  expect(readFileSync(path.join(project, 'meshfork.lock.json'), 'utf8')).toContain('"1.1.56"');

  const abort = await cli(['sync', 'abort']);
  expect(abort.stderr).toBe('');
  expect(abort.exitCode).toBe(0);
  expect(abort.stdout).toBe('Aborted the rebase from 1.1.55 to 1.1.56; restored patches, meshfork.config.json, meshfork.lock.json.\n');
  expect(await projectSnapshot()).toEqual(before);
  expect(existsSync(path.join(project, '.meshfork', 'rebase.json'))).toBe(false);
  expect(existsSync(path.join(project, '.meshfork', 'backup'))).toBe(false);

  const again = await cli(['sync', 'abort']);
  expect(again.exitCode).toBe(2);
  expect(again.stderr).toMatch(/^error\[STATE_INVALID\]: no rebase is in progress/);
}, 300_000);

test('conflict, resolve, continue: the exported patch applies strictly to the new release', async () => {
  const run = await cli(['sync', 'rebase', '--to', '1.1.56', '--summary', 's.md', '--non-interactive']);
  expect(run.exitCode).toBe(1);
  const lines = run.stdout.split('\n');
  expect(lines[0]).toBe(
    'Conflict in patch 2/3 serve-jwt-logins-from-the-web-server.patch ("Serve JWT logins from the web server") on 1.1.56:',
  );
  expect(lines[1]).toMatch(/^ {2}webserver\.js {2}lines \d+-\d+$/);
  expect(run.stdout).toContain('meshfork sync continue');
  const conflicted = readFileSync(path.join(work(), 'webserver.js'), 'latin1');
  expect(conflicted).toContain('<<<<<<< upstream');
  expect(conflicted).toContain(RENAMED);
  expect(conflicted).toContain('>>>>>>> patch');
  // The other hunk of the same file merged without conflict.
  expect(conflicted).toContain(JWT_ROOT);

  const status = await cli(['--json', 'sync', 'status']);
  expect(JSON.parse(status.stdout)).toMatchObject({
    rebase: {
      from: '1.1.55',
      to: '1.1.56',
      done: 1,
      total: 3,
      stopped: { patch: 'serve-jwt-logins-from-the-web-server.patch', conflicts: ['webserver.js'] },
    },
  });

  const early = await cli(['sync', 'continue']);
  expect(early.exitCode).toBe(1);
  expect(early.stderr).toMatch(/^error\[CONFLICT\]: conflict markers remain in webserver\.js:\d+/);

  writeFileSync(path.join(work(), 'webserver.js'), Buffer.from(resolvedWebserver(), 'latin1'));
  const done = await cli(['sync', 'continue']);
  expect(done.stderr).toBe('');
  expect(done.exitCode).toBe(0);
  const doneLines = done.stdout.split('\n');
  expect(doneLines.slice(0, 3)).toEqual([
    'Rebased the series from 1.1.55 to 1.1.56:',
    '  unchanged  add-the-jwt-single-sign-on-module.patch',
    '  resolved   serve-jwt-logins-from-the-web-server.patch',
  ]);
  // The upstream commit behind the resolution (a git upstream), then the next patch.
  expect(doneLines[3]).toMatch(/^ {13}upstream: [0-9a-f]{10} Rename the logout handler$/);
  expect(doneLines[4]).toBe('  unchanged  list-jwt-single-sign-on-in-the-package-keywords.patch');
  const config = JSON.parse(readFileSync(path.join(project, 'meshfork.config.json'), 'utf8')) as { base: string };
  expect(config.base).toBe('1.1.56');
  const summary = readFileSync(path.join(project, 's.md'), 'utf8');
  expect(summary).toContain('| 2 | `serve-jwt-logins-from-the-web-server.patch` | resolved |');
  // The range-diff view shows the real content change (the renamed handler in the context).
  expect(summary).toContain(`- ${LOGOUT}`);
  expect(summary).toContain(`+ ${RENAMED}`);

  // The refreshed series applies strictly to 1.1.56: with the engine ...
  const patchesDir = path.join(project, 'patches');
  const series = await loadSeries(patchesDir);
  expect(series.patches.map((p) => trailerValue(p.header, 'Meshfork-Base'))).toEqual(['1.1.56', '1.1.56', '1.1.56']);
  await runGit(['checkout', '-q', 'v1.1.56'], { cwd: upstream.workDir });
  const outcome = await applySeries(series.patches, new MemoryTree(directoryReader(upstream.workDir)));
  expect(outcome.patches.map((p) => p.status)).toEqual(['clean', 'clean', 'clean']);
  // ... and with git apply, giving the resolution the user wrote.
  for (const entry of series.entries) await runGit(['apply', path.join(patchesDir, entry.name)], { cwd: upstream.workDir });
  expect(readFileSync(path.join(upstream.workDir, 'webserver.js')).equals(Buffer.from(resolvedWebserver(), 'latin1'))).toBe(true);
  expect(existsSync(path.join(project, '.meshfork', 'rebase.json'))).toBe(false);
}, 300_000);

test('an empty resolution is refused; continue --skip drops the patch from the series', async () => {
  const other = makeProject('skip');
  expect((await cli(['sync', 'rebase', '--to', '1.1.56'], other)).exitCode).toBe(1);
  // "Resolve" by taking upstream's file as is: the patch would vanish without a word.
  writeFileSync(path.join(work(other), 'webserver.js'), Buffer.from(webserver156(), 'latin1'));
  const empty = await cli(['sync', 'continue'], other);
  expect(empty.exitCode).toBe(1);
  expect(empty.stderr).toMatch(
    /^error\[CONFLICT\]: the resolution of serve-jwt-logins-from-the-web-server\.patch leaves no change to commit\nhint: .*--skip/,
  );

  const skipped = await cli(['sync', 'continue', '--skip'], other);
  expect(skipped.exitCode).toBe(0);
  expect(skipped.stdout).toContain('  dropped    serve-jwt-logins-from-the-web-server.patch');
  expect(
    readFileSync(path.join(other, 'patches', 'series'), 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#')),
  ).toEqual(['add-the-jwt-single-sign-on-module.patch', 'list-jwt-single-sign-on-in-the-package-keywords.patch']);
  expect(existsSync(path.join(other, 'patches', 'serve-jwt-logins-from-the-web-server.patch'))).toBe(false);
  expect(await gitText(['status', '--porcelain'], { cwd: work(other) })).toBe('');
}, 300_000);

test('a file the patch changes is gone upstream: the rest of the patch is put in, the file is reported missing', async () => {
  const other = makeProject('missing');
  const readme = releaseFile('1.1.55', 'readme.md');
  const pkg = releaseFile('1.1.55', 'package.json');
  const newPkg = pkg.replace('"Two-Factor Authentication",', '"Two-Factor Authentication",\r\n    "JWT",');
  const text = formatPatch(
    {
      from: 'Ada <ada@example.invalid>',
      subject: 'Mention JWT in readme and keywords',
      description: '',
      trailers: [{ key: 'Meshfork-Base', value: '1.1.55' }],
    },
    [
      { oldPath: 'readme.md', newPath: 'readme.md', oldContent: readme, newContent: `${readme}\nJWT single sign-on.\n` },
      { oldPath: 'package.json', newPath: 'package.json', oldContent: pkg, newContent: newPkg },
    ],
  );
  rmSync(path.join(other, 'patches'), { recursive: true });
  await fs.mkdir(path.join(other, 'patches'));
  writeFileSync(path.join(other, 'patches', 'series'), 'mention-jwt-in-readme-and-keywords.patch\n');
  writeFileSync(path.join(other, 'patches', 'mention-jwt-in-readme-and-keywords.patch'), Buffer.from(text, 'latin1'));

  const run = await cli(['sync', 'rebase', '--to', '1.1.57'], other);
  expect(run.exitCode).toBe(1);
  expect(run.stdout.split('\n')[1]).toBe('  readme.md  (the patch changes it, but 1.1.57 has no such file)');
  expect(readFileSync(path.join(work(other), 'package.json'), 'latin1')).toBe(newPkg);
  expect(existsSync(path.join(work(other), 'readme.md'))).toBe(false);

  // Accept the release without the readme: the patch keeps its package.json part.
  const done = await cli(['sync', 'continue'], other);
  expect(done.exitCode).toBe(0);
  expect(done.stdout).toContain('  resolved   mention-jwt-in-readme-and-keywords.patch');
  const series = await loadSeries(path.join(other, 'patches'));
  expect(series.patches[0].operations.map((op) => (op.kind === 'rename' ? op.to : op.path))).toEqual(['package.json']);
}, 300_000);

test('a hunk whose context changed upstream merges 3-way without stopping and is reported refreshed', async () => {
  const other = makeProject('refresh');
  const run = await cli(['sync', 'rebase', '--to', '1.1.58', '--summary', 's.md'], other);
  expect(run.stderr).toBe('');
  expect(run.exitCode).toBe(0);
  expect(run.stdout.split('\n').slice(1, 5)).toEqual([
    '  refreshed  add-the-jwt-single-sign-on-module.patch',
    // The upstream commit behind the refresh (git upstream).
    expect.stringMatching(/^ {13}upstream: [0-9a-f]{10} Pass the relay to the web server$/),
    '  unchanged  serve-jwt-logins-from-the-web-server.patch',
    '  unchanged  list-jwt-single-sign-on-in-the-package-keywords.patch',
  ]);
  const summary = readFileSync(path.join(other, 's.md'), 'utf8');
  expect(summary).toContain('| 1 | `add-the-jwt-single-sign-on-module.patch` | refreshed | - |');
  // The content view shows the context line upstream changed, and nothing else of the patch.
  const view = summary.slice(summary.indexOf('```diff'), summary.lastIndexOf('```'));
  expect(view.split('\n').filter((l) => /^[-+]/.test(l))).toEqual([`- ${WEBSERVER_CREATE}\u240d`, `+ ${WEBSERVER_CREATE_158}\u240d`]);
  const patch = readFileSync(path.join(other, 'patches', 'add-the-jwt-single-sign-on-module.patch'), 'latin1');
  expect(patch).toContain(` ${WEBSERVER_CREATE_158}\r\n`);
  await runGit(['checkout', '-q', '-f', 'v1.1.58'], { cwd: upstream.workDir });
  await runGit(['clean', '-q', '-f', '-d'], { cwd: upstream.workDir });
  const series = await loadSeries(path.join(other, 'patches'));
  const outcome = await applySeries(series.patches, new MemoryTree(directoryReader(upstream.workDir)));
  expect(outcome.patches.map((p) => p.status)).toEqual(['clean', 'clean', 'clean']);
}, 300_000);
