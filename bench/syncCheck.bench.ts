/*
 * `sync check` speed, measured against naive baselines in the same run (medians):
 *  1. warm `sync check --to 1.1.55` (npm upstream, cache filled), in process and as a CLI process,
 *     vs extracting the release tarball and running `git apply --check` on the series; target >= 20x
 *     in process (ratio <= 0.05);
 *  2. cold `sync check` (empty cache: download from npm's own cache, unpack) vs the same baseline;
 *  3. the CLI process vs `node -e 0` (what meshfork adds to a bare node start);
 *  4. the marginal cost of each extra release in `sync check --all` (git upstream with 20+ releases)
 *     vs `git apply --check` of the series on one extracted release; target < 20 ms per release.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { syncCheck } from '../src/commands/syncCheck';
import { SHARED_CACHE } from '../test/support/cache';
import { buildGitUpstream, commitFiles, push, tag } from '../test/support/gitUpstream';
import { REPO_ROOT, releaseTarball } from '../test/support/release';
import { seriesDir } from './apply.bench';
import { compare, median, samples } from './measure';
import { figure, type BenchFigure } from './result';

const BIN = path.join(REPO_ROOT, 'bin', 'meshfork');
const EXTRA_RELEASES = 22;

function writeProject(dir: string, upstream: object, series: string): void {
  cpSync(series, path.join(dir, 'patches'), { recursive: true });
  writeFileSync(
    path.join(dir, 'meshfork.config.json'),
    JSON.stringify({ upstream, base: '1.1.55', supports: '>=1.1.0 <2', patches: 'patches' }),
  );
}

function seriesNames(series: string): string[] {
  return readFileSync(path.join(series, 'series'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}

/** The naive check: unpack the whole release, then `git apply --check` every patch in order. */
function naiveCheck(series: string, scratch: string): void {
  const dir = mkdtempSync(path.join(scratch, 'naive-'));
  try {
    execFileSync('tar', ['-xzf', releaseTarball('1.1.55'), '-C', dir, '--strip-components=1']);
    execFileSync('git', ['apply', '--check', ...seriesNames(series).map((n) => path.join(series, n))], { cwd: dir });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function oneRelease(tmp: string): Promise<BenchFigure[]> {
  const series = seriesDir();
  const project = path.join(tmp, 'npm-project');
  writeProject(project, { source: 'npm', package: 'meshcentral' }, series);
  await syncCheck({ cwd: project, to: '1.1.55', cacheDir: SHARED_CACHE }); // warm the cache
  // --recheck: the engine's work, not the report remembered for unchanged inputs (startup.bench.ts measures that one)
  const inProcess = await samples(20, () => syncCheck({ cwd: project, to: '1.1.55', cacheDir: SHARED_CACHE, recheck: true }));
  const cliRun = (cache: string) => () =>
    execFileSync(process.execPath, [BIN, '-C', project, 'sync', 'check', '--to', '1.1.55', '--recheck'], {
      env: { ...process.env, CI: '1', MESHFORK_CACHE: cache },
    });
  const cli = await samples(5, cliRun(SHARED_CACHE));
  const cold = await samples(3, (i) => cliRun(path.join(tmp, `cold-cache-${i}`))());
  const bareNode = await samples(5, () => execFileSync(process.execPath, ['-e', '0']));
  const naive = await samples(3, () => naiveCheck(series, tmp));
  process.stdout.write(`series: ${path.relative(REPO_ROOT, series)}, release 1.1.55 (npm)\n`);
  return [
    compare('syncCheck', 'warm sync check --recheck (in process) vs tar -xzf + git apply --check', inProcess, naive, 0.05),
    compare('syncCheck', 'warm sync check --recheck (CLI process) vs tar -xzf + git apply --check', cli, naive),
    compare('syncCheck', 'cold sync check (CLI, empty cache) vs tar -xzf + git apply --check', cold, naive),
    compare('syncCheck', 'warm sync check --recheck CLI process vs node -e 0', cli, bareNode),
  ];
}

async function marginalRelease(tmp: string): Promise<BenchFigure[]> {
  const upstreamDir = path.join(tmp, 'git');
  mkdirSync(upstreamDir);
  const upstream = await buildGitUpstream(upstreamDir, ['1.1.55']);
  const readme = readFileSync(path.join(upstream.workDir, 'readme.md')).toString('latin1');
  for (let i = 1; i <= EXTRA_RELEASES; i++) {
    await commitFiles(upstream.workDir, { 'readme.md': `${readme}\nRelease note ${i}.\n` }, `Release 1.1.${55 + i}`);
    await tag(upstream.workDir, `v1.1.${55 + i}`);
  }
  await push(upstream.workDir);
  const series = seriesDir();
  const project = path.join(tmp, 'git-project');
  writeProject(project, { source: 'git', url: upstream.url, tagPattern: 'v*' }, series);
  const cacheDir = path.join(tmp, 'git-cache');
  await syncCheck({ cwd: project, all: true, cacheDir }); // mirror and cache every release
  const one = median(await samples(7, () => syncCheck({ cwd: project, to: '1.1.56', cacheDir })));
  const all = median(await samples(7, () => syncCheck({ cwd: project, all: true, cacheDir })));
  const marginal = (all - one) / (EXTRA_RELEASES - 1);
  // Baseline: checking one more release the naive way, on a tree already extracted.
  const extracted = path.join(tmp, 'extracted');
  mkdirSync(extracted);
  execFileSync('tar', ['-xzf', releaseTarball('1.1.55'), '-C', extracted, '--strip-components=1']);
  const perRelease = median(
    await samples(5, () =>
      execFileSync('git', ['apply', '--check', ...seriesNames(series).map((n) => path.join(series, n))], { cwd: extracted }),
    ),
  );
  process.stdout.write(
    `git upstream with ${EXTRA_RELEASES + 1} releases, cache warm: --to 1.1.56 ${one.toFixed(1)} ms; --all ${all.toFixed(1)} ms\n`,
  );
  return [
    figure({
      benchmark: 'syncCheck',
      name: `sync check --all: marginal cost per release (${EXTRA_RELEASES + 1} releases) vs git apply --check on an extracted tree`,
      value: marginal,
      baseline: perRelease,
      unit: 'ms',
      runs: 7,
    }),
  ];
}

export async function run(): Promise<BenchFigure[]> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'meshfork-bench-check-'));
  try {
    return [...(await oneRelease(tmp)), ...(await marginalRelease(tmp))];
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
