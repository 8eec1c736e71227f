/*
 * `meshfork apply` speed against the naive baseline, measured in the same run: warm `apply` (the
 * built CLI, cache filled) vs extracting the release tarball with `tar -xzf` and running `git apply`
 * of the same series on it. Target: apply at least 5x faster.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT, releaseTarball } from '../test/support/release';
import { SHARED_CACHE } from '../test/support/cache';

const BIN = path.join(REPO_ROOT, 'bin', 'meshfork');
const CACHE = SHARED_CACHE;
const VERSION = '1.1.55';
const RUNS = 5;

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function timeRuns(runs: number, fn: (i: number) => void): number {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    fn(i);
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return median(samples);
}

/** The repository's own series when it has one, else the apply test fixture (both made on 1.1.55). */
function seriesDir(): string {
  const own = path.join(REPO_ROOT, 'patches');
  return existsSync(path.join(own, 'series')) && readdirSync(own).some((f) => f.endsWith('.patch')) ? own : path.join(REPO_ROOT, 'test', 'fixtures', 'upstream-series');
}

function seriesPatches(dir: string): string[] {
  return readFileSync(path.join(dir, 'series'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((name) => path.join(dir, name));
}

export async function run(): Promise<void> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'meshfork-bench-apply-'));
  try {
    const series = seriesDir();
    const project = path.join(tmp, 'project');
    mkdirSync(project);
    cpSync(series, path.join(project, 'patches'), { recursive: true });
    writeFileSync(path.join(project, 'meshfork.config.json'), JSON.stringify({ upstream: { source: 'npm', package: 'meshcentral' }, base: VERSION, supports: '>=1.1.0 <2', patches: 'patches' }));
    const cachedTarball = path.join(REPO_ROOT, '.cache', 'releases', `meshcentral-${VERSION}.tgz`);
    const tarball = existsSync(cachedTarball) ? cachedTarball : releaseTarball(VERSION);
    const env = { ...process.env, MESHFORK_CACHE: CACHE, CI: '1' };
    const gitEnv = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };
    const apply = (out: string): void => {
      execFileSync(process.execPath, [BIN, 'apply', '--out', out], { cwd: project, env, stdio: 'pipe' });
    };
    // warm the cache (and the lock file) once, outside the measurement
    apply(path.join(tmp, 'warmup'));

    const warm = timeRuns(RUNS, (i) => apply(path.join(tmp, `apply-${i}`)));
    const baseline = timeRuns(RUNS, (i) => {
      const dir = path.join(tmp, `baseline-${i}`);
      mkdirSync(dir);
      execFileSync('tar', ['-xzf', tarball, '-C', dir, '--strip-components=1']);
      execFileSync('git', ['apply', '--whitespace=nowarn', ...seriesPatches(series)], { cwd: dir, env: gitEnv, stdio: 'pipe' });
    });
    const ratio = baseline / warm;
    process.stdout.write(
      [
        `series: ${path.relative(REPO_ROOT, series)} (${seriesPatches(series).length} patches) on meshcentral ${VERSION}`,
        `meshfork apply, warm cache (median of ${RUNS}, incl. node start): ${warm.toFixed(0)} ms`,
        `tar -xzf + git apply (median of ${RUNS}):                          ${baseline.toFixed(0)} ms`,
        `ratio: ${ratio.toFixed(1)}x (target >= 5x) ${ratio >= 5 ? 'OK' : 'BELOW TARGET'}`,
        '',
      ].join('\n'),
    );
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
