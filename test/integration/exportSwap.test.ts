/*
 * patches/ is replaced as a set. First every intermediate state of the swap is built by hand and
 * recovered; then the real `meshfork export` binary is killed with SIGKILL at seeded moments aimed at
 * each phase (the phase each kill landed in is read from its trace, and every phase must be hit), and
 * after each kill patches/ (once recovered, as every command does first) is exactly the old set or
 * exactly the new set.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { edit } from '../../src/commands/edit';
import { runGit } from '../../src/tools/git';
import { readTree } from '../../src/rebase/backup';
import { recoverPatchesSwap, replacePatchesDir, swapPaths } from '../../src/series/patchesSwap';
import { ensureBuilt } from '../support/cli';
import { mulberry32 } from '../support/random';
import { phaseDurations, runTraced, STARTUP, type TracedRun } from '../support/traced';
import { SHARED_CACHE } from '../support/cache';

const FIXTURE_SERIES = path.join(__dirname, '..', 'fixtures', 'series-1.1.55');

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'meshfork-swap-'));
  ensureBuilt();
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

type Snapshot = Record<string, string>;

async function snapshot(dir: string): Promise<Snapshot> {
  const out: Snapshot = {};
  for (const [name, data] of await readTree(dir)) out[name] = data.toString('latin1');
  return out;
}

function writeSet(dir: string, files: Snapshot): void {
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text, 'latin1');
}

describe('recovery of each interrupted state', () => {
  const OLD = { series: 'a.patch\n', 'a.patch': 'old a\n' };
  const NEW = { series: 'b.patch\n', 'b.patch': 'new b\n', 'README.md': 'kept\n' };
  let patches: string;
  let fresh: string;
  let retired: string;
  beforeEach(() => {
    const root = mkdtempSync(path.join(tmp, 'states-'));
    patches = path.join(root, 'patches');
    ({ fresh, retired } = swapPaths(patches));
  });

  test('killed while writing the new set: the old set stands', async () => {
    writeSet(patches, OLD);
    writeSet(fresh, { series: 'b.pa' });
    expect(await recoverPatchesSwap(patches)).toBe('rolled-back');
    expect(await snapshot(patches)).toEqual(OLD);
  });

  test('killed between the two renames: the complete new set is moved in', async () => {
    writeSet(retired, OLD);
    writeSet(fresh, NEW);
    expect(await recoverPatchesSwap(patches)).toBe('completed');
    expect(await snapshot(patches)).toEqual(NEW);
  });

  test('killed before cleanup: the new set stays, the old copy goes', async () => {
    writeSet(retired, OLD);
    writeSet(patches, NEW);
    expect(await recoverPatchesSwap(patches)).toBe('completed');
    expect(await snapshot(patches)).toEqual(NEW);
  });

  test('nothing pending: nothing happens; a full replace swaps the set', async () => {
    writeSet(patches, OLD);
    expect(await recoverPatchesSwap(patches)).toBe('none');
    await replacePatchesDir(patches, new Map(Object.entries(NEW).map(([k, v]) => [k, Buffer.from(v)])));
    expect(await snapshot(patches)).toEqual(NEW);
    expect(await recoverPatchesSwap(patches)).toBe('none');
  });
});

/** Run `meshfork export` uninterrupted (no trace needed) and return its exit code. */
async function exportOnce(project: string, command = 'export'): Promise<TracedRun> {
  return runTraced(['-C', project, ...command.split(' ')], { cwd: project, env: { MESHFORK_CACHE: SHARED_CACHE } });
}

/** The phases of an export that changes patches/, in order (src/util/tracePhase.ts markers). */
const EXPORT_PHASES = [STARTUP, 'export:read', 'patches:write', 'patches:swap', 'patches:cleanup'];
/** What patches/ must be after a kill in each phase, once recovered. */
const EXPECTED_SET: Record<string, 'old' | 'new'> = {
  [STARTUP]: 'old',
  'lock:held': 'old',
  'export:read': 'old',
  'patches:write': 'old',
  'patches:cleanup': 'new',
  'patches:done': 'new',
  'lock:released': 'new',
};
const KILLS = 30;

test(`SIGKILL during \`meshfork export\`, ${KILLS} times at seeded moments in every phase: patches/ is always the old set or the new set`, async () => {
  const project = path.join(tmp, 'project');
  cpSync(FIXTURE_SERIES, path.join(project, 'patches'), { recursive: true });
  writeFileSync(
    path.join(project, 'meshfork.config.json'),
    `${JSON.stringify({ upstream: { source: 'npm', package: 'meshcentral' }, base: '1.1.55', supports: '>=1.1.0 <2' }, null, 2)}\n`,
  );
  await edit({ cwd: project, cacheDir: SHARED_CACHE });
  const work = path.join(project, '.meshfork', 'work');
  // Reword the first patch: export then renames a file, rewrites the series, keeps the rest.
  const env = {
    GIT_AUTHOR_NAME: 'A',
    GIT_AUTHOR_EMAIL: 'a@example.invalid',
    GIT_COMMITTER_NAME: 'A',
    GIT_COMMITTER_EMAIL: 'a@example.invalid',
  };
  await runGit(['-c', 'sequence.editor=sed -i 1s/^pick/reword/', 'rebase', '-q', '-i', 'upstream'], {
    cwd: work,
    env: { ...env, GIT_EDITOR: "sed -i '1s/JWT/JSON Web Token/'" },
  });

  const patchesDir = path.join(project, 'patches');
  // Files export carries over unchanged (notes beside the patches) make the write and cleanup
  // phases long enough to aim kills at.
  mkdirSync(path.join(patchesDir, 'notes'));
  for (let i = 0; i < 500; i++) writeFileSync(path.join(patchesDir, 'notes', `note-${i}.txt`), `note ${i}\n`.repeat(50));
  const oldSet = await snapshot(patchesDir);
  const saved = path.join(tmp, 'old-set');
  cpSync(patchesDir, saved, { recursive: true });

  // The new set, from one uninterrupted run, and how long each of its phases takes.
  const full = await exportOnce(project);
  expect([full.code, full.stderr]).toEqual([0, '']);
  // The project lock is taken first and given back last (src/project/projectLock.ts).
  expect(full.marks.map((m) => m.phase)).toEqual(['lock:held', ...EXPORT_PHASES.slice(1), 'patches:done', 'lock:released']);
  const durations = phaseDurations(full.marks);
  const newSet = await snapshot(patchesDir);
  expect(Object.keys(newSet)).toContain('add-the-json-web-token-single-sign-on-module.patch');
  expect(newSet).not.toEqual(oldSet);

  const random = mulberry32(0x5eed15);
  const landed = new Map<string, number>();
  const seen = { old: 0, new: 0 };
  let recovered = 0;
  const killOnce = async (run: number, phase: string, delayMs: number): Promise<void> => {
    rmSync(patchesDir, { recursive: true, force: true });
    cpSync(saved, patchesDir, { recursive: true });
    const killedRun = await runTraced(['-C', project, 'export'], {
      cwd: project,
      env: { MESHFORK_CACHE: SHARED_CACHE },
      killAt: { phase, delayMs },
    });
    const at = killedRun.killed ? killedRun.landed : 'finished';
    if (!killedRun.killed) expect([run, killedRun.code, killedRun.stderr]).toEqual([run, 0, '']);
    landed.set(at, (landed.get(at) ?? 0) + 1);
    const recovery = await recoverPatchesSwap(patchesDir);
    if (recovery !== 'none') recovered++;
    const now = await snapshot(patchesDir);
    const which = JSON.stringify(now) === JSON.stringify(oldSet) ? 'old' : JSON.stringify(now) === JSON.stringify(newSet) ? 'new' : 'mixed';
    // Killed between the two renames the swap is completed, before them it is rolled back: either way it was half done.
    const expected = at === 'patches:swap' ? which : at === 'finished' ? 'new' : EXPECTED_SET[at];
    expect({ run, at, which, halfDone: at === 'patches:swap' ? recovery !== 'none' : true }).toEqual({
      run,
      at,
      which: expected === 'mixed' ? 'old or new' : expected,
      halfDone: true,
    });
    seen[which as 'old' | 'new']++;
    // No leftovers beside patches/ once recovered.
    const { fresh, retired } = swapPaths(patchesDir);
    expect([fresh, retired].filter((p) => existsSync(p))).toEqual([]);
  };
  let runs = 0;
  for (; runs < KILLS; runs++) {
    // Round robin over the phases, at a seeded moment inside the aimed phase.
    const phase = EXPORT_PHASES[runs % EXPORT_PHASES.length];
    await killOnce(runs, phase, phase === STARTUP ? random() * 150 : random() * (durations.get(phase) ?? 0));
  }
  // The swap is two renames, well under a millisecond: on a loaded machine the seeded kills aimed
  // at it can all land after it. Aim again, at once, until one lands there (at most 20 times).
  while (!landed.has('patches:swap') && runs < KILLS + 20) await killOnce(runs++, 'patches:swap', 0);
  process.stderr.write(
    `export kill test: kills landed ${JSON.stringify(Object.fromEntries(landed))}; ${seen.old} old, ${seen.new} new, ${recovered} recovered from a half-done swap\n`,
  );
  for (const phase of EXPORT_PHASES) expect({ phase, hit: (landed.get(phase) ?? 0) > 0 }).toEqual({ phase, hit: true });
  expect(seen.old + seen.new).toBe(runs);
  expect(seen.old).toBeGreaterThan(0);
  expect(seen.new).toBeGreaterThan(0);
  expect(recovered).toBeGreaterThan(0);
  renameSync(saved, `${saved}.done`);
}, 300_000);
