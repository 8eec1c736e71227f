/*
 * Faults: SIGKILL during `meshfork import mbox`, `meshfork import quilt` and `meshfork build
 * --context-only DIR` (context writing; no docker runs) at seeded moments aimed at every phase.
 * After each import the project (patches/, series, config, lock) is exactly the old state or exactly
 * the imported one, and the next import (when the old state stands) succeeds. After each build the
 * context folder is absent or byte-identical to an uninterrupted run's, the project is unchanged,
 * and the next build succeeds and removes what the killed one left beside DIR.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from '../../src/commands/build';
import { importMbox } from '../../src/commands/importMbox';
import { importQuilt } from '../../src/commands/importQuilt';
import { upstreamFetch } from '../../src/commands/upstreamFetch';
import { BUILD_NPM, npmTarballForBuild } from '../../src/image/npmForBuild';
import { recoverPatchesSwap, swapPaths } from '../../src/series/patchesSwap';
import { treeDifferences, treeListing } from '../integration/upstreamFixtures';
import { SHARED_CACHE } from '../support/cache';
import { ensureBuilt } from '../support/cli';
import { JWT_SERIES_FIXTURE } from '../support/jwtSeriesFixture';
import { buildSmallProject, type SmallProject } from '../support/smallProject';
import { STARTUP, type TracedRun } from '../support/traced';
import { killLoop, killTallies, type KillResult, type Workload } from './support/killLoop';
import { projectState, restoreState, sameState, saveState, type Snapshot } from './support/projectState';
import { ageDeadLocks } from './support/staleLocks';
import { writeTally } from './support/tally';

const GIT_ENV = {
  ...process.env,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_AUTHOR_NAME: 'Contributor',
  GIT_AUTHOR_EMAIL: 'c@example.invalid',
  GIT_COMMITTER_NAME: 'Contributor',
  GIT_COMMITTER_EMAIL: 'c@example.invalid',
  GIT_AUTHOR_DATE: '1767312000 +0000',
  GIT_COMMITTER_DATE: '1767312000 +0000',
};
/** Fixed, so every uninterrupted build writes the same context bytes (the creation label). */
const SOURCE_DATE_EPOCH = '1767225600';

let tmp: string;
let small: SmallProject;
let cache: string;
let saved: string;
let oldState: Snapshot;
const results: KillResult[] = [];
const nextRuns = { imports: 0, builds: 0 };

function git(cwd: string, args: string[]): string {
  return execFileSync('git', args, { cwd, env: GIT_ENV, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Commits on v1.0.0 that touch files the series leaves alone: `edits` is file -> [old line, new line]. */
function contribution(branch: string, edits: [string, string, string][]): void {
  const work = small.upstreamWork;
  git(work, ['checkout', '--quiet', '-B', branch, 'v1.0.0']);
  for (const [file, from, to] of edits) {
    const full = path.join(work, file);
    writeFileSync(full, execFileSync('sed', [`s/${from}/${to}/`, full]));
    git(work, ['commit', '--quiet', '-am', `Change ${file}`]);
  }
  git(work, ['checkout', '--quiet', 'main']);
}

beforeAll(async () => {
  ensureBuilt();
  tmp = mkdtempSync(path.join(os.tmpdir(), 'meshfork-kill-import-build-'));
  small = buildSmallProject(tmp, 60);
  cache = path.join(tmp, 'cache');
  // The base release cached, so kills land in the commands rather than in a first download (killApply covers cache fills).
  await upstreamFetch({ cwd: small.dir, versions: ['1.0.0'], cacheDir: cache });
  // The image's dependency lock, made for the release's package.json (no dependencies), so build never asks the registry.
  mkdirSync(path.join(small.dir, 'image'));
  const lock = {
    name: 'meshcentral',
    version: '1.0.0',
    lockfileVersion: 3,
    requires: true,
    packages: { '': { name: 'meshcentral', version: '1.0.0' } },
  };
  writeFileSync(path.join(small.dir, 'image', 'package-lock.json'), `${JSON.stringify(lock, null, 2)}\n`);
  // The image's config renderer, the payload's contract with the entrypoint (config image.assets): the frozen fixture's.
  cpSync(path.join(JWT_SERIES_FIXTURE, 'image', 'assets'), path.join(small.dir, 'image', 'assets'), { recursive: true });
  const configFile = path.join(small.dir, 'meshfork.config.json');
  const config = JSON.parse(readFileSync(configFile, 'utf8')) as { image?: Record<string, unknown> };
  writeFileSync(configFile, `${JSON.stringify({ ...config, image: { ...config.image, assets: 'image/assets' } }, null, 2)}\n`);
  // The npm the image installs with: fetched once into the shared cache (checked against its pinned integrity), copied in.
  mkdirSync(path.join(cache, 'image'), { recursive: true });
  copyFileSync(await npmTarballForBuild(SHARED_CACHE), path.join(cache, 'image', `npm-${BUILD_NPM.version}.tgz`));
  saved = path.join(tmp, 'saved');
  saveState(small.dir, saved);
  oldState = await projectState(small.dir);
}, 300_000);

afterAll(() => {
  const { counts, targets } = killTallies(results);
  counts['imports run again after a kill left the old state'] = nextRuns.imports;
  counts['builds run again after a kill'] = nextRuns.builds;
  targets['imports run again after a kill left the old state'] = 1;
  targets['builds run again after a kill'] = 1;
  writeTally(__filename, { title: 'SIGKILL during import and build context writing', counts, targets });
  rmSync(tmp, { recursive: true, force: true });
});

/** The import phases: the shared start, reading the input, the strict check, and patches/ written as a set. */
const IMPORT_PHASES = [STARTUP, 'import:read', 'import:check', 'patches:write', 'patches:cleanup'];
/**
 * Aimed at but not required: `lock:held` is followed at once by `import:read`, and the swap is two
 * renames (well under a millisecond) that a loaded machine often misses in a run of this length.
 * The swap is export's replacePatchesDir, whose kill test (killProject) requires a hit in it.
 */
const IMPORT_SHORT_PHASES = ['lock:held', 'patches:swap'];
/**
 * Before the swap's renames only the old set may stand (the check opens the upstream, so a kill may
 * also land in a cache phase there); between them either; after them only the imported one.
 */
const AFTER_SWAP = new Set(['patches:cleanup', 'patches:done', 'lock:released']);

function importWorkload(name: string, kills: number, args: string[], runImport: () => Promise<unknown>, newState: Snapshot): Workload {
  let run = 0;
  return {
    name,
    phases: IMPORT_PHASES,
    alsoAimed: IMPORT_SHORT_PHASES,
    kills,
    cwd: small.dir,
    args: ['-C', small.dir, ...args],
    env: { MESHFORK_CACHE: cache },
    prepare: async () => restoreState(small.dir, saved),
    verify: async (traced: TracedRun) => {
      const at = traced.killed ? traced.landed : 'finished';
      const label = `${name} run ${run++} (${at})`;
      if (!traced.killed) expect({ label, code: traced.code, stderr: traced.stderr }).toEqual({ label, code: 0, stderr: '' });
      ageDeadLocks(cache);
      // What every command does first (loadSeries): finish or undo a swap the kill interrupted.
      const recovery = await recoverPatchesSwap(path.join(small.dir, 'patches'));
      const now = await projectState(small.dir);
      const which = sameState(now, oldState) ? 'old' : sameState(now, newState) ? 'new' : 'mixed';
      const wanted =
        at === 'patches:swap' ? (which === 'mixed' ? 'old or new' : which) : at === 'finished' || AFTER_SWAP.has(at) ? 'new' : 'old';
      expect({ label, which, recovered: at === 'patches:swap' ? recovery !== 'none' : true }).toEqual({
        label,
        which: wanted,
        recovered: true,
      });
      const { fresh, retired } = swapPaths(path.join(small.dir, 'patches'));
      expect({ label, leftovers: [fresh, retired].filter((p) => existsSync(p)) }).toEqual({ label, leftovers: [] });
      if (which === 'old') {
        // The next import (a killed holder's project lock is taken over) writes the imported set.
        await runImport();
        nextRuns.imports += 1;
        expect({ label, next: sameState(await projectState(small.dir), newState) }).toEqual({ label, next: true });
      }
      return 3;
    },
  };
}

async function runImportLoop(name: string, kills: number, seed: number, args: string[], runImport: () => Promise<unknown>): Promise<void> {
  restoreState(small.dir, saved);
  await runImport();
  const newState = await projectState(small.dir);
  expect(sameState(newState, oldState)).toBe(false);
  const workload = importWorkload(name, kills, args, runImport, newState);
  const counts = await killLoop(workload, seed);
  results.push({ name, counts, workload });
  expect(workload.phases.filter((p) => !counts.landed.has(p))).toEqual([]);
  expect(counts.kills).toBeGreaterThanOrEqual(workload.kills);
}

test('SIGKILL during `meshfork import mbox`: the project holds the old series or the imported one, the next import succeeds', async () => {
  contribution('mbox', [
    ['lib1/file-1.js', 'line 12 of file 1;', 'line 12 of file 1 (mbox);'],
    ['lib4/file-4.js', 'line 7 of file 4;', 'line 7 of file 4 (mbox);'],
  ]);
  const mbox = path.join(tmp, 'contribution.mbox');
  writeFileSync(mbox, git(small.upstreamWork, ['format-patch', '--stdout', 'v1.0.0..mbox']));
  await runImportLoop('import mbox', 25, 0x3b0c5, ['import', 'mbox', mbox], () =>
    importMbox({ cwd: small.dir, files: [mbox], cacheDir: cache }),
  );
}, 600_000);

test('SIGKILL during `meshfork import quilt`: the project holds the old series or the imported one, the next import succeeds', async () => {
  contribution('quilt', [
    ['lib2/file-2.js', 'line 3 of file 2;', 'line 3 of file 2 (quilt);'],
    ['lib5/file-5.js', 'line 33 of file 5;', 'line 33 of file 5 (quilt);'],
  ]);
  const quilt = path.join(tmp, 'debian-patches');
  mkdirSync(quilt);
  // One patch as `git diff` writes it (-p1), one with bare paths (-p0), as Debian trees have both.
  writeFileSync(
    path.join(quilt, '01-file-2.patch'),
    `Description: change file 2\n---\n${git(small.upstreamWork, ['diff', 'v1.0.0', 'quilt~1', '--', 'lib2'])}`,
  );
  writeFileSync(path.join(quilt, '02-file-5.patch'), git(small.upstreamWork, ['diff', '--no-prefix', 'quilt~1', 'quilt', '--', 'lib5']));
  writeFileSync(path.join(quilt, 'series'), '01-file-2.patch\n02-file-5.patch -p0\n');
  await runImportLoop('import quilt', 25, 0x9017, ['import', 'quilt', quilt], () =>
    importQuilt({ cwd: small.dir, dir: quilt, cacheDir: cache }),
  );
}, 600_000);

test('SIGKILL during `meshfork build --context-only DIR`: DIR is absent or complete, the project unchanged, the next build succeeds', async () => {
  restoreState(small.dir, saved);
  const out = path.join(tmp, 'contexts', 'image');
  const env = { ...process.env, MESHFORK_CACHE: cache, SOURCE_DATE_EPOCH };
  const buildAgain = () => build({ cwd: small.dir, contextOnly: out, force: true, cacheDir: cache, env });
  await buildAgain();
  const expected = treeListing(out);
  expect([...expected.keys()]).toEqual(
    expect.arrayContaining([
      'Dockerfile',
      'build.sh',
      'deps/package-lock.json',
      'npm/npm.tgz',
      'series/greeting.txt',
      'release/package.json',
    ]),
  );
  const leftovers = (): string[] => readdirSync(path.dirname(out)).filter((n) => n !== path.basename(out));
  let run = 0;
  const workload: Workload = {
    name: 'build context',
    phases: [STARTUP, 'build:apply', 'context:release', 'context:series', 'context:files', 'context:publish'],
    kills: 35,
    cwd: small.dir,
    args: ['-C', small.dir, 'build', '--context-only', out, '--force'],
    env: { MESHFORK_CACHE: cache, SOURCE_DATE_EPOCH },
    prepare: async () => {
      rmSync(out, { recursive: true, force: true });
    },
    verify: async (traced) => {
      const at = traced.killed ? traced.landed : 'finished';
      const label = `build context run ${run++} (${at})`;
      if (!traced.killed) expect({ label, code: traced.code, stderr: traced.stderr }).toEqual({ label, code: 0, stderr: '' });
      ageDeadLocks(cache);
      const present = existsSync(out);
      // Renamed into place last: a kill before the rename leaves no DIR, one after it a complete DIR.
      expect({
        label,
        present: present ? 'complete' : 'absent',
        differences: present ? treeDifferences(treeListing(out), expected) : [],
      }).toEqual({
        label,
        present:
          at === 'finished' || at === 'context:done' ? 'complete' : at === 'context:publish' ? (present ? 'complete' : 'absent') : 'absent',
        differences: [],
      });
      expect({ label, project: sameState(await projectState(small.dir), oldState) }).toEqual({ label, project: true });
      if (!traced.killed) return 3;
      await buildAgain();
      nextRuns.builds += 1;
      expect({ label, next: treeDifferences(treeListing(out), expected), leftovers: leftovers() }).toEqual({
        label,
        next: [],
        leftovers: [],
      });
      return 4;
    },
  };
  const counts = await killLoop(workload, 0xb01d);
  results.push({ name: workload.name, counts, workload });
  expect(workload.phases.filter((p) => !counts.landed.has(p))).toEqual([]);
  expect(counts.kills).toBeGreaterThanOrEqual(workload.kills);
}, 900_000);
