/*
 * Faults: SIGKILL during `meshfork export` and `meshfork sync rebase` at seeded moments aimed at
 * every phase. After each run the project (patches/, config, lock) is exactly the old state or
 * exactly the new one: export's half-done swap is recovered as every command does first; a killed
 * rebase is either undone by `sync abort` (byte for byte) or finished by `sync continue` (the same
 * bytes an uninterrupted rebase writes), alternately. The next run always succeeds.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { edit } from '../../src/commands/edit';
import { exportCommand } from '../../src/commands/export';
import { syncAbort } from '../../src/commands/syncAbort';
import { syncContinue } from '../../src/commands/syncContinue';
import { syncRebase } from '../../src/commands/syncRebase';
import { upstreamFetch } from '../../src/commands/upstreamFetch';
import { recoverPatchesSwap, swapPaths } from '../../src/series/patchesSwap';
import { isMeshforkError } from '../../src/errors';
import { runGit } from '../../src/tools/git';
import { readTree } from '../../src/rebase/backup';
import { ensureBuilt } from '../support/cli';
import { buildSmallProject, type SmallProject } from '../support/smallProject';
import { STARTUP } from '../support/traced';
import { killLoop, killTallies, type KillResult, type Workload } from './support/killLoop';
import { ageDeadLocks } from './support/staleLocks';
import { writeTally } from './support/tally';

type Snapshot = Record<string, string>;

let tmp: string;
let rebaseOutcomes = { aborted: 0, continued: 0, refused: 0 };
const results: KillResult[] = [];

beforeAll(() => {
  ensureBuilt();
  tmp = mkdtempSync(path.join(os.tmpdir(), 'meshfork-kill-project-'));
});

afterAll(() => {
  const { counts, targets } = killTallies(results);
  counts['sync rebase: killed rebases undone by abort'] = rebaseOutcomes.aborted;
  counts['sync rebase: killed rebases finished by continue'] = rebaseOutcomes.continued;
  counts['sync rebase: continue refused before the workspace was ready (then abort)'] = rebaseOutcomes.refused;
  targets['sync rebase: killed rebases undone by abort'] = 1;
  targets['sync rebase: killed rebases finished by continue'] = 1;
  writeTally(__filename, { title: 'SIGKILL during export and sync rebase', counts, targets });
  rmSync(tmp, { recursive: true, force: true });
});

/** patches/ (every file), the config and the lock, as base64 by path. */
async function projectState(dir: string): Promise<Snapshot> {
  const out: Snapshot = {};
  for (const [name, data] of await readTree(path.join(dir, 'patches'))) out[`patches/${name}`] = data.toString('base64');
  for (const file of ['meshfork.config.json', 'meshfork.lock.json'])
    if (existsSync(path.join(dir, file))) out[file] = readFileSync(path.join(dir, file)).toString('base64');
  return out;
}

function restoreState(dir: string, saved: string): void {
  rmSync(path.join(dir, 'patches'), { recursive: true, force: true });
  cpSync(path.join(saved, 'patches'), path.join(dir, 'patches'), { recursive: true });
  for (const file of ['meshfork.config.json', 'meshfork.lock.json']) cpSync(path.join(saved, file), path.join(dir, file));
}

function saveState(dir: string, saved: string): void {
  mkdirSync(saved, { recursive: true });
  cpSync(path.join(dir, 'patches'), path.join(saved, 'patches'), { recursive: true });
  for (const file of ['meshfork.config.json', 'meshfork.lock.json']) cpSync(path.join(dir, file), path.join(saved, file));
}

const same = (a: Snapshot, b: Snapshot): boolean => JSON.stringify(a) === JSON.stringify(b);

test('SIGKILL during `meshfork export`: patches/ is the old set or the new set, the next export succeeds', async () => {
  const small: SmallProject = buildSmallProject(path.join(tmp, 'export'), 60);
  const cache = path.join(tmp, 'export-cache');
  await edit({ cwd: small.dir, cacheDir: cache });
  // Reword the first patch: export renames its file and rewrites the series.
  const identity = {
    GIT_AUTHOR_NAME: 'A',
    GIT_AUTHOR_EMAIL: 'a@example.invalid',
    GIT_COMMITTER_NAME: 'A',
    GIT_COMMITTER_EMAIL: 'a@example.invalid',
  };
  await runGit(['-c', 'sequence.editor=sed -i 1s/^pick/reword/', 'rebase', '-q', '-i', 'upstream'], {
    cwd: path.join(small.dir, '.meshfork', 'work'),
    env: { ...identity, GIT_EDITOR: "sed -i '1s/greeting/friendly greeting/'" },
  });
  // Notes beside the patches, carried over by export, give the write and cleanup phases some length.
  mkdirSync(path.join(small.dir, 'patches', 'notes'));
  for (let i = 0; i < 60; i++) writeFileSync(path.join(small.dir, 'patches', 'notes', `note-${i}.txt`), `note ${i}\n`.repeat(20));
  const saved = path.join(tmp, 'export-old');
  saveState(small.dir, saved);
  const oldState = await projectState(small.dir);
  await exportCommand({ cwd: small.dir });
  const newState = await projectState(small.dir);
  expect(Object.keys(newState)).toContain('patches/add-a-friendly-greeting.patch');
  restoreState(small.dir, saved);

  const oldPhases = new Set([STARTUP, 'lock:held', 'export:read', 'patches:write']);
  let run = 0;
  const workload: Workload = {
    name: 'export',
    phases: [STARTUP, 'lock:held', 'export:read', 'patches:write', 'patches:swap', 'patches:cleanup'],
    kills: 80,
    cwd: small.dir,
    args: ['-C', small.dir, 'export'],
    env: { MESHFORK_CACHE: cache },
    prepare: async () => restoreState(small.dir, saved),
    verify: async (traced) => {
      const at = traced.killed ? traced.landed : 'finished';
      const label = `export run ${run++} (${at})`;
      if (!traced.killed) expect({ label, code: traced.code, stderr: traced.stderr }).toEqual({ label, code: 0, stderr: '' });
      const recovery = await recoverPatchesSwap(path.join(small.dir, 'patches'));
      const now = await projectState(small.dir);
      const which = same(now, oldState) ? 'old' : same(now, newState) ? 'new' : 'mixed';
      // Killed between the swap's two renames either set is right; before the swap only the old one, after it only the new one.
      const wanted = at === 'patches:swap' ? (which === 'mixed' ? 'old or new' : which) : oldPhases.has(at) ? 'old' : 'new';
      expect({ label, which, recovered: at === 'patches:swap' ? recovery !== 'none' : true }).toEqual({
        label,
        which: wanted,
        recovered: true,
      });
      const { fresh, retired } = swapPaths(path.join(small.dir, 'patches'));
      expect({ label, leftovers: [fresh, retired].filter((p) => existsSync(p)) }).toEqual({ label, leftovers: [] });
      // The next export (a killed holder's project lock is taken over) writes the new set.
      await exportCommand({ cwd: small.dir });
      expect({ label, next: same(await projectState(small.dir), newState) }).toEqual({ label, next: true });
      return 4;
    },
  };
  const counts = await killLoop(workload, 0xe4907);
  results.push({ name: workload.name, counts, workload });
  expect(workload.phases.filter((p) => !counts.landed.has(p))).toEqual([]);
  expect(counts.kills).toBeGreaterThanOrEqual(workload.kills);
}, 1_800_000);

test('SIGKILL during `meshfork sync rebase`: abort restores the old state byte for byte, continue finishes to the new one', async () => {
  const small: SmallProject = buildSmallProject(path.join(tmp, 'rebase'), 60);
  const cache = path.join(tmp, 'rebase-cache');
  // Both releases cached and pinned, so kills land in the rebase rather than in downloads.
  await upstreamFetch({ cwd: small.dir, versions: ['1.0.0', '1.1.0'], cacheDir: cache });
  const saved = path.join(tmp, 'rebase-old');
  saveState(small.dir, saved);
  const oldState = await projectState(small.dir);
  const done = await syncRebase({ cwd: small.dir, to: '1.1.0', cacheDir: cache });
  expect(done.status).toBe('done');
  const newState = await projectState(small.dir);
  expect(same(newState, oldState)).toBe(false);
  const reset = (): void => {
    rmSync(path.join(small.dir, '.meshfork'), { recursive: true, force: true });
    restoreState(small.dir, saved);
  };
  reset();

  let run = 0;
  let aborted = 0;
  let continued = 0;
  let refused = 0;
  const workload: Workload = {
    name: 'sync rebase',
    phases: [STARTUP, 'lock:held', 'rebase:backup', 'rebase:workspace', 'rebase:steps', 'rebase:export', 'rebase:config', 'rebase:cleanup'],
    kills: 40,
    cwd: small.dir,
    args: ['-C', small.dir, 'sync', 'rebase', '--to', '1.1.0'],
    env: { MESHFORK_CACHE: cache },
    prepare: async () => reset(),
    verify: async (traced) => {
      const at = traced.killed ? traced.landed : 'finished';
      const label = `rebase run ${run++} (${at})`;
      ageDeadLocks(cache);
      if (!traced.killed) {
        expect({ label, code: traced.code, stderr: traced.stderr }).toEqual({ label, code: 0, stderr: '' });
        expect({ label, state: same(await projectState(small.dir), newState) }).toEqual({ label, state: true });
        return 2;
      }
      if (existsSync(path.join(small.dir, '.meshfork', 'rebase.json'))) {
        if (run % 2 === 0) {
          await syncAbort({ cwd: small.dir });
          aborted += 1;
          expect({ label, next: 'abort', state: same(await projectState(small.dir), oldState) }).toEqual({
            label,
            next: 'abort',
            state: true,
          });
        } else if (!('head' in JSON.parse(readFileSync(path.join(small.dir, '.meshfork', 'rebase.json'), 'utf8')))) {
          // Killed before the workspace was ready: continue refuses, as documented, and abort is the way back.
          const refusal = await syncContinue({ cwd: small.dir, cacheDir: cache }).catch((e: unknown) => e);
          expect({
            label,
            code: isMeshforkError(refusal) && refusal.code,
            message: (refusal as Error).message,
            hint: isMeshforkError(refusal) && refusal.hint,
          }).toEqual({
            label,
            code: 'STATE_INVALID',
            message: 'the rebase was interrupted before its workspace was ready',
            hint: 'run `meshfork sync abort`, then start the rebase again',
          });
          await syncAbort({ cwd: small.dir });
          refused += 1;
          expect({ label, next: 'abort after refused continue', state: same(await projectState(small.dir), oldState) }).toEqual({
            label,
            next: 'abort after refused continue',
            state: true,
          });
        } else {
          const report = await syncContinue({ cwd: small.dir, cacheDir: cache });
          continued += 1;
          expect({ label, next: 'continue', status: report.status, state: same(await projectState(small.dir), newState) }).toEqual({
            label,
            next: 'continue',
            status: 'done',
            state: true,
          });
        }
        return 2;
      }
      // No rebase recorded: killed before it started (old state) or after it finished (new state).
      await recoverPatchesSwap(path.join(small.dir, 'patches'));
      const now = await projectState(small.dir);
      const which = same(now, oldState) ? 'old' : same(now, newState) ? 'new' : 'mixed';
      expect({ label, which: which === 'mixed' ? 'mixed' : 'old or new' }).toEqual({ label, which: 'old or new' });
      if (which === 'old') {
        const report = await syncRebase({ cwd: small.dir, to: '1.1.0', cacheDir: cache });
        expect({ label, next: 'rebase', status: report.status, state: same(await projectState(small.dir), newState) }).toEqual({
          label,
          next: 'rebase',
          status: 'done',
          state: true,
        });
      }
      return 2;
    },
  };
  const counts = await killLoop(workload, 0x4eba5e);
  results.push({ name: workload.name, counts, workload });
  expect(workload.phases.filter((p) => !counts.landed.has(p))).toEqual([]);
  expect(counts.kills).toBeGreaterThanOrEqual(workload.kills);
  expect(aborted).toBeGreaterThan(0);
  expect(continued).toBeGreaterThan(0);
  rebaseOutcomes = { aborted, continued, refused };
}, 1_800_000);
