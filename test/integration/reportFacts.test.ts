/*
 * Facts the reports must get right, on a small git upstream this test builds (a few short files, so
 * every case runs in seconds): the rebase summary (why a patch was dropped, churn of refreshed
 * hunks, culprits, security commits), a rebase stopped on a deleted file, `sync push` pushing only
 * the refresh branch, versions spelled v1.1.0, hints that name commands (each one is run), and the
 * CLI's usage errors and help. No mocks: real git repositories, the built bin/meshfork.
 *
 *   v1.0.0  the base: app.js, lib.js, conf.js, old.js
 *   v1.1.0  4 lines above app.js's hunks (moved); lib.js line 8 changed (3-way refresh of
 *           tune-lib); conf.js gets tune-conf's change (upstream contains it); old.js deleted;
 *           a commit "Fix CVE-2026-1111 in the login form"
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { gitText, runGit } from '../../src/tools/git';
import { formatPatch } from '../../src/engine/formatPatch';
import { patchFileName } from '../../src/series/writer';
import { ensureBuilt, runCli, type CliResult } from '../support/cli';

const IDENTITY = {
  GIT_AUTHOR_NAME: 'Up Stream',
  GIT_AUTHOR_EMAIL: 'up@example.invalid',
  GIT_COMMITTER_NAME: 'Up Stream',
  GIT_COMMITTER_EMAIL: 'up@example.invalid',
};

let tmp: string;
let upstreamWork: string;
let upstreamUrl: string;
let project: string;
let remote: string;
let cacheDir: string;
let day = 0;
const ids: Record<string, string> = {};

const numbered = (name: string, n: number, edit: (lines: string[]) => void = () => {}): string => {
  const lines = Array.from({ length: n }, (_, i) => `${name} line ${i + 1}`);
  edit(lines);
  return `${lines.join('\n')}\n`;
};

const BASE = {
  'app.js': numbered('app', 40),
  'lib.js': numbered('lib', 20),
  'conf.js': numbered('conf', 10),
  'old.js': numbered('old', 10),
};

async function commit(files: Record<string, string | null>, message: string): Promise<string> {
  for (const [file, content] of Object.entries(files)) {
    if (content === null) await runGit(['rm', '--quiet', file], { cwd: upstreamWork });
    else writeFileSync(path.join(upstreamWork, file), content);
  }
  await runGit(['add', '--all'], { cwd: upstreamWork });
  day += 1;
  const date = `${Date.UTC(2026, 0, day) / 1000} +0000`;
  await runGit(['commit', '--quiet', '-m', message], {
    cwd: upstreamWork,
    env: { ...IDENTITY, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date },
  });
  return gitText(['rev-parse', 'HEAD'], { cwd: upstreamWork });
}

function patchFile(
  subject: string,
  changes: { file: keyof typeof BASE; edit: (lines: string[]) => void }[],
): { name: string; text: string } {
  const header = { from: 'Fork <fork@example.invalid>', subject, description: '', trailers: [{ key: 'Meshfork-Base', value: '1.0.0' }] };
  const files = changes.map(({ file, edit }) => {
    const lines = BASE[file].split('\n').slice(0, -1);
    edit(lines);
    return { oldPath: file, newPath: file, oldContent: BASE[file], newContent: `${lines.join('\n')}\n` };
  });
  return { name: patchFileName(subject), text: formatPatch(header, files) };
}

const SERIES = [
  patchFile('Greet twice', [{ file: 'app.js', edit: (l) => ((l[9] = 'app greeting'), (l[29] = 'app farewell')) }]),
  patchFile('Tune lib', [{ file: 'lib.js', edit: (l) => (l[4] = 'lib tuned') }]),
  patchFile('Tune conf', [{ file: 'conf.js', edit: (l) => (l[2] = 'conf tuned') }]),
  patchFile('Patch old', [{ file: 'old.js', edit: (l) => (l[1] = 'old patched') }]),
];

async function writeProjectFiles(dir: string, base = '1.0.0'): Promise<void> {
  mkdirSync(path.join(dir, 'patches'), { recursive: true });
  writeFileSync(
    path.join(dir, 'meshfork.config.json'),
    `${JSON.stringify({ upstream: { source: 'git', url: upstreamUrl, tagPattern: 'v*' }, base, supports: '>=1.0.0 <2', patches: 'patches' }, null, 2)}\n`,
  );
  for (const p of SERIES) writeFileSync(path.join(dir, 'patches', p.name), p.text);
  writeFileSync(path.join(dir, 'patches', 'series'), `${SERIES.map((p) => p.name).join('\n')}\n`);
}

const cli = (args: string[], cwd = project): Promise<CliResult> =>
  runCli(['-C', cwd, ...args], { env: { MESHFORK_CACHE: cacheDir, ...IDENTITY } });

/** Run the command a hint names (`meshfork ...` in backticks) in the project: it must work. */
async function runHint(hint: string, cwd = project): Promise<CliResult> {
  const command = /`meshfork ([^`]+)`/.exec(hint)?.[1];
  if (!command) throw new Error(`no meshfork command in hint: ${hint}`);
  return cli(command.split(' '), cwd);
}

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'meshfork-facts-'));
  cacheDir = path.join(tmp, 'cache');
  upstreamWork = path.join(tmp, 'upstream');
  mkdirSync(upstreamWork);
  await runGit(['init', '--quiet', '--initial-branch=main'], { cwd: upstreamWork });
  await commit(BASE, 'Release 1.0.0');
  await runGit(['tag', 'v1.0.0'], { cwd: upstreamWork });
  ids.moved = await commit({ 'app.js': numbered('app', 40, (l) => l.unshift('// a', '// b', '// c', '// d')) }, 'Add a file header');
  ids.lib = await commit({ 'lib.js': numbered('lib', 20, (l) => (l[7] = 'lib line 8 reworded')) }, 'Reword lib line 8');
  ids.conf = await commit({ 'conf.js': numbered('conf', 10, (l) => (l[2] = 'conf tuned')) }, 'Tune conf upstream');
  ids.removed = await commit({ 'old.js': null }, 'Remove old.js');
  ids.security = await commit({ 'notes.txt': 'notes\n' }, 'Fix CVE-2026-1111 in the login form');
  await runGit(['tag', 'v1.1.0'], { cwd: upstreamWork });
  upstreamUrl = pathToFileURL(upstreamWork).href;

  project = path.join(tmp, 'project');
  await writeProjectFiles(project);
  remote = path.join(tmp, 'remote.git');
  await runGit(['init', '--quiet', '--bare', '--initial-branch=main', remote], { cwd: tmp });
  await runGit(['init', '--quiet', '--initial-branch=main'], { cwd: project });
  await runGit(['add', '--all'], { cwd: project });
  await runGit(['commit', '--quiet', '-m', 'project'], { cwd: project, env: IDENTITY });
  await runGit(['remote', 'add', 'origin', remote], { cwd: project });
  await runGit(['push', '--quiet', 'origin', 'main'], { cwd: project });
  ensureBuilt();
}, 900_000);

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('CLI consistency', () => {
  test("usage errors: error[USAGE] plus a hint naming the failing command's help, which works; --json carries the hint; exit 2", async () => {
    const unknown = await cli(['sync', 'check', '--tto', '1.1.0']);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toBe(
      "error[USAGE]: unknown option '--tto'\nhint: Did you mean --to? Or run `meshfork sync check --help` for the options\n",
    );
    const missing = await cli(['--json', 'apply']);
    expect(missing.exitCode).toBe(2);
    expect(JSON.parse(missing.stdout)).toEqual({
      error: { code: 'USAGE', message: "required option '--out <dir>' not specified", hint: 'run `meshfork apply --help` for the options' },
    });
    const help = await runHint(JSON.parse(missing.stdout).error.hint as string);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toContain('Usage: meshfork apply [options]');
  });

  test('`meshfork help sync check` is the sync check help: global options and exit codes included', async () => {
    const viaHelp = await cli(['help', 'sync', 'check']);
    const viaFlag = await cli(['sync', 'check', '--help']);
    expect(viaHelp.exitCode).toBe(0);
    expect(viaHelp.stdout).toBe(viaFlag.stdout);
    expect(viaHelp.stdout).toMatch(/^Usage: meshfork sync check \[options\]/);
    expect(viaHelp.stdout).toContain('Global Options:\n');
    expect(viaHelp.stdout).toMatch(/-C, --cwd <dir> +run as if started in DIR/);
    expect(viaHelp.stdout).toContain('Exit codes:\n  0  every patch applies');
    for (const args of [['series'], ['sync', 'push'], ['upstream', 'list'], ['edit'], ['sync']]) {
      const out = await cli(['help', ...args]);
      expect([args, out.exitCode, out.stdout.includes('Global Options:'), out.stdout.includes('Exit codes')]).toEqual([
        args,
        0,
        true,
        true,
      ]);
    }
  });
});

describe('versions and hints', () => {
  test('v1.1.0 is the release 1.1.0: one lock entry, reported as 1.1.0', async () => {
    const run = await cli(['--json', 'sync', 'check', '--to', 'v1.1.0']);
    expect(JSON.parse(run.stdout).releases[0].version).toBe('1.1.0');
    const run2 = await cli(['--json', 'upstream', 'fetch', 'v1.1.0', '=1.1.0']);
    expect(run2.exitCode).toBe(0);
    const lock = JSON.parse(readFileSync(path.join(project, 'meshfork.lock.json'), 'utf8')) as {
      upstreams: Record<string, Record<string, unknown>>;
    };
    // The base (read for the history) and 1.1.0, once: no "v1.1.0" or "=1.1.0" beside it.
    expect(Object.keys(lock.upstreams[`git:${upstreamUrl}`]).sort()).toEqual(['1.0.0', '1.1.0']);
  });

  test('apply --to an unknown release outside supports is VERSION_UNKNOWN (not "pass --ignore-range"), and its hint works', async () => {
    const run = await cli(['--json', 'apply', '--to', '9.9.9', '--out', path.join(tmp, 'build')]);
    expect(run.exitCode).toBe(2);
    const error = JSON.parse(run.stdout).error as { code: string; hint: string };
    expect(error.code).toBe('VERSION_UNKNOWN');
    const hinted = await runHint(error.hint);
    expect(hinted.exitCode).toBe(0);
    expect(hinted.stdout).toMatch(/^ {2}1\.1\.0 /m);
    const rebase = await cli(['--json', 'sync', 'rebase', '--to', '9.9.9']);
    expect([rebase.exitCode, JSON.parse(rebase.stdout).error.code]).toEqual([2, 'VERSION_UNKNOWN']);
  });

  test('a moved tag: LOCK_MISMATCH from sync check and sync rebase names a command that accepts it, which works', async () => {
    const other = path.join(tmp, 'moved');
    await writeProjectFiles(other);
    expect((await cli(['sync', 'check', '--to', '1.1.0'], other)).exitCode).toBe(1);
    await runGit(['tag', '--force', 'v1.1.0', `${ids.security}^`], { cwd: upstreamWork });
    try {
      for (const args of [
        ['sync', 'check', '--to', '1.1.0'],
        ['sync', 'rebase', '--to', '1.1.0'],
      ]) {
        const run = await cli(['--json', ...args], other);
        const error = JSON.parse(run.stdout).error as { code: string; hint: string };
        expect([args, run.exitCode, error.code]).toEqual([args, 2, 'LOCK_MISMATCH']);
        expect(error.hint).toContain('`meshfork upstream fetch 1.1.0 --update-lock`');
      }
      const hint = JSON.parse((await cli(['--json', 'sync', 'check', '--to', '1.1.0'], other)).stdout).error.hint as string;
      expect((await runHint(hint, other)).exitCode).toBe(0);
      // Now locked to the moved tag: the check runs (and still conflicts on the deleted file).
      expect((await cli(['sync', 'check', '--to', '1.1.0'], other)).exitCode).toBe(1);
    } finally {
      await runGit(['tag', '--force', 'v1.1.0', ids.security], { cwd: upstreamWork });
    }
  });

  test('apply names the configured upstream', async () => {
    const run = await cli(['apply', '--out', path.join(tmp, 'build-base')]);
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain(`: git ${upstreamUrl} 1.0.0 + 4 patches (clean; 4 file(s) changed)`);
    expect(run.stdout).not.toContain('meshcentral');
  });
});

describe('sync check and the rebase on a release that deleted a patched file', () => {
  test('sync check: the culprit of the missing file is the commit that deleted it, not every commit that touched it', async () => {
    const run = await cli(['--json', 'sync', 'check']);
    expect(run.exitCode).toBe(1);
    const release = JSON.parse(run.stdout).releases[0];
    const old = release.patches[3].files[0];
    expect([old.path, old.status, old.culprits.map((c: { commit: string }) => c.commit), old.renamedTo]).toEqual([
      'old.js',
      'missing',
      [ids.removed],
      null,
    ]);
    // The absorbed patch is named as such, and the verdict says to drop it.
    expect(release.patches[2].status).toBe('already-applied');
    const text = await cli(['sync', 'check']);
    expect(text.stdout).toContain(
      `      old.js does not exist in 1.1.0\n        removed by ${ids.removed.slice(0, 10)} Remove old.js (Up Stream, 2026-01-05)\n`,
    );
    expect(text.stdout).toContain(
      'conflict: 1.1.0: 1 of 4 patches conflict (1 conflict, 1 needs-refresh, 1 already-applied, 1 offset); drop the 1 patch 1.1.0 already contains (the rebase drops it)\n',
    );
  });

  test('the rebase stops on the deleted file pointing to --skip from the start; status agrees; continue without a change says --skip, which finishes it', async () => {
    const rebase = await cli(['sync', 'rebase', '--to', '1.1.0', '--commit', '--summary', 'summary.md']);
    expect(rebase.exitCode).toBe(1);
    expect(rebase.stdout).toContain(
      'Conflict in patch 4/4 patch-old.patch ("Patch old") on 1.1.0:\n  old.js  (the patch changes it, but 1.1.0 has no such file)\n',
    );
    expect(rebase.stdout).not.toContain('<<<<<<<');
    expect(rebase.stdout).toContain('  meshfork sync continue --skip   # upstream removed what the patch changes');
    const status = await cli(['sync', 'status']);
    expect(status.stdout).toContain('old.js: gone from 1.1.0; drop the patch with `meshfork sync continue --skip`');
    expect(status.stdout).not.toContain('No conflict markers remain: run `meshfork sync continue`.');
    const plain = await cli(['--json', 'sync', 'continue']);
    expect(plain.exitCode).toBe(1);
    const hint = JSON.parse(plain.stdout).error.hint as string;
    expect(hint).toContain('`meshfork sync continue --skip`');
    const skipped = await cli(['--json', 'sync', 'continue', '--skip']);
    expect(skipped.exitCode).toBe(0);
    const summary = JSON.parse(skipped.stdout).summary;
    expect(
      summary.patches.map((p: { name: string; result: string; dropReason?: string }) => [p.name, p.result, p.dropReason ?? null]),
    ).toEqual([
      ['greet-twice.patch', 'moved', null],
      ['tune-lib.patch', 'refreshed', null],
      ['tune-conf.patch', 'dropped', 'upstream-contains'],
      ['patch-old.patch', 'dropped', 'skipped'],
    ]);
    expect(summary.patches[0].moves).toEqual([
      { path: 'app.js', oldStart: 7, newStart: 11 },
      { path: 'app.js', oldStart: 27, newStart: 31 },
    ]);
    // The refreshed patch: its churn, and the upstream commit behind the refresh.
    expect(summary.patches[1].culprits.map((c: { commit: string }) => c.commit)).toEqual([ids.lib]);
    expect(summary.securityCommits.map((c: { commit: string; subject: string }) => [c.commit, c.subject])).toEqual([
      [ids.security, 'Fix CVE-2026-1111 in the login form'],
    ]);
    const markdown = readFileSync(path.join(project, 'summary.md'), 'utf8');
    expect(markdown).toContain('| 3 | `tune-conf.patch` | dropped: upstream already contains it | - |');
    expect(markdown).toContain('| 4 | `patch-old.patch` | dropped: skipped by hand (sync continue --skip) | - |');
    expect(markdown).toContain(
      `Upstream commits between 1.0.0 and 1.1.0 that changed the lines it was made against:\n\n- \`${ids.lib.slice(0, 10)}\` Reword lib line 8 (Up Stream, 2026-01-03)`,
    );
    expect(markdown).toContain(
      `### Security: 1 upstream commit(s) between 1.0.0 and 1.1.0 mention security, CVE or vulnerability\n\n- \`${ids.security.slice(0, 10)}\` Fix CVE-2026-1111`,
    );
  });

  test('sync push: the recorded branch only, "nothing new" the second time, never the default branch', async () => {
    const branch = 'meshfork/upstream-1.1.0';
    const first = await cli(['sync', 'push']);
    expect([first.exitCode, first.stdout.trim()]).toEqual([
      0,
      expect.stringMatching(new RegExp(`^Pushed ${branch} \\([0-9a-f]{12}\\) to origin\\.$`)),
    ]);
    const remoteHead = await gitText(['rev-parse', `refs/heads/${branch}`], { cwd: remote });
    expect(remoteHead).toBe(await gitText(['rev-parse', branch], { cwd: project }));
    // Checked out: main, the default branch. Nothing pushes it.
    await runGit(['switch', '--quiet', 'main'], { cwd: project });
    const again = await cli(['--json', 'sync', 'push']);
    expect(JSON.parse(again.stdout)).toMatchObject({ branch, pushed: false });
    expect((await cli(['sync', 'push'])).stdout).toContain(`Nothing new: origin already has ${branch} at ${remoteHead.slice(0, 12)}.`);
    const refused = await cli(['--json', 'sync', 'push', '--branch', 'main']);
    expect(refused.exitCode).toBe(2);
    expect(JSON.parse(refused.stdout).error).toMatchObject({
      code: 'USAGE',
      message: expect.stringContaining('refusing to push main: it is the default branch of origin'),
    });
    expect((await runHint(JSON.parse(refused.stdout).error.hint as string)).exitCode).toBe(0);
    expect(await gitText(['for-each-ref', '--format=%(refname)', 'refs/heads/'], { cwd: remote })).toBe(
      `refs/heads/main\nrefs/heads/${branch}`,
    );
  });

  test('sync push with no recorded branch refuses, naming what to do', async () => {
    const other = path.join(tmp, 'unrecorded');
    await writeProjectFiles(other);
    await runGit(['init', '--quiet', '--initial-branch=main'], { cwd: other });
    const run = await cli(['--json', 'sync', 'push'], other);
    expect(run.exitCode).toBe(2);
    expect(JSON.parse(run.stdout).error.message).toContain('nothing to push: no refresh branch was recorded');
    expect(existsSync(path.join(other, '.meshfork', 'last-commit.json'))).toBe(false);
  });
});
