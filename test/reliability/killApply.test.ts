/*
 * Faults: SIGKILL during `meshfork apply` (warm cache) and during cache fills (apply on an empty
 * cache: the git mirror clone, the release unpacked into blobs, the manifest), at seeded moments
 * aimed at every phase. After each run: DIR is absent or byte-identical to the independent
 * reference (git archive + git apply), the cache is sound (checkCache), and the next run succeeds
 * with the same bytes and leaves no build of the killed run behind.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { apply } from '../../src/commands/apply';
import { treeDifferences, treeListing } from '../integration/upstreamFixtures';
import { ensureBuilt } from '../support/cli';
import { buildSmallProject, type SmallProject } from '../support/smallProject';
import { runTraced, STARTUP, type TracedRun } from '../support/traced';
import { checkCache } from './support/cacheCheck';
import { killLoop, killTallies, type KillResult, type Workload } from './support/killLoop';
import { smallReference } from './support/reference';
import { ageDeadLocks } from './support/staleLocks';
import { writeTally } from './support/tally';

let tmp: string;
let small: SmallProject;
let expected: Map<string, string>;
const results: KillResult[] = [];
let staleLockWaited = 0;

beforeAll(() => {
  ensureBuilt();
  tmp = mkdtempSync(path.join(os.tmpdir(), 'meshfork-kill-apply-'));
  small = buildSmallProject(tmp, 60);
  expected = treeListing(smallReference(small.dir, small.upstreamUrl, '1.0.0', path.join(tmp, 'reference')));
});

afterAll(() => {
  const { counts, targets } = killTallies(results);
  counts['next runs after a real stale-lock wait'] = staleLockWaited;
  targets['next runs after a real stale-lock wait'] = 1;
  writeTally(__filename, { title: 'SIGKILL during apply and cache fills', counts, targets });
  rmSync(tmp, { recursive: true, force: true });
});

/** DIR absent or exactly the reference; the number of checks made. */
function checkOutput(out: string, label: string): number {
  if (!existsSync(out)) return 1;
  expect({ label, differences: treeDifferences(treeListing(out), expected) }).toEqual({ label, differences: [] });
  return 1;
}

function checkCacheSound(cache: string, label: string): number {
  expect({ label, problems: checkCache(cache).problems }).toEqual({ label, problems: [] });
  return 1;
}

/** The next run, in process: succeeds with the reference bytes and removes builds of killed runs. */
async function nextRunSucceeds(out: string, cache: string, label: string): Promise<number> {
  const result = await apply({ cwd: small.dir, out, force: true, cacheDir: cache });
  expect({ label, status: result.status, written: result.written }).toEqual({ label, status: 'clean', written: true });
  expect({ label, differences: treeDifferences(treeListing(out), expected) }).toEqual({ label, differences: [] });
  expect({ label, leftovers: readdirSync(path.dirname(out)).filter((n) => n.startsWith(`.${path.basename(out)}.meshfork-`)) }).toEqual({
    label,
    leftovers: [],
  });
  return 3;
}

function finishedCleanly(run: TracedRun, label: string): number {
  if (run.killed) return 0;
  expect({ label, code: run.code, stderr: run.stderr }).toEqual({ label, code: 0, stderr: '' });
  return 1;
}

test('SIGKILL during warm `meshfork apply --force`: DIR is never partial, the next run succeeds', async () => {
  const cache = path.join(tmp, 'warm-cache');
  const out = path.join(tmp, 'out', 'meshcentral');
  let run = 0;
  const workload: Workload = {
    name: 'apply',
    phases: [STARTUP, 'apply:materialize', 'apply:patch', 'apply:write', 'apply:publish'],
    kills: 110,
    cwd: small.dir,
    args: ['-C', small.dir, 'apply', '--out', out, '--force'],
    env: { MESHFORK_CACHE: cache },
    prepare: async () => undefined,
    verify: async (traced) => {
      const label = `apply run ${run++} (${traced.killed ? `killed in ${traced.landed}` : 'finished'})`;
      let checks = finishedCleanly(traced, label) + checkOutput(out, label) + checkCacheSound(cache, label);
      if (traced.killed) {
        ageDeadLocks(cache);
        checks += await nextRunSucceeds(out, cache, label);
      }
      return checks;
    },
  };
  const counts = await killLoop(workload, 0xa991);
  results.push({ name: workload.name, counts, workload });
  expect(workload.phases.filter((p) => !counts.landed.has(p))).toEqual([]);
  expect(counts.kills).toBeGreaterThanOrEqual(workload.kills);
}, 1_800_000);

test('SIGKILL while apply fills an empty cache: the cache is never corrupt, the next run fills it and succeeds', async () => {
  const cache = path.join(tmp, 'cold-cache');
  const out = path.join(tmp, 'out-cold', 'meshcentral');
  let run = 0;
  const workload: Workload = {
    name: 'cache fill',
    phases: [STARTUP, 'cache:mirror', 'cache:populate', 'cache:manifest'],
    kills: 70,
    cwd: small.dir,
    args: ['-C', small.dir, 'apply', '--out', out, '--force'],
    env: { MESHFORK_CACHE: cache },
    prepare: async () => {
      // A killed run's git clone (SIGKILL reaches meshfork, not its child) may still be writing into
      // the cache: retry when the removal finds a folder refilled (ENOTEMPTY), as meshfork itself does.
      rmSync(cache, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    },
    verify: async (traced) => {
      const label = `cache fill run ${run++} (${traced.killed ? `killed in ${traced.landed}` : 'finished'})`;
      let checks = finishedCleanly(traced, label) + checkOutput(out, label) + checkCacheSound(cache, label);
      if (traced.killed) {
        ageDeadLocks(cache);
        checks += await nextRunSucceeds(out, cache, label);
        checks += checkCacheSound(cache, `${label}, after the next run`);
      }
      return checks;
    },
  };
  const counts = await killLoop(workload, 0xcac4e);
  results.push({ name: workload.name, counts, workload });
  expect(workload.phases.filter((p) => !counts.landed.has(p))).toEqual([]);
  expect(counts.kills).toBeGreaterThanOrEqual(workload.kills);
}, 1_800_000);

test("a killed cache filler's lock: the next run waits for it to go stale (the real 10 s) and succeeds", async () => {
  const cache = path.join(tmp, 'stale-cache');
  const out = path.join(tmp, 'out-stale', 'meshcentral');
  const killed = await runTraced(['-C', small.dir, 'apply', '--out', out], {
    cwd: small.dir,
    env: { MESHFORK_CACHE: cache },
    killAt: { phase: 'cache:populate', delayMs: 0 },
  });
  expect({ killed: killed.killed, landed: killed.landed }).toEqual({ killed: true, landed: 'cache:populate' });
  expect(readdirSync(path.join(cache, 'locks')).filter((n) => n.endsWith('.lock')).length).toBeGreaterThan(0);
  const next = await runTraced(['-C', small.dir, 'apply', '--out', out], { cwd: small.dir, env: { MESHFORK_CACHE: cache } });
  expect([next.code, next.stderr]).toEqual([0, '']);
  expect(treeDifferences(treeListing(out), expected)).toEqual([]);
  expect(checkCache(cache).problems).toEqual([]);
  staleLockWaited += 1;
}, 120_000);
