/*
 * The live series moved to another release the way the weekly upstream sync moves it, in a copy of this
 * repository: `meshfork sync rebase --to X --commit` to another release from the npm registry (the second
 * release the payload supports) and to a synthetic newer release of a local git upstream the test builds
 * (the base with lines inserted near the top of webserver.js, so every webserver.js hunk moves). After each:
 * the rebase commit touches only the live project files (config, lock, patches/, files/), `meshfork verify`
 * passes on the moved series, and no tool test reads them (test/support/liveReads.ts), so the tool's tests
 * cannot move; the payload's tests read the new base (test/payload/support/liveBase.ts).
 *
 * The full `npm test` in such a copy is too slow for CI; UPSTREAM_SYNC.md records the by-hand run.
 */
import { execFile, execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import semver from 'semver';
import { loadSeries } from '../../../src/series/load';
import { trailerValue } from '../../../src/series/types';
import { gitText, runGit } from '../../../src/tools/git';
import { SHARED_CACHE } from '../../support/cache';
import { ensureBuilt, MESHFORK_BIN } from '../../support/cli';
import { buildGitUpstream, commitFiles, push, tag, type GitUpstream } from '../../support/gitUpstream';
import { findLiveReads } from '../../support/liveReads';
import { REPO_ROOT } from '../../support/release';
import { LIVE_BASE, SECOND_RELEASE } from '../support/liveBase';
import { LIVE_TREES, liveReleaseFile } from '../support/liveRelease';

jest.setTimeout(600_000);

const BOT = {
  GIT_AUTHOR_NAME: 'sync-bot',
  GIT_AUTHOR_EMAIL: 'bot@example.invalid',
  GIT_COMMITTER_NAME: 'sync-bot',
  GIT_COMMITTER_EMAIL: 'bot@example.invalid',
};
/** The files a rebase may change: the live project, never a tool test, a fixture or the tool. */
const LIVE_FILE = /^(meshfork\.config\.json|meshfork\.lock\.json|patches\/[^/]+|files\/.+)$/;

/** An npm release pinned in the live lock other than the base: the second release, or (when the base is it) the newest other one. */
function otherNpmRelease(): string {
  const lock = JSON.parse(readFileSync(path.join(REPO_ROOT, 'meshfork.lock.json'), 'utf8')) as {
    upstreams: Record<string, Record<string, unknown>>;
  };
  const config = JSON.parse(readFileSync(path.join(REPO_ROOT, 'meshfork.config.json'), 'utf8')) as { supports: string };
  const pinned = Object.keys(lock.upstreams['npm:meshcentral'] ?? {}).filter(
    (v) => v !== LIVE_BASE && semver.satisfies(v, config.supports),
  );
  if (pinned.includes(SECOND_RELEASE)) return SECOND_RELEASE;
  const newest = pinned.sort(semver.rcompare)[0];
  if (!newest) throw new Error('the live lock pins no npm release besides the base');
  return newest;
}

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'meshfork-rebase-live-'));
  ensureBuilt();
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The repository's files (tracked, and new ones git does not ignore) copied to `dest`, committed as one commit. */
async function copyRepository(dest: string): Promise<string> {
  const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: REPO_ROOT })
    .toString('utf8')
    .split('\0')
    .filter(Boolean);
  for (const file of new Set(listed)) {
    const from = path.join(REPO_ROOT, file);
    try {
      mkdirSync(path.dirname(path.join(dest, file)), { recursive: true });
      cpSync(from, path.join(dest, file));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error; // deleted in the work tree, not yet in the index
    }
  }
  await runGit(['init', '-q', '-b', 'main'], { cwd: dest });
  await runGit(['add', '-A'], { cwd: dest });
  await runGit(['commit', '-q', '-m', 'the repository'], { cwd: dest, env: BOT });
  return dest;
}

function meshfork(cwd: string, args: string[], cache: string): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...BOT, MESHFORK_CACHE: cache };
  delete env.CI;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [MESHFORK_BIN, '-C', cwd, ...args],
      { env, maxBuffer: 64 * 1024 * 1024, timeout: 540_000 },
      (error, stdout, stderr) => {
        const code = error ? (error as { code?: unknown }).code : 0;
        resolve({ exitCode: typeof code === 'number' ? code : -1, stdout, stderr });
      },
    );
  });
}

/** Rebase the copy to `target` with --commit, then check what the commit touched, verify and the tool tests' reads. */
async function rebaseAndCheck(copy: string, target: string, cache: string): Promise<string> {
  const before = await gitText(['rev-parse', 'HEAD'], { cwd: copy });
  const rebase = await meshfork(copy, ['sync', 'rebase', '--to', target, '--commit', '--non-interactive'], cache);
  expect({ exitCode: rebase.exitCode, stderr: rebase.stderr }).toEqual({ exitCode: 0, stderr: '' });
  expect(rebase.stdout.split('\n')[0]).toBe(`Rebased the series from ${LIVE_BASE} to ${target}:`);

  const touched = (await gitText(['diff', '--name-only', before, 'HEAD'], { cwd: copy })).split('\n').filter(Boolean);
  expect(touched).toContain('meshfork.config.json');
  expect(touched.filter((f) => !LIVE_FILE.test(f))).toEqual([]);
  expect(await gitText(['status', '--porcelain'], { cwd: copy })).toBe('');
  expect((JSON.parse(readFileSync(path.join(copy, 'meshfork.config.json'), 'utf8')) as { base: string }).base).toBe(target);
  const series = await loadSeries(path.join(copy, 'patches'));
  expect(series.patches.map((p) => trailerValue(p.header, 'Meshfork-Base'))).toEqual(series.patches.map(() => target));

  const verify = await meshfork(copy, ['verify'], cache);
  expect({ exitCode: verify.exitCode, last: verify.stdout.trimEnd().split('\n').at(-1) }).toEqual({
    exitCode: 0,
    last: expect.stringMatching(/^verify: ok \(\d+ passed\)$/),
  });
  expect(findLiveReads(copy)).toEqual([]);
  return rebase.stdout;
}

test('to another npm release: only the live project files move, verify passes, no tool test reads them', async () => {
  const copy = await copyRepository(path.join(tmp, 'npm'));
  await rebaseAndCheck(copy, otherNpmRelease(), SHARED_CACHE);
});

test('to a synthetic newer release of a local git upstream: the same', async () => {
  const releases = [...new Set([SECOND_RELEASE, LIVE_BASE])].sort(semver.compare);
  mkdirSync(path.join(tmp, 'git'));
  const upstream: GitUpstream = await buildGitUpstream(path.join(tmp, 'git'), releases, LIVE_TREES);
  const newer = semver.inc(LIVE_BASE, 'patch') as string;
  await runGit(['checkout', '-q', '-B', 'next', `v${LIVE_BASE}`], { cwd: upstream.workDir });
  const webserver = liveReleaseFile(LIVE_BASE, 'webserver.js');
  const firstLine = webserver.indexOf('\r\n') + 2;
  const moved = `${webserver.slice(0, firstLine)}// ${newer}: two lines more near the top\r\n//\r\n${webserver.slice(firstLine)}`;
  await commitFiles(upstream.workDir, { 'webserver.js': moved }, `MeshCentral ${newer}`);
  await tag(upstream.workDir, `v${newer}`);
  await push(upstream.workDir);

  const copy = await copyRepository(path.join(tmp, 'git', 'copy'));
  const configFile = path.join(copy, 'meshfork.config.json');
  const config = JSON.parse(readFileSync(configFile, 'utf8')) as Record<string, unknown>;
  writeFileSync(
    configFile,
    `${JSON.stringify({ ...config, upstream: { source: 'git', url: upstream.url, tagPattern: 'v*' } }, null, 2)}\n`,
  );
  await runGit(['commit', '-q', '-am', 'take upstream from the local git repository'], { cwd: copy, env: BOT });
  const summary = await rebaseAndCheck(copy, newer, path.join(tmp, 'git', 'cache'));
  // the fault landed: every webserver.js hunk of the series moved down by the two lines
  const moves = [...summary.matchAll(/webserver\.js (\d+)→(\d+)/g)].map((m) => Number(m[2]) - Number(m[1]));
  expect(moves.length).toBeGreaterThan(0);
  expect(moves).toEqual(moves.map(() => 2));
});
