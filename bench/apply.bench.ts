/*
 * `meshfork apply` speed against naive baselines, measured in the same run on meshcentral 1.1.55:
 *  1. warm `apply` (the built CLI, cache filled) vs extracting the release tarball with `tar -xzf`
 *     and running `git apply` of the same series on it (target: at least 5x faster, ratio <= 0.2);
 *  2. warm `apply` vs `cp -al` of an already extracted tree plus the same `git apply`, run in
 *     alternation with medians and the spread of the per-round ratios (issue 23's target: at most 2x),
 *     with the floor of that ratio: an empty `node -e 0` against the same baseline (and, where
 *     NODE_EXTRA_CA_CERTS is set, meshfork and the floor without it).
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { JWT_SERIES_FILES, JWT_SERIES_PATCHES } from '../test/support/jwtSeriesFixture';
import { REPO_ROOT, releaseTarball } from '../test/support/release';
import { SHARED_CACHE } from '../test/support/cache';
import { compare, samples } from './measure';
import { compare as alternate, floorFigures, withoutExtraCaCerts, type Side } from './alternate';
import type { BenchFigure } from './result';

const BIN = path.join(REPO_ROOT, 'bin', 'meshfork');
const VERSION = '1.1.55';
const RUNS = 5;
const ALTERNATING_ROUNDS = 11;
const GIT_ENV = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };

/** The JWT series, frozen on 1.1.55 (test/fixtures/jwt-series-1.1.55): figures stay comparable when the live series moves. */
export function seriesDir(): string {
  return JWT_SERIES_PATCHES;
}

export function seriesPatches(dir: string): string[] {
  return readFileSync(path.join(dir, 'series'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((name) => path.join(dir, name));
}

export async function run(): Promise<BenchFigure[]> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'meshfork-bench-apply-'));
  try {
    const series = seriesDir();
    const project = path.join(tmp, 'project');
    mkdirSync(project);
    cpSync(series, path.join(project, 'patches'), { recursive: true });
    // the JWT series adds its module as files/jwt-auth.js; git apply's side copies the same files in
    const files = series === JWT_SERIES_PATCHES ? JWT_SERIES_FILES : undefined;
    if (files) cpSync(files, path.join(project, 'files'), { recursive: true });
    writeFileSync(
      path.join(project, 'meshfork.config.json'),
      JSON.stringify({
        upstream: { source: 'npm', package: 'meshcentral' },
        base: VERSION,
        supports: '>=1.1.0 <2',
        patches: 'patches',
        ...(files ? { files: 'files' } : {}),
      }),
    );
    const tarball = releaseTarball(VERSION);
    const env = { ...process.env, MESHFORK_CACHE: SHARED_CACHE, CI: '1' };
    const apply = (out: string, runEnv: NodeJS.ProcessEnv = env): void => {
      execFileSync(process.execPath, [BIN, 'apply', '--out', out], { cwd: project, env: runEnv, stdio: 'pipe' });
    };
    const gitApply = (dir: string): void => {
      if (files) cpSync(files, dir, { recursive: true, force: true });
      execFileSync('git', ['apply', '--whitespace=nowarn', ...seriesPatches(series)], { cwd: dir, env: GIT_ENV, stdio: 'pipe' });
    };
    // warm the cache (and the lock file) once, outside the measurement
    apply(path.join(tmp, 'warmup'));
    const extracted = path.join(tmp, 'extracted');
    mkdirSync(extracted);
    execFileSync('tar', ['-xzf', tarball, '-C', extracted, '--strip-components=1']);

    const warm = await samples(RUNS, (i) => apply(path.join(tmp, `apply-${i}`)));
    const tarApply = await samples(RUNS, (i) => {
      const dir = path.join(tmp, `tar-${i}`);
      mkdirSync(dir);
      execFileSync('tar', ['-xzf', tarball, '-C', dir, '--strip-components=1']);
      gitApply(dir);
    });
    // the near-floor figure alternates (meshfork, baseline, meshfork, ...): load that comes and goes hits both alike
    const linkedOut = path.join(tmp, 'apply-alt');
    const linkedDir = path.join(tmp, 'cp-al-alt');
    const cpAl: Side = {
      before: () => rmSync(linkedDir, { recursive: true, force: true }),
      work: () => {
        execFileSync('cp', ['-al', extracted, linkedDir]);
        gitApply(linkedDir);
      },
    };
    const against = 'cp -al of an extracted tree + git apply (alternating)';
    const applySide = (sideEnv: NodeJS.ProcessEnv): Side => ({
      before: () => rmSync(linkedOut, { recursive: true, force: true }),
      work: () => apply(linkedOut, sideEnv),
    });
    const nearFloor = [alternate('apply', `warm apply (CLI) vs ${against}`, ALTERNATING_ROUNDS, applySide(env), cpAl, 2)];
    // where a proxy's CA bundle is set: what a machine without one sees, and what no node program can beat
    const bare = withoutExtraCaCerts();
    if (bare) {
      const bareEnv = { ...bare, MESHFORK_CACHE: SHARED_CACHE, CI: '1' };
      nearFloor.push(
        alternate('apply', `warm apply (CLI) without NODE_EXTRA_CA_CERTS vs ${against}`, ALTERNATING_ROUNDS, applySide(bareEnv), cpAl, 2),
      );
    }
    nearFloor.push(...floorFigures('apply', against, ALTERNATING_ROUNDS, cpAl, 2));
    process.stdout.write(
      `series: ${path.relative(REPO_ROOT, series)} (${seriesPatches(series).length} patches) on meshcentral ${VERSION}, ${RUNS} runs each\n`,
    );
    return [compare('apply', 'warm apply (CLI) vs tar -xzf + git apply', warm, tarApply, 0.2), ...nearFloor];
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
