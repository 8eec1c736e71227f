/*
 * `sync check` speed, measured against the naive baseline in the same run:
 *  1. warm `sync check --to 1.1.55` (npm upstream, cache filled) vs extracting the release tarball
 *     and running `git apply --check` on the series; target >= 20x.
 *  2. the marginal cost of each extra release in `sync check --all` when cached (git upstream
 *     with several tagged releases); target < 20 ms per release.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { syncCheck } from '../src/commands/syncCheck';
import { buildGitUpstream, commitFiles, push, tag } from '../test/support/gitUpstream';
import { REPO_ROOT, releaseTarball } from '../test/support/release';
import { SHARED_CACHE } from '../test/support/cache';

const BIN = path.join(REPO_ROOT, 'bin', 'meshfork');
const EXTRA_RELEASES = 8;

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function time(runs: number, fn: () => unknown): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    await fn();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return median(samples);
}

function seriesDir(): string {
  const own = path.join(REPO_ROOT, 'patches');
  return readdirSync(own).some((f) => f.endsWith('.patch')) ? own : path.join(REPO_ROOT, 'test', 'fixtures', 'series-1.1.55');
}

function writeProject(dir: string, upstream: object, series: string): void {
  cpSync(series, path.join(dir, 'patches'), { recursive: true });
  writeFileSync(path.join(dir, 'meshfork.config.json'), JSON.stringify({ upstream, base: '1.1.55', supports: '>=1.1.0 <2', patches: 'patches' }));
}

function tarball1155(): string {
  const cached = path.join(REPO_ROOT, '.cache', 'releases', 'meshcentral-1.1.55.tgz');
  return existsSync(cached) ? cached : releaseTarball('1.1.55');
}

/** The naive check: unpack the whole release, then `git apply --check` every patch in order. */
function naiveCheck(series: string, scratch: string): void {
  const dir = mkdtempSync(path.join(scratch, 'naive-'));
  try {
    execFileSync('tar', ['-xzf', tarball1155(), '-C', dir, '--strip-components=1']);
    const names = readFileSync(path.join(series, 'series'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    execFileSync('git', ['apply', '--check', ...names.map((n) => path.join(series, n))], { cwd: dir });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function oneRelease(tmp: string): Promise<void> {
  const series = seriesDir();
  const project = path.join(tmp, 'npm-project');
  writeProject(project, { source: 'npm', package: 'meshcentral' }, series);
  await syncCheck({ cwd: project, to: '1.1.55', cacheDir: SHARED_CACHE }); // warm the cache
  const inProcess = await time(20, () => syncCheck({ cwd: project, to: '1.1.55', cacheDir: SHARED_CACHE }));
  const cli = await time(5, () => execFileSync(process.execPath, [BIN, '-C', project, 'sync', 'check', '--to', '1.1.55'], { env: { ...process.env, MESHFORK_CACHE: SHARED_CACHE } }));
  const naive = await time(3, () => naiveCheck(series, tmp));
  const out = process.stdout;
  out.write(`series: ${path.relative(REPO_ROOT, series)}, release 1.1.55 (npm), cache warm\n`);
  out.write(`naive (tar -xzf + git apply --check):  ${naive.toFixed(0)} ms\n`);
  out.write(`sync check, in-process:                ${inProcess.toFixed(1)} ms  -> ${(naive / inProcess).toFixed(1)}x faster (target >= 20x)\n`);
  out.write(`sync check, CLI process (node start):  ${cli.toFixed(0)} ms  -> ${(naive / cli).toFixed(1)}x faster\n`);
}

async function marginalRelease(tmp: string): Promise<void> {
  const upstreamDir = path.join(tmp, 'git');
  mkdirSync(upstreamDir);
  const upstream = await buildGitUpstream(upstreamDir);
  const readme = readFileSync(path.join(upstream.workDir, 'readme.md')).toString('latin1');
  for (let i = 1; i <= EXTRA_RELEASES; i++) {
    await commitFiles(upstream.workDir, { 'readme.md': `${readme}\nRelease note ${i}.\n` }, `Release 1.1.${55 + i}`);
    await tag(upstream.workDir, `v1.1.${55 + i}`);
  }
  await push(upstream.workDir);
  const project = path.join(tmp, 'git-project');
  writeProject(project, { source: 'git', url: upstream.url, tagPattern: 'v*' }, seriesDir());
  const cacheDir = path.join(tmp, 'git-cache');
  await syncCheck({ cwd: project, all: true, cacheDir }); // mirror and cache every release
  const one = await time(10, () => syncCheck({ cwd: project, to: '1.1.56', cacheDir }));
  const all = await time(10, () => syncCheck({ cwd: project, all: true, cacheDir }));
  const marginal = (all - one) / (EXTRA_RELEASES - 1);
  process.stdout.write(`git upstream, cache warm: --to 1.1.56 ${one.toFixed(1)} ms; --all (${EXTRA_RELEASES} releases) ${all.toFixed(1)} ms\n`);
  process.stdout.write(`marginal cost per extra release in --all: ${marginal.toFixed(1)} ms (target < 20 ms)\n`);
}

export async function run(): Promise<void> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'meshfork-bench-check-'));
  try {
    await oneRelease(tmp);
    await marginalRelease(tmp);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
