/*
 * patches/ is replaced as a set. First every intermediate state of the swap is built by hand and
 * recovered; then the real `meshfork export` binary is killed with SIGKILL at random moments, and
 * after each kill patches/ (once recovered, as every command does first) is exactly the old set or
 * exactly the new set.
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { edit } from '../../src/commands/edit';
import { runGit } from '../../src/tools/git';
import { readTree } from '../../src/workspace/backup';
import { recoverPatchesSwap, replacePatchesDir, swapPaths } from '../../src/series/patchesSwap';
import { ensureBuilt, MESHFORK_BIN } from '../support/cli';
import { REPO_ROOT } from '../support/release';

const SHARED_CACHE = path.join(REPO_ROOT, '.cache', 'meshfork-cache');
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

/** Run `meshfork export` and kill it after `delayMs` (or let it finish when the delay is longer). */
function exportKilledAfter(project: string, delayMs: number, command = 'export'): Promise<{ killed: boolean; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MESHFORK_BIN, '-C', project, ...command.split(' ')], { stdio: 'ignore', env: { ...process.env, MESHFORK_CACHE: SHARED_CACHE } });
    let killed = false;
    const timer = setTimeout(() => {
      killed = child.kill('SIGKILL');
    }, delayMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ killed: killed && code === null, code });
    });
  });
}

test('SIGKILL during `meshfork export`, 25 times: patches/ is always the old set or the new set', async () => {
  const project = path.join(tmp, 'project');
  cpSync(FIXTURE_SERIES, path.join(project, 'patches'), { recursive: true });
  writeFileSync(path.join(project, 'meshfork.config.json'), `${JSON.stringify({ upstream: { source: 'npm', package: 'meshcentral' }, base: '1.1.55', supports: '>=1.1.0 <2' }, null, 2)}\n`);
  await edit({ cwd: project, cacheDir: SHARED_CACHE });
  const work = path.join(project, '.meshfork', 'work');
  // Reword the first patch: export then renames a file, rewrites the series, keeps the rest.
  const env = { GIT_AUTHOR_NAME: 'A', GIT_AUTHOR_EMAIL: 'a@example.invalid', GIT_COMMITTER_NAME: 'A', GIT_COMMITTER_EMAIL: 'a@example.invalid' };
  await runGit(['-c', 'sequence.editor=sed -i 1s/^pick/reword/', 'rebase', '-q', '-i', 'upstream'], {
    cwd: work,
    env: { ...env, GIT_EDITOR: "sed -i '1s/JWT/JSON Web Token/'" },
  });

  const patchesDir = path.join(project, 'patches');
  // Files export carries over unchanged (notes beside the patches) make the write phase long
  // enough for random kills to land in it, not only in node's startup.
  mkdirSync(path.join(patchesDir, 'notes'));
  for (let i = 0; i < 500; i++) writeFileSync(path.join(patchesDir, 'notes', `note-${i}.txt`), `note ${i}\n`.repeat(50));
  const oldSet = await snapshot(patchesDir);
  const saved = path.join(tmp, 'old-set');
  cpSync(patchesDir, saved, { recursive: true });

  // The new set, from one uninterrupted run, and how long such a run takes.
  const started = Date.now();
  expect((await exportKilledAfter(project, 60_000)).code).toBe(0);
  const fullRunMs = Date.now() - started;
  // Node's start-up (the same for any command) is not worth killing in: aim at the work after it.
  const startupStarted = Date.now();
  await exportKilledAfter(project, 60_000, 'sync status');
  const startupMs = Date.now() - startupStarted;
  const newSet = await snapshot(patchesDir);
  expect(Object.keys(newSet)).toContain('add-the-json-web-token-single-sign-on-module.patch');
  expect(newSet).not.toEqual(oldSet);

  const seen = { old: 0, new: 0 };
  let recovered = 0;
  for (let run = 0; run < 25; run++) {
    rmSync(patchesDir, { recursive: true, force: true });
    cpSync(saved, patchesDir, { recursive: true });
    // Spread the kills over the run after start-up: reading, writing the new set, the swap, cleanup.
    const from = startupMs * 0.8;
    const delay = Math.floor(from + Math.random() * Math.max(fullRunMs * 1.2 - from, 50));
    await exportKilledAfter(project, delay);
    const recovery = await recoverPatchesSwap(patchesDir);
    if (recovery !== 'none') recovered++;
    const now = await snapshot(patchesDir);
    const which = JSON.stringify(now) === JSON.stringify(oldSet) ? 'old' : JSON.stringify(now) === JSON.stringify(newSet) ? 'new' : 'mixed';
    expect({ run, delay, which }).toEqual({ run, delay, which: which === 'mixed' ? 'old or new' : which });
    seen[which as 'old' | 'new']++;
    // No leftovers beside patches/ once recovered.
    const { fresh, retired } = swapPaths(patchesDir);
    expect([fresh, retired].filter((p) => { try { readFileSync(path.join(p, 'series')); return true; } catch { return false; } })).toEqual([]);
  }
  expect(seen.old + seen.new).toBe(25);
  process.stderr.write(`export kill test: ${seen.old} old, ${seen.new} new, ${recovered} recovered from a half-done swap\n`);
  renameSync(saved, `${saved}.done`);
}, 300_000);
