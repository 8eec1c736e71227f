/*
 * The upstream-sync workflow's steps (.github/scripts/upstream-sync.sh, which upstream-sync.yml runs)
 * executed here, against a real git upstream built by the test (test/support/gitUpstream.ts: the real
 * 1.1.51 and 1.1.55 releases as commits, plus tags made here) and a local bare repository as the
 * project's remote. GitHub itself is mocked: `gh` is a stand-in script that records its arguments and
 * answers `gh issue list` with the issue number the test sets.
 *   - v1.1.56 (a security fix in readme.md): the branch is pushed, the summary written, and the pull
 *     request opened with it, labelled "security"
 *   - v1.1.57 (renames the line the series inserts next to): no branch, a conflict report, one issue
 *     opened; run again with that issue open, the issue is updated instead
 *   - SYNC_TO=v1.1.56: the same branch, pull request and label as SYNC_TO=1.1.56, found again next time;
 *     with SYNC_TOKEN_SOURCE=GITHUB_TOKEN the run warns that CI will not start on the pull request
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { gitText, runGit } from '../../src/tools/git';
import { ensureBuilt, MESHFORK_BIN } from '../support/cli';
import { buildGitUpstream, commitFiles, push, tag, type GitUpstream } from '../support/gitUpstream';
import { writeProject } from '../support/project';
import { REPO_ROOT, releaseFile } from '../support/release';

const SCRIPT = path.join(REPO_ROOT, '.github', 'scripts', 'upstream-sync.sh');
const FIXTURE = path.join(__dirname, '..', 'fixtures', 'series-1.1.55');
const LOGOUT = "                obj.app.get(url + 'logout', handleLogoutRequest);";
const BOT = {
  GIT_AUTHOR_NAME: 'sync-bot',
  GIT_AUTHOR_EMAIL: 'bot@example.invalid',
  GIT_COMMITTER_NAME: 'sync-bot',
  GIT_COMMITTER_EMAIL: 'bot@example.invalid',
};

let tmp: string;
let upstream: GitUpstream;
let fakeGh: string;

/** The stand-in for the GitHub CLI: one line per call (arguments separated by a tab) in $GH_LOG. */
function writeFakeGh(dir: string): string {
  const file = path.join(dir, 'gh');
  writeFileSync(
    file,
    [
      '#!/usr/bin/env bash',
      '# GitHub is mocked in this test: record the call, answer "issue list" from FAKE_GH_OPEN_ISSUE.',
      '(IFS=$\'\\t\'; echo "$*") >> "$GH_LOG"',
      'if [ "$1 $2" = "issue list" ]; then printf "%s" "${FAKE_GH_OPEN_ISSUE:-}"; fi',
      '',
    ].join('\n'),
  );
  chmodSync(file, 0o755);
  return file;
}

/** A project repository on main (base 1.1.55, the fixture series, the git upstream), pushed to its own bare remote. */
async function makeProject(name: string): Promise<{ dir: string; remote: string }> {
  const dir = writeProject(path.join(tmp, name), FIXTURE, { source: 'git', url: upstream.url, tagPattern: 'v*' });
  const remote = path.join(tmp, `${name}-remote.git`);
  await runGit(['init', '-q', '--bare', '-b', 'main', remote], { cwd: tmp });
  await runGit(['init', '-q', '-b', 'main'], { cwd: dir });
  await runGit(['add', '-A'], { cwd: dir });
  await runGit(['commit', '-q', '-m', 'fork on 1.1.55'], { cwd: dir, env: BOT });
  await runGit(['remote', 'add', 'origin', remote], { cwd: dir });
  await runGit(['push', '-q', 'origin', 'main'], { cwd: dir });
  return { dir, remote };
}

interface ScriptRun {
  exitCode: number;
  output: string;
  gh: string[][];
}

function runScript(cwd: string, openIssue = '', extraEnv: NodeJS.ProcessEnv = {}): Promise<ScriptRun> {
  const ghLog = path.join(cwd, '..', `${path.basename(cwd)}-gh-${Date.now()}.log`);
  writeFileSync(ghLog, '');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    MESHFORK: `${process.execPath} ${MESHFORK_BIN}`,
    MESHFORK_CACHE: path.join(tmp, 'cache'),
    GH: fakeGh,
    GH_LOG: ghLog,
    FAKE_GH_OPEN_ISSUE: openIssue,
    ...BOT,
    ...extraEnv,
  };
  return new Promise((resolve) => {
    execFile('bash', [SCRIPT], { cwd, env, maxBuffer: 64 * 1024 * 1024, timeout: 540_000 }, (error, stdout, stderr) => {
      const code = error ? (error as { code?: unknown }).code : 0;
      const gh = readFileSync(ghLog, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('\t'));
      resolve({ exitCode: typeof code === 'number' ? code : -1, output: stdout + stderr, gh });
    });
  });
}

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'meshfork-sync-workflow-'));
  mkdirSync(path.join(tmp, 'bin'));
  fakeGh = writeFakeGh(path.join(tmp, 'bin'));
  upstream = await buildGitUpstream(tmp, ['1.1.51', '1.1.55']);
  const readme = releaseFile('1.1.55', 'readme.md');
  await commitFiles(
    upstream.workDir,
    { 'readme.md': `${readme}\nSecurity: report issues privately.\n` },
    'Fix a security issue in the relay (CVE-2026-0001)',
  );
  await tag(upstream.workDir, 'v1.1.56');
  await push(upstream.workDir);
  ensureBuilt();
}, 600_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

test('a newer release that rebases cleanly: branch pushed, summary written, pull request opened with the security label', async () => {
  const { dir, remote } = await makeProject('clean');
  const run = await runScript(dir);
  expect(run.output).toContain('Rebased the series from 1.1.55 to 1.1.56');
  expect(run.exitCode).toBe(0);

  // the pushed branch holds the moved series: base 1.1.56 in the config, the lock pins it
  const branch = 'meshfork/upstream-1.1.56';
  const pushed = await gitText(['ls-remote', '--heads', remote], { cwd: tmp });
  expect(
    pushed
      .split('\n')
      .map((l) => l.split('\t')[1])
      .sort(),
  ).toEqual(['refs/heads/main', `refs/heads/${branch}`]);
  const config = JSON.parse(await gitText(['--git-dir', remote, 'show', `${branch}:meshfork.config.json`], { cwd: tmp })) as {
    base: string;
  };
  expect(config.base).toBe('1.1.56');
  expect(await gitText(['--git-dir', remote, 'show', `${branch}:meshfork.lock.json`], { cwd: tmp })).toContain('"1.1.56"');

  const summary = readFileSync(path.join(dir, 'sync-summary.md'), 'utf8');
  expect(summary).toContain('| 1 | `add-the-jwt-single-sign-on-module.patch` | unchanged | - |');
  expect(readFileSync(path.join(dir, 'sync-check.md'), 'utf8')).toContain('1.1.56');
  expect(run.gh).toEqual([
    [
      'label',
      'create',
      'security',
      '--color',
      'B60205',
      '--description',
      'upstream commits that mention security, CVE or vulnerability',
      '--force',
    ],
    ['pr', 'create', '--head', branch, '--title', 'Upstream MeshCentral 1.1.56', '--body-file', './sync-summary.md', '--label', 'security'],
  ]);

  // next week, same release: the branch is on the remote already, nothing is opened twice
  rmSync(path.join(dir, '.meshfork'), { recursive: true, force: true });
  await runGit(['checkout', '-q', 'main'], { cwd: dir });
  await runGit(['checkout', '-q', '--', '.'], { cwd: dir });
  const again = await runScript(dir);
  expect(again.exitCode).toBe(0);
  expect(again.output).toContain(`Branch ${branch} is already on origin`);
  expect(again.gh.filter((c) => c[0] === 'pr')).toEqual([]);
}, 600_000);

test('a newer release that conflicts: no branch, a conflict report, one issue opened, then updated', async () => {
  const webserver = releaseFile('1.1.55', 'webserver.js');
  if (!webserver.includes(LOGOUT)) throw new Error('logout route not found in 1.1.55');
  await commitFiles(
    upstream.workDir,
    { 'webserver.js': webserver.replace(LOGOUT, LOGOUT.replace('handleLogoutRequest', 'handleLogoutRequestEx')) },
    'Rename the logout handler',
  );
  await tag(upstream.workDir, 'v1.1.57');
  await push(upstream.workDir);

  const { dir, remote } = await makeProject('conflict');
  const run = await runScript(dir);
  expect(run.exitCode).toBe(0);
  expect(run.output).toContain('::warning::MeshCentral 1.1.57 conflicts with the series');
  expect((await gitText(['ls-remote', '--heads', remote], { cwd: tmp })).split('\n').map((l) => l.split('\t')[1])).toEqual([
    'refs/heads/main',
  ]);
  expect(existsSync(path.join(dir, 'sync-summary.md'))).toBe(false);

  const report = readFileSync(path.join(dir, 'sync-conflict.md'), 'utf8');
  expect(report.split('\n')[0]).toBe('# MeshCentral 1.1.57: the series does not rebase cleanly');
  expect(report).toContain(
    'Conflict in patch 2/3 serve-jwt-logins-from-the-web-server.patch ("Serve JWT logins from the web server") on 1.1.57:',
  );
  expect(report).toMatch(/ {2}webserver\.js {2}lines \d+-\d+/);
  expect(report).toContain('Rename the logout handler'); // the culprit, from the sync check report
  const title = 'Upstream MeshCentral 1.1.57 conflicts with the series';
  expect(run.gh).toEqual([
    [
      'label',
      'create',
      'security',
      '--color',
      'B60205',
      '--description',
      'upstream commits that mention security, CVE or vulnerability',
      '--force',
    ],
    [
      'label',
      'create',
      'upstream-conflict',
      '--color',
      'D93F0B',
      '--description',
      'the patch series conflicts with a newer upstream release',
      '--force',
    ],
    ['issue', 'list', '--state', 'open', '--label', 'upstream-conflict', '--json', 'number', '--jq', '.[0].number'],
    ['issue', 'create', '--title', title, '--body-file', './sync-conflict.md', '--label', 'upstream-conflict', '--label', 'security'],
  ]);

  // the next run (a fresh CI checkout: no stopped rebase) finds that issue open and updates it
  const abort = await execMeshfork(dir, ['sync', 'abort']);
  expect(abort).toBe(0);
  const again = await runScript(dir, '42');
  expect(again.exitCode).toBe(0);
  expect(again.gh.slice(-1)).toEqual([
    ['issue', 'edit', '42', '--title', title, '--body-file', './sync-conflict.md', '--add-label', 'security'],
  ]);
  expect(again.gh.filter((c) => c[0] === 'issue' && c[1] === 'create')).toEqual([]);
}, 600_000);

test('SYNC_TO=v1.1.56: branch meshfork/upstream-1.1.56, the security label, the existing branch found next time; GITHUB_TOKEN warns', async () => {
  const { dir, remote } = await makeProject('v-form');
  const run = await runScript(dir, '', { SYNC_TO: 'v1.1.56', SYNC_TOKEN_SOURCE: 'GITHUB_TOKEN' });
  expect(run.exitCode).toBe(0);
  const branch = 'meshfork/upstream-1.1.56';
  expect(
    (await gitText(['ls-remote', '--heads', remote], { cwd: tmp }))
      .split('\n')
      .map((l) => l.split('\t')[1])
      .sort(),
  ).toEqual(['refs/heads/main', `refs/heads/${branch}`]);
  expect(run.gh).toEqual([
    [
      'label',
      'create',
      'security',
      '--color',
      'B60205',
      '--description',
      'upstream commits that mention security, CVE or vulnerability',
      '--force',
    ],
    ['pr', 'create', '--head', branch, '--title', 'Upstream MeshCentral 1.1.56', '--body-file', './sync-summary.md', '--label', 'security'],
  ]);
  expect(run.output).toContain(
    '::warning::The pull request was opened with GITHUB_TOKEN: GitHub starts no workflow for it, so ci.yml does not run on it.',
  );

  rmSync(path.join(dir, '.meshfork'), { recursive: true, force: true });
  await runGit(['checkout', '-q', 'main'], { cwd: dir });
  await runGit(['checkout', '-q', '--', '.'], { cwd: dir });
  for (const spelled of ['1.1.56', 'v1.1.56', '=1.1.56']) {
    const again = await runScript(dir, '', { SYNC_TO: spelled, SYNC_TOKEN_SOURCE: 'MESHFORK_SYNC_TOKEN' });
    expect(again.exitCode).toBe(0);
    expect(again.output).toContain(`Branch ${branch} is already on origin`);
    expect(again.output).not.toContain('::warning::The pull request');
    expect(again.gh.filter((c) => c[0] === 'pr')).toEqual([]);
  }
}, 600_000);

function execMeshfork(cwd: string, args: string[]): Promise<number> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [MESHFORK_BIN, ...args],
      { cwd, env: { ...process.env, MESHFORK_CACHE: path.join(tmp, 'cache') } },
      (error) => {
        resolve(error ? Number((error as { code?: unknown }).code) : 0);
      },
    );
  });
}
