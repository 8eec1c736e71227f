/*
 * Concurrency: 8 `sync check` and 8 `apply` processes started at once on one cold cache (the real
 * meshcentral 1.1.55 from npm: one process fills the cache, the others wait for it), all succeed
 * with byte-identical reports and trees equal to the independent reference (tar -xzf + git apply);
 * and 4 real processes racing for one project's lock (test/support/lockRace.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeProject, referenceTree, treeDifferences, treeListing } from '../integration/upstreamFixtures';
import { ensureBuilt } from '../support/cli';
import { raceForProjectLock } from '../support/lockRace';
import { buildSmallProject } from '../support/smallProject';
import { runTraced } from '../support/traced';
import { checkCache } from './support/cacheCheck';
import { writeTally } from './support/tally';

const PARALLEL = 8;
const RACERS = 4;
let tmp: string;
const counts: Record<string, number> = {
  'parallel sync check runs, identical': 0,
  'parallel apply runs, identical to the reference': 0,
  'lock races with a refusal': 0,
  'lock races, rounds': 0,
};

beforeAll(() => {
  ensureBuilt();
  tmp = mkdtempSync(path.join(os.tmpdir(), 'meshfork-concurrency-'));
});

afterAll(() => {
  writeTally(__filename, {
    title: `${PARALLEL} sync check + ${PARALLEL} apply on one cold cache; ${RACERS} processes racing for the project lock`,
    counts,
    targets: {
      'parallel sync check runs, identical': PARALLEL,
      'parallel apply runs, identical to the reference': PARALLEL,
      'lock races with a refusal': 1,
    },
  });
  rmSync(tmp, { recursive: true, force: true });
});

test(`${PARALLEL} sync check and ${PARALLEL} apply processes at once on one cold cache: all succeed, byte-identical`, async () => {
  const project = makeProject(path.join(tmp, 'project'));
  const cache = path.join(tmp, 'cold-cache');
  const env = { MESHFORK_CACHE: cache };
  const checks = Array.from({ length: PARALLEL }, () =>
    runTraced(['-C', project, '--json', 'sync', 'check', '--to', '1.1.55'], { cwd: project, env, timeoutMs: 600_000 }),
  );
  const applies = Array.from({ length: PARALLEL }, (_, i) =>
    runTraced(['-C', project, 'apply', '--out', path.join(tmp, `out-${i}`)], { cwd: project, env, timeoutMs: 600_000 }),
  );
  const [checkRuns, applyRuns] = await Promise.all([Promise.all(checks), Promise.all(applies)]);
  // Exactly one process filled the release (the others found it filled when they got the lock).
  const fills = [...checkRuns, ...applyRuns].filter((r) => r.marks.some((m) => m.phase === 'cache:populate')).length;
  expect(fills).toBe(1);
  for (const [i, run] of checkRuns.entries()) {
    expect({ i, code: run.code, stderr: run.stderr }).toEqual({ i, code: 0, stderr: '' });
    expect({ i, identical: run.stdout === checkRuns[0].stdout }).toEqual({ i, identical: true });
    counts['parallel sync check runs, identical'] += 1;
  }
  expect(JSON.parse(checkRuns[0].stdout)).toMatchObject({ status: 'clean', releases: [{ version: '1.1.55' }] });
  const reference = treeListing(referenceTree('1.1.55', path.join(tmp, 'reference')));
  for (const [i, run] of applyRuns.entries()) {
    expect({ i, code: run.code, stderr: run.stderr }).toEqual({ i, code: 0, stderr: '' });
    expect({ i, differences: treeDifferences(treeListing(path.join(tmp, `out-${i}`)), reference) }).toEqual({ i, differences: [] });
    counts['parallel apply runs, identical to the reference'] += 1;
  }
  expect(checkCache(cache).problems).toEqual([]);
}, 600_000);

test(`${RACERS} real processes racing for the project lock: one holds it at a time, the others are refused naming a racer`, async () => {
  const { dir } = buildSmallProject(path.join(tmp, 'lock'), 40);
  const env = { MESHFORK_CACHE: path.join(tmp, 'lock-cache') };
  expect((await runTraced(['-C', dir, 'edit'], { cwd: dir, env })).code).toBe(0);
  for (let round = 0; round < 6 && counts['lock races with a refusal'] === 0; round++) {
    const race = await raceForProjectLock(dir, ['export'], RACERS, env);
    expect({ round, violations: race.violations }).toEqual({ round, violations: [] });
    expect(race.held).toBeGreaterThanOrEqual(1);
    counts['lock races, rounds'] += 1;
    if (race.refused > 0) counts['lock races with a refusal'] += 1;
  }
  expect(counts['lock races with a refusal']).toBe(1);
}, 300_000);
