/*
 * `sync check` against a real git upstream: a local bare repository made from the real 1.1.51 and
 * 1.1.55 tarballs (test/support/gitUpstream.ts), plus one release per scenario that this test
 * commits and tags on top of v1.1.55. The series is the fixture series made on 1.1.55.
 *
 *   v1.1.56  five lines inserted above a webserver.js hunk, and a "Security:" commit  -> offset, exit 0
 *   v1.1.57  the logout route (context of a webserver.js hunk) renamed                -> conflict, exit 1
 *   v1.1.58  package.json already has the keyword the third patch adds                 -> already-applied, exit 3
 *   v1.1.59  the line opening a meshcentral.js hunk's context changed                  -> needs-refresh (3-way), exit 3
 *   v1.1.60-rc.1 (a prerelease, outside supports) package.json moved to server/       -> conflict (file missing), exit 1
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { syncCheck } from '../../src/commands/syncCheck';
import type { SyncCheckReport } from '../../src/checkReport/schema';
import { runGit } from '../../src/tools/git';
import { ensureBuilt, runCli } from '../support/cli';
import { buildGitUpstream, commitFiles, push, tag, type GitUpstream } from '../support/gitUpstream';
import { releaseFile } from '../support/release';
import { syncCheckValidator } from '../unit/reportSupport';

const FIXTURE_SERIES = path.join(__dirname, '..', 'fixtures', 'series-1.1.55');
const LOGOUT_ROUTE = "                obj.app.get(url + 'logout', handleLogoutRequest);";
const WEBSERVER_CREATE =
  "                    obj.webserver = require('./webserver.js').CreateWebServer(obj, obj.db, obj.args, obj.certificates, obj.StartEx5);";

let tmp: string;
let project: string;
let cacheDir: string;
let upstream: GitUpstream;
const commits: Record<string, string> = {};

/** Edit a 1.1.55 file (CRLF) line by line: `edit` gets 0-based lines without endings. */
function edited(file: string, edit: (lines: string[]) => void): string {
  const lines = releaseFile('1.1.55', file).split('\r\n');
  edit(lines);
  return lines.join('\r\n');
}

function replaceLine(lines: string[], from: string, to: string): void {
  const i = lines.indexOf(from);
  if (i === -1) throw new Error(`line not found: ${from}`);
  lines[i] = to;
}

/** Start a scenario branch at v1.1.55. */
async function branchFromBase(name: string): Promise<void> {
  await runGit(['checkout', '--quiet', '-b', name, 'v1.1.55'], { cwd: upstream.workDir });
}

async function buildScenarios(): Promise<void> {
  const work = upstream.workDir;
  await branchFromBase('offset');
  commits.inserted = await commitFiles(
    work,
    { 'webserver.js': edited('webserver.js', (l) => l.splice(6900, 0, '// a', '// b', '// c', '// d', '// e')) },
    'Document the route table',
  );
  commits.security = await commitFiles(
    work,
    { 'readme.md': `${releaseFile('1.1.55', 'readme.md')}\nSecurity notes.\n` },
    'Security: escape user names in the device list',
  );
  await tag(work, 'v1.1.56');

  await branchFromBase('conflict');
  const shifted = (l: string[]) => l.splice(100, 0, '// moved by an unrelated change');
  commits.unrelated = await commitFiles(
    work,
    { 'webserver.js': edited('webserver.js', shifted) },
    'Add a note near the top of webserver.js',
  );
  commits.renamed = await commitFiles(
    work,
    {
      'webserver.js': edited(
        'webserver.js',
        (l) => (shifted(l), replaceLine(l, LOGOUT_ROUTE, LOGOUT_ROUTE.replace('handleLogoutRequest', 'handleLogoutRequestEx'))),
      ),
    },
    'Rename the logout handler',
  );
  await tag(work, 'v1.1.57');

  await branchFromBase('already');
  await commitFiles(
    work,
    {
      'package.json': edited('package.json', (l) =>
        l.splice(l.indexOf('    "Two-Factor Authentication",') + 1, 0, '    "JWT Single Sign-On",'),
      ),
    },
    'Add the JWT keyword',
  );
  await tag(work, 'v1.1.58');

  await branchFromBase('merge');
  commits.merged = await commitFiles(
    work,
    {
      'meshcentral.js': edited('meshcentral.js', (l) =>
        replaceLine(l, WEBSERVER_CREATE, WEBSERVER_CREATE.replace('obj.StartEx5)', 'obj.StartEx5, obj.webrelay)')),
      ),
    },
    'Pass the relay to the web server',
  );
  await tag(work, 'v1.1.59');

  await branchFromBase('moved');
  commits.moved = await commitFiles(
    work,
    { 'package.json': null, 'server/package.json': releaseFile('1.1.55', 'package.json') },
    'Move package.json into server/',
  );
  await tag(work, 'v1.1.60-rc.1');
  await push(work);
}

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'meshfork-check-git-'));
  cacheDir = path.join(tmp, 'cache');
  upstream = await buildGitUpstream(tmp);
  await buildScenarios();
  project = path.join(tmp, 'project');
  cpSync(FIXTURE_SERIES, path.join(project, 'patches'), { recursive: true });
  const config = {
    upstream: { source: 'git', url: upstream.url, tagPattern: 'v*' },
    base: '1.1.55',
    supports: '>=1.1.0 <2',
    patches: 'patches',
  };
  writeFileSync(path.join(project, 'meshfork.config.json'), `${JSON.stringify(config, null, 2)}\n`);
  ensureBuilt();
}, 600_000);

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const check = (options: { to?: string; all?: boolean } = {}): Promise<SyncCheckReport> => syncCheck({ cwd: project, cacheDir, ...options });
const cli = (args: string[]) => runCli(['-C', project, 'sync', 'check', ...args], { env: { MESHFORK_CACHE: cacheDir } });

function patchStatuses(report: SyncCheckReport): string[] {
  return report.releases[0].patches.map((p) => p.status);
}

test('(a) lines inserted above a hunk: offset, exit 0, and (e) the security commit is flagged', async () => {
  const report = await check({ to: '1.1.56' });
  expect(patchStatuses(report)).toEqual(['clean', 'offset', 'clean']);
  const webserver = report.releases[0].patches[1].files[0];
  expect(webserver.hunks.map((h) => [h.status, h.baseLine, h.targetLine, h.offset])).toEqual([
    ['exact', 2906, 2906, 0],
    // git apply -v numbering: after the line hunk 1 added.
    ['offset', 6943, 6949, 5],
  ]);
  expect(report.exitCode).toBe(0);
  expect(report.releases[0].securityCommits?.map((c) => [c.commit, c.subject])).toEqual([
    [commits.security, 'Security: escape user names in the device list'],
  ]);

  const run = await cli(['--to', '1.1.56']);
  expect(run.exitCode).toBe(0);
  expect(run.stdout).toContain('  offset           serve-jwt-logins-from-the-web-server.patch  webserver.js +5\n');
  expect(run.stdout).toContain('security: 1 commit(s) between 1.1.55 and 1.1.56 mention security, CVE or vulnerability');
  expect(run.stdout).toContain(`${commits.security.slice(0, 10)} Security: escape user names in the device list`);
  expect(run.stdout.trimEnd().split('\n').at(-1)).toBe('Next: meshfork sync rebase --to 1.1.56');
});

test('(b) a changed context line: conflict with the exact file and lines, exit 1, the changing commit as culprit', async () => {
  const report = await check({ to: '1.1.57' });
  expect(patchStatuses(report)).toEqual(['clean', 'conflict', 'clean']);
  expect(report.exitCode).toBe(1);
  const file = report.releases[0].patches[1].files[0];
  expect(file.path).toBe('webserver.js');
  const [first, second] = file.hunks;
  expect([first.status, first.offset]).toEqual(['offset', 1]);
  expect(second).toMatchObject({ status: 'conflict', baseLine: 6943, baseLines: 6 });
  // 6945 in 1.1.55, one line lower after the unrelated insertion near the top.
  expect(second.differingLines).toEqual([
    {
      line: 6946,
      releaseLine: 6946,
      expected: LOGOUT_ROUTE,
      actual: LOGOUT_ROUTE.replace('handleLogoutRequest', 'handleLogoutRequestEx'),
      difference: 'content',
      endings: null,
    },
  ]);
  expect(second.culprits?.map((c) => c.commit)).toEqual([commits.renamed]);
  expect(report.releases[0].securityCommits).toEqual([]);

  const run = await cli(['--to', '1.1.57']);
  expect(run.exitCode).toBe(1);
  expect(run.stdout).toMatch(/ {6}webserver\.js hunk 2 \(patch line \d+\): base lines 6943-6948, fails at line \d+/);
  expect(run.stdout).toContain(
    `        line 6946 expected: ${LOGOUT_ROUTE}\n                  upstream: ${LOGOUT_ROUTE.replace('handleLogoutRequest', 'handleLogoutRequestEx')}\n`,
  );
  expect(run.stdout).toContain(`changed by ${commits.renamed.slice(0, 10)} Rename the logout handler (MeshCentral Upstream, `);
  expect(run.stdout).not.toContain(commits.unrelated.slice(0, 10));
});

test('(c) a release that already contains a patch: already-applied, exit 3', async () => {
  const report = await check({ to: '1.1.58' });
  expect(patchStatuses(report)).toEqual(['clean', 'clean', 'already-applied']);
  expect(report.exitCode).toBe(3);
  const run = await cli(['--to', '1.1.58']);
  expect(run.exitCode).toBe(3);
  expect(run.stdout).toContain('  already-applied  list-jwt-single-sign-on-in-the-package-keywords.patch\n');
  expect(run.stdout).toContain('package.json: 1.1.58 already contains this change');
  // The verdict says to drop it, not that the series needs a refresh.
  expect(run.stdout).toContain(
    'already-applied: 1.1.58: 1.1.58 already contains 1 patch: drop it from the series, nothing needs a refresh (1 already-applied, 2 clean)\n',
  );
});

test('(d) a change only a 3-way merge resolves: needs-refresh, exit 3, culprit listed; it is also the default target', async () => {
  const report = await check();
  expect(report.mode).toBe('newest');
  expect(report.releases.map((r) => r.version)).toEqual(['1.1.59']);
  expect(patchStatuses(report)).toEqual(['needs-refresh', 'clean', 'clean']);
  const hunk = report.releases[0].patches[0].files.find((f) => f.path === 'meshcentral.js')?.hunks[0];
  expect(hunk).toMatchObject({ status: 'merged', baseLine: 1925 });
  expect(hunk?.culprits?.map((c) => c.commit)).toEqual([commits.merged]);
  expect(report.exitCode).toBe(3);
  const run = await cli([]);
  expect(run.exitCode).toBe(3);
  expect(run.stdout).toContain('meshcentral.js hunk 1');
  expect(run.stdout).toContain('only by a 3-way merge');
});

test('--all: a release x patch matrix, worst status decides the exit code; --json validates against the schema', async () => {
  const run = await cli(['--all', '--json']);
  expect(run.exitCode).toBe(1);
  const report = JSON.parse(run.stdout) as SyncCheckReport;
  expect(syncCheckValidator()(report)).toEqual([]);
  expect(report.releases.map((r) => [r.version, r.status])).toEqual([
    ['1.1.56', 'offset'],
    ['1.1.57', 'conflict'],
    ['1.1.58', 'already-applied'],
    ['1.1.59', 'needs-refresh'],
  ]);
  expect(report.next).toBe('meshfork sync rebase --to 1.1.59');

  const text = await cli(['--all']);
  expect(text.exitCode).toBe(1);
  expect(text.stdout).toMatch(/^ {2}patch +1\.1\.56 +1\.1\.57 +1\.1\.58 +1\.1\.59$/m);
  expect(text.stdout).toMatch(/^ {2}serve-jwt-logins-from-the-web-server\.patch +offset +conflict +clean +clean$/m);

  const md = await cli(['--all', '--format', 'markdown']);
  expect(md.exitCode).toBe(1);
  expect(md.stdout.split('\n')[0]).toMatch(
    /^\*\*meshfork sync check\*\* \(base 1\.1\.55, git file:\/\/.*\): 1\.1\.56 \*\*offset\*\*, 1\.1\.57 \*\*conflict\*\*, 1\.1\.58 \*\*already-applied\*\*, 1\.1\.59 \*\*needs-refresh\*\*\. Next: `meshfork sync rebase --to 1\.1\.59`\.$/,
  );
  expect(md.stdout).toContain('### 1.1.57: conflict');
  expect(md.stdout).toContain(`- \`${commits.renamed.slice(0, 10)}\` Rename the logout handler`);
  expect(md.stdout).toContain(`**Security:** 1 upstream commit(s) between 1.1.55 and 1.1.56`);
});

test('a file the release no longer has: conflict, with the commit that removed it; a prerelease needs --ignore-range', async () => {
  const refused = await cli(['--to', '1.1.60-rc.1']);
  expect(refused.exitCode).toBe(2);
  expect(refused.stderr).toContain('error[VERSION_OUT_OF_RANGE]');

  const report = await syncCheck({ cwd: project, cacheDir, to: '1.1.60-rc.1', ignoreRange: true });
  expect(report.releases[0]).toMatchObject({ version: '1.1.60-rc.1', inSupports: false, status: 'conflict', exitCode: 1 });
  const file = report.releases[0].patches[2].files[0];
  expect(file).toMatchObject({ path: 'package.json', status: 'missing', hunks: [] });
  expect(file.culprits?.map((c) => [c.commit, c.subject])).toEqual([[commits.moved, 'Move package.json into server/']]);
  // sync rebase refuses a release outside supports (it would become the base), so none is suggested.
  expect(report.next).toBeNull();

  const run = await cli(['--to', '1.1.60-rc.1', '--ignore-range']);
  expect(run.exitCode).toBe(1);
  expect(run.stdout).toContain(
    `  conflict         list-jwt-single-sign-on-in-the-package-keywords.patch\n      package.json does not exist in 1.1.60-rc.1 (moved to server/package.json)\n        removed by ${commits.moved.slice(0, 10)} Move package.json into server/`,
  );
});

test('--fuzz 1 places the hunk whose first context line changed: fuzz, needs-refresh, exit 3', async () => {
  const report = await syncCheck({ cwd: project, cacheDir, to: '1.1.59', fuzz: 1 });
  expect(report.fuzz).toBe(1);
  const hunk = report.releases[0].patches[0].files.find((f) => f.path === 'meshcentral.js')?.hunks[0];
  expect(hunk).toMatchObject({ status: 'fuzz', fuzz: 1, baseLine: 1925, offset: 0 });
  expect(hunk?.culprits?.map((c) => c.commit)).toEqual([commits.merged]);
  expect(report.exitCode).toBe(3);
});

test('--to an older release in supports: offsets, no rebase suggested, no history between them', async () => {
  const report = await check({ to: '1.1.51' });
  expect(report.releases[0].status).toBe('offset');
  expect(report.next).toBeNull();
  expect(report.releases[0].securityCommits).toEqual([]);
});

test('nothing was materialized: the checks read single files from the mirror, so the cache holds no release manifest', () => {
  const manifests = path.join(cacheDir, 'manifests');
  expect(existsSync(manifests) ? readdirSync(manifests, { recursive: true }).filter((f) => String(f).endsWith('.json')) : []).toEqual([]);
});
