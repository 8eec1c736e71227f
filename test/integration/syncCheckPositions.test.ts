/*
 * Positions, culprits and verdicts of `sync check` with the real series (patches/: two patches on
 * webserver.js), on a real git upstream made from the 1.1.51 and 1.1.55 tarballs
 * (test/support/gitUpstream.ts) plus releases this test commits on v1.1.55. Every line number and
 * offset is compared with what `git apply -v` says on a checkout of that release.
 *
 *   v1.1.56  3 lines inserted at line 100 of webserver.js; then the last context line of the
 *            WebSocket hunk (base line 8504; @@ -8527 after the HTTP patch's 28 lines) reworded
 *   v1.1.57  2 lines inserted at line 50; the blank line 6856 (context of the HTTP patch's
 *            second hunk, next to its added lines) loses its CR
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { syncCheck } from '../../src/commands/syncCheck';
import { applySeries, MemoryTree } from '../../src/engine';
import { isMeshforkError } from '../../src/errors';
import type { SyncCheckReport } from '../../src/checkReport/schema';
import { loadSeries } from '../../src/series/load';
import { formatPatch } from '../../src/engine/formatPatch';
import { patchFileName } from '../../src/series/writer';
import { runGit } from '../../src/tools/git';
import { ensureBuilt, runCli } from '../support/cli';
import { buildGitUpstream, commitFiles, push, tag, type GitUpstream } from '../support/gitUpstream';
import { REPO_ROOT, releaseDir, releaseFile } from '../support/release';

// The JWT series as it was before its hardening (issue 9): a real five-patch series whose hunks, lines
// and culprits this file pins down. Today's patches/ moved on; what is tested here is the report.
const SERIES_DIR = path.join(REPO_ROOT, 'test', 'fixtures', 'jwt-series-before-hardening');
const HTTP = 'accept-jwt-logins-over-http-token-url-and-bearer-header.patch';
const WEBSOCKET = 'accept-jwt-logins-on-websocket-connections.patch';
const WS_LAST_CONTEXT = '            // A web socket session can be authenticated in many ways';

let tmp: string;
let cacheDir: string;
let upstream: GitUpstream;
const ids: Record<string, string> = {};
const projects: Record<string, string> = {};

/** 1.1.55's file with `edit` applied to its CRLF lines (0-based, without endings). */
function edited(file: string, edit: (lines: string[]) => void): string {
  const lines = releaseFile('1.1.55', file).split('\r\n');
  edit(lines);
  return lines.join('\r\n');
}

const insertAt100 = (l: string[]) => l.splice(99, 0, '// upstream 1', '// upstream 2', '// upstream 3');

function rewordWebSocketComment(l: string[]): void {
  const i = l.findIndex((line) => line.startsWith(WS_LAST_CONTEXT));
  if (i !== 8503) throw new Error(`the WebSocket hunk's last context line moved: ${i + 1}`);
  l[i] = `${l[i]} (reworded upstream)`;
}

function blankLineLosesCr(l: string[]): void {
  if (l[6855] !== '' || !l[6856].includes('// Continue processing the request'))
    throw new Error('1.1.55 line 6856 is not the blank context line');
  l.splice(6855, 2, `\n${l[6856]}`);
}

/** A project with `config` overrides, the real series, and `extra` patches appended. */
function makeProject(name: string, config: Record<string, unknown> = {}, extra: { name: string; text: string }[] = []): string {
  const dir = path.join(tmp, name);
  cpSync(SERIES_DIR, path.join(dir, 'patches'), { recursive: true });
  for (const p of extra) {
    writeFileSync(path.join(dir, 'patches', p.name), p.text);
    writeFileSync(path.join(dir, 'patches', 'series'), `${readFileSync(path.join(dir, 'patches', 'series'), 'latin1')}${p.name}\n`);
  }
  const full = {
    upstream: { source: 'git', url: upstream.url, tagPattern: 'v*' },
    base: '1.1.55',
    supports: '>=1.1.0 <2',
    patches: 'patches',
    ...config,
  };
  writeFileSync(path.join(dir, 'meshfork.config.json'), `${JSON.stringify(full, null, 2)}\n`);
  return dir;
}

/** A sixth patch, made on 1.1.55 + the series: it edits a line the HTTP patch's second hunk adds. */
async function patchOnTheBearerBlock(): Promise<{ name: string; text: string }> {
  const series = await loadSeries(SERIES_DIR);
  const tree = new MemoryTree(async (p) => (existsSync(path.join(releaseDir('1.1.55'), p)) ? releaseFile('1.1.55', p) : undefined));
  await applySeries(series.patches, tree);
  const before = (await tree.read('webserver.js')) ?? '';
  const after = before.replace(
    'const bearerToken = parent.jwtAuth.bearerToken(req);\r\n',
    'const bearerToken = parent.jwtAuth.bearerToken(req); // checked below\r\n',
  );
  const subject = 'Note the bearer check';
  const header = { from: 'Fork <fork@example.invalid>', subject, description: '', trailers: [{ key: 'Meshfork-Base', value: '1.1.55' }] };
  return {
    name: patchFileName(subject),
    text: formatPatch(header, [{ oldPath: 'webserver.js', newPath: 'webserver.js', oldContent: before, newContent: after }]),
  };
}

/** `git apply` in the upstream work clone, checked out at `release` with `patches` applied first; returns git's -v lines for `last`. */
async function gitApplyOnRelease(
  release: string,
  patches: string[],
  last: string,
  dir: string,
  mode: string[] = [],
): Promise<{ exitCode: number; stderr: string; file: (p: string) => string }> {
  const work = upstream.workDir;
  await runGit(['checkout', '--quiet', '--force', `v${release}`], { cwd: work });
  await runGit(['clean', '--quiet', '-f', '-d', '-x'], { cwd: work });
  for (const p of patches)
    await runGit(['apply', ...(p.endsWith('!reject') ? ['--reject'] : []), path.join(dir, 'patches', p.replace(/!reject$/, ''))], {
      cwd: work,
      okExitCodes: [0, 1],
    });
  const result = await runGit(['apply', '-v', ...mode, path.join(dir, 'patches', last)], { cwd: work, okExitCodes: [0, 1] });
  return { exitCode: result.exitCode, stderr: String(result.stderr), file: (p) => readFileSync(path.join(work, p)).toString('latin1') };
}

/** "Hunk #N succeeded at L (offset O lines)." as [N, L, O]; a hunk git applies where the header says is not mentioned. */
function gitHunks(stderr: string): [number, number, number][] {
  return [...stderr.matchAll(/^Hunk #(\d+) succeeded at (\d+) \(offset (-?\d+) lines?\)\.$/gm)].map((m) => [
    Number(m[1]),
    Number(m[2]),
    Number(m[3]),
  ]);
}

const FIRST_THREE = [
  'add-the-jwt-single-sign-on-module.patch',
  'pin-jsonwebtoken-and-pg-for-jwt-single-sign-on.patch',
  'start-jwt-single-sign-on-before-the-web-server-is-created.patch',
];

function patchReport(report: SyncCheckReport, name: string) {
  const found = report.releases[0].patches.find((p) => p.name === name);
  if (!found) throw new Error(`no ${name} in the report`);
  return found;
}

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'meshfork-positions-'));
  cacheDir = path.join(tmp, 'cache');
  upstream = await buildGitUpstream(tmp);
  const work = upstream.workDir;
  await runGit(['checkout', '--quiet', '-b', 'positions', 'v1.1.55'], { cwd: work });
  ids.inserted = await commitFiles(work, { 'webserver.js': edited('webserver.js', insertAt100) }, 'Add a banner to webserver.js');
  ids.reworded = await commitFiles(
    work,
    { 'webserver.js': edited('webserver.js', (l) => (rewordWebSocketComment(l), insertAt100(l))) },
    'Reword the WebSocket authentication comment',
  );
  await tag(work, 'v1.1.56');
  await runGit(['checkout', '--quiet', '-b', 'reject', 'v1.1.55'], { cwd: work });
  ids.crlf = await commitFiles(
    work,
    { 'webserver.js': edited('webserver.js', (l) => (blankLineLosesCr(l), l.splice(49, 0, '// a', '// b'))) },
    'Normalize a line ending',
  );
  await tag(work, 'v1.1.57');
  await push(work);
  projects.series = makeProject('series');
  projects.sixth = makeProject('sixth', {}, [await patchOnTheBearerBlock()]);
  ensureBuilt();
}, 600_000);

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const check = (project: string, to?: string): Promise<SyncCheckReport> => syncCheck({ cwd: project, cacheDir, to });
const cli = (project: string, args: string[]) => runCli(['-C', project, 'sync', 'check', ...args], { env: { MESHFORK_CACHE: cacheDir } });

test('item 1, 4, 5: a later hunk of a patch and a hunk after an earlier patch on the same file: git apply -v lines, base-release lines, the real culprit, the merge position', async () => {
  const report = await check(projects.series, '1.1.56');
  const http = patchReport(report, HTTP).files[0];
  const git = await gitApplyOnRelease('1.1.56', FIRST_THREE, HTTP, projects.series);
  expect(git.exitCode).toBe(0);
  expect(gitHunks(git.stderr)).toEqual([
    [1, 2925, 3],
    [2, 6872, 3],
  ]);
  // Hunk 2 at 6872 as git counts it (after hunk 1's 15 lines), not 6857.
  expect(http.hunks.map((h) => [h.index + 1, h.status, h.targetLine, h.offset, h.oldStart, h.baseLine])).toEqual([
    [1, 'offset', 2925, 3, 2922, 2922],
    [2, 'offset', 6872, 3, 6854, 6854],
  ]);

  const ws = patchReport(report, WEBSOCKET);
  expect(ws.status).toBe('needs-refresh');
  const [hunk] = ws.files[0].hunks;
  // @@ -8527 counts the HTTP patch's 28 lines; the base release has the hunk at 8499.
  expect([hunk.status, hunk.oldStart, hunk.baseLine, hunk.baseLines]).toEqual(['merged', 8527, 8499, 6]);
  expect(hunk.culprits?.map((c) => c.commit)).toEqual([ids.reworded]);
  // Where the merge put it: the same 3-way merge done with git itself on a checkout.
  await gitApplyOnRelease('1.1.55', FIRST_THREE, HTTP, projects.series);
  const base4 = git.file('webserver.js');
  await runGit(['apply', path.join(projects.series, 'patches', WEBSOCKET)], { cwd: upstream.workDir });
  const base5 = git.file('webserver.js');
  const ours = await gitApplyOnRelease('1.1.56', FIRST_THREE, HTTP, projects.series);
  const files = { ours: path.join(tmp, 'ours'), base: path.join(tmp, 'base'), theirs: path.join(tmp, 'theirs') };
  writeFileSync(files.ours, Buffer.from(ours.file('webserver.js'), 'latin1'));
  writeFileSync(files.base, Buffer.from(base4, 'latin1'));
  writeFileSync(files.theirs, Buffer.from(base5, 'latin1'));
  const merged = await runGit(['merge-file', '-p', files.ours, files.base, files.theirs], { cwd: tmp });
  const mergedLines = merged.stdout.toString('latin1').split('\n');
  const firstAdded = mergedLines.findIndex((l) =>
    l.startsWith('            // JWT single sign-on (jwt-auth.js, meshfork): "Authorization: Bearer JWT" or "?jwt=JWT"'),
  );
  // The new side starts 3 context lines above the first added line.
  expect(hunk.targetLine).toBe(firstAdded + 1 - 3);
  expect([hunk.targetLine, hunk.offset]).toEqual([8530, 3]);

  const run = await cli(projects.series, ['--to', '1.1.56']);
  expect(run.exitCode).toBe(3);
  expect(run.stdout).toContain(
    `      webserver.js hunk 1 (patch line 16): base line 8499 (@@ -8527 with the earlier patches), merged at line 8530 (offset +3), only by a 3-way merge\n        changed by ${ids.reworded.slice(0, 10)} Reword the WebSocket authentication comment`,
  );
  expect(run.stdout).not.toContain(ids.inserted.slice(0, 10));
});

test("item 3: after a conflict, the later patch is checked against the release plus what git apply --reject applies; its offset is git apply's; a CR-only difference is named", async () => {
  const report = await check(projects.series, '1.1.57');
  const http = patchReport(report, HTTP);
  expect(http.status).toBe('conflict');
  const [first, second] = http.files[0].hunks;
  expect([first.status, first.targetLine, first.offset]).toEqual(['offset', 2924, 2]);
  expect([second.status, second.baseLine, second.targetLine]).toEqual(['conflict', 6854, 6856]);
  expect(second.differingLines).toEqual([
    { line: 6858, releaseLine: 6858, expected: '', actual: '', difference: 'line-ending', endings: { expected: 'CRLF', actual: 'LF' } },
  ]);
  expect(second.culprits?.map((c) => c.commit)).toEqual([ids.crlf]);

  // git: the HTTP patch with --reject keeps hunk 1 and leaves hunk 2 out; then the WebSocket patch.
  const rejected = await gitApplyOnRelease('1.1.57', FIRST_THREE, HTTP, projects.series, ['--reject']);
  expect(rejected.exitCode).toBe(1);
  expect(rejected.stderr).toContain('Rejected hunk #2.');
  const git = await gitApplyOnRelease('1.1.57', [...FIRST_THREE, `${HTTP}!reject`], WEBSOCKET, projects.series);
  expect(git.exitCode).toBe(0);
  expect(gitHunks(git.stderr)).toEqual([[1, 8516, -11]]);
  const [ws] = patchReport(report, WEBSOCKET).files[0].hunks;
  expect([ws.status, ws.targetLine, ws.offset, ws.dependsOn]).toEqual(['offset', 8516, -11, []]);
  expect(patchReport(report, WEBSOCKET).status).toBe('offset');

  const run = await cli(projects.series, ['--to', '1.1.57']);
  expect(run.exitCode).toBe(1);
  expect(run.stdout).toContain('        line 6858 expected: ␍\n                  upstream:    (differs only in line ending)\n');
});

test('item 3: a later hunk on the lines of the left-out hunk depends on it, and git apply --check refuses it there too', async () => {
  const report = await check(projects.sixth, '1.1.57');
  const sixth = report.releases[0].patches[5];
  expect(sixth.name).toBe('note-the-bearer-check.patch');
  expect(sixth.status).toBe('conflict');
  expect(sixth.files[0].hunks.map((h) => [h.status, h.dependsOn])).toEqual([
    ['conflict', [{ patch: HTTP, path: 'webserver.js', index: 1 }]],
  ]);
  // The WebSocket patch does not touch those lines: no dependency.
  expect(report.releases[0].patches[4].files[0].hunks[0].dependsOn).toEqual([]);
  const git = await gitApplyOnRelease('1.1.57', [...FIRST_THREE, `${HTTP}!reject`, WEBSOCKET], sixth.name, projects.sixth, ['--check']);
  expect(git.exitCode).toBe(1);
  const run = await cli(projects.sixth, ['--to', '1.1.57']);
  expect(run.stdout).toContain(
    `        overlaps the conflicting hunk of ${HTTP} (webserver.js hunk 2), which was left out: resolve that first\n`,
  );
});

test("item 2: a tag pattern that matches nothing is NO_RELEASES naming the pattern and the base (exit 2), for sync check and upstream list; the hint's command works", async () => {
  const project = makeProject('regex', { upstream: { source: 'git', url: upstream.url, tagPattern: '^v[0-9.]+$' } });
  const run = await cli(project, ['--all', '--json']);
  expect(run.exitCode).toBe(2);
  const { error } = JSON.parse(run.stdout) as { error: { code: string; message: string; hint: string; tagPattern: string; base: string } };
  expect(error).toMatchObject({ code: 'NO_RELEASES', tagPattern: '^v[0-9.]+$', base: '1.1.55' });
  expect(error.message).toContain('matches tagPattern "^v[0-9.]+$"');
  expect(error.message).toContain('the base 1.1.55');
  const list = await runCli(['-C', project, '--json', 'upstream', 'list'], { env: { MESHFORK_CACHE: cacheDir } });
  expect([list.exitCode, JSON.parse(list.stdout).error.code]).toEqual([2, 'NO_RELEASES']);
  const hinted = /`git (ls-remote --tags \S+)`/.exec(error.hint)?.[1].split(' ') ?? [];
  const tags = await runGit(hinted, { cwd: tmp });
  expect(tags.stdout.toString('utf8')).toContain('refs/tags/v1.1.55');

  const elsewhere = makeProject('base-unknown', { upstream: { source: 'git', url: upstream.url, tagPattern: 'v1.1.5[67]' } });
  const none = await syncCheck({ cwd: elsewhere, cacheDir }).catch((e: unknown) => e);
  expect(isMeshforkError(none) && [none.code, none.exitCode, none.message]).toEqual([
    'BASE_UNKNOWN',
    2,
    expect.stringContaining('the base 1.1.55 (meshfork.config.json: base) is not among the 2 release(s)'),
  ]);
  const listed = await runCli(['-C', elsewhere, 'upstream', 'list'], { env: { MESHFORK_CACHE: cacheDir } });
  expect(listed.exitCode).toBe(0);
});

test('the main job: with nothing newer, sync check checks the series against the base itself, with the usual exit codes', async () => {
  const onlyBase = makeProject('only-base', { upstream: { source: 'git', url: upstream.url, tagPattern: 'v1.1.5[15]' } });
  const run = await cli(onlyBase, []);
  expect([run.exitCode, run.stdout]).toEqual([0, '5 patches apply cleanly to the base 1.1.55; no newer release in >=1.1.0 <2.\n']);
  const json = JSON.parse((await cli(onlyBase, ['--all', '--json'])).stdout) as SyncCheckReport;
  expect([json.upToDate, json.baseChecked, json.releases.map((r) => [r.version, r.status]), json.next]).toEqual([
    true,
    true,
    [['1.1.55', 'clean']],
    null,
  ]);

  // A broken context line in the last patch: its own base no longer takes it.
  const broken = makeProject('broken-base', { upstream: { source: 'git', url: upstream.url, tagPattern: 'v1.1.5[15]' } });
  const file = path.join(broken, 'patches', WEBSOCKET);
  writeFileSync(
    file,
    readFileSync(file, 'latin1').replace(
      "             if (req.headers['x-meshauth'] === '*')",
      "             if (req.headers['x-meshauth'] == '*')",
    ),
    'latin1',
  );
  for (const args of [[], ['--all']]) {
    const failing = await cli(broken, args);
    expect([args, failing.exitCode]).toEqual([args, 1]);
    expect(failing.stdout).toContain(
      'conflict: the series does not apply cleanly to its own base 1.1.55 (1 conflict, 4 clean); no newer release in >=1.1.0 <2.\n',
    );
  }
});
