/*
 * Timing for benchmarks that compare meshfork with a baseline on a shared machine: the commands
 * run in alternation (A B A B ...), so load that comes and goes hits both alike, and each figure
 * is a median with the spread of the per-round ratios.
 */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import path from 'node:path';
import { figure, type BenchFigure } from './result';
import { REPO_ROOT } from '../test/support/release';

export const BIN = path.join(REPO_ROOT, 'bin', 'meshfork');

export function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Run a program to completion; throws with its stderr when it fails. */
export function exec(argv: string[], options: SpawnSyncOptions = {}): void {
  const result = spawnSync(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 64 * 1024 * 1024, ...options });
  if (result.status !== 0) {
    throw new Error(`${argv.join(' ')} failed (${result.status ?? result.signal}): ${String(result.stderr ?? '').slice(0, 2000)}`);
  }
}

/** `node bin/meshfork ...args`. */
export function meshfork(args: string[], env: NodeJS.ProcessEnv = {}): void {
  exec([process.execPath, BIN, ...args], { env: { ...process.env, ...env } });
}

/** Peak resident memory of one run in MiB (GNU time's %M). */
export function peakMiB(argv: string[], env: NodeJS.ProcessEnv = {}): number {
  const result = spawnSync('/usr/bin/time', ['-f', 'PEAK %M', ...argv], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const kib = /PEAK (\d+)/.exec(result.stderr)?.[1];
  if (!kib) throw new Error(`${argv.join(' ')}: no peak memory reported (${result.status}): ${result.stderr.slice(0, 2000)}`);
  return Number(kib) / 1024;
}

export interface Side {
  /** Prepares one run, untimed (e.g. removes the previous output). */
  before?: () => void;
  /** The timed work. */
  work: () => void;
}

function timed(side: Side): number {
  side.before?.();
  const start = process.hrtime.bigint();
  side.work();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** meshfork against a baseline, alternating, `rounds` times; one figure. */
export function compare(benchmark: string, name: string, rounds: number, ours: Side, baseline: Side, maxRatio?: number): BenchFigure {
  const a: number[] = [];
  const b: number[] = [];
  // one untimed round of each: warm the page cache and any lazily filled cache
  timed(ours);
  timed(baseline);
  for (let i = 0; i < rounds; i++) {
    a.push(timed(ours));
    b.push(timed(baseline));
  }
  const ratios = a.map((v, i) => v / b[i]);
  const f = figure({
    benchmark,
    name,
    value: median(a),
    baseline: median(b),
    unit: 'ms',
    maxRatio,
    spread: [Math.min(...ratios), Math.max(...ratios)],
    runs: rounds,
  });
  print(f);
  return f;
}

export function print(f: BenchFigure): void {
  const target = f.maxRatio !== undefined ? ` (target <= ${f.maxRatio}x: ${f.ratio <= f.maxRatio ? 'met' : 'NOT met'})` : '';
  const spread = f.spread ? `, spread ${f.spread[0].toFixed(2)}-${f.spread[1].toFixed(2)}x over ${f.runs} rounds` : '';
  process.stdout.write(
    `${f.name}: ${f.value.toFixed(f.unit === 'ms' ? 0 : 1)} ${f.unit} vs ${f.baseline.toFixed(f.unit === 'ms' ? 0 : 1)} ${f.unit} = ${f.ratio.toFixed(2)}x${target}${spread}\n`,
  );
}

/** The environment without NODE_EXTRA_CA_CERTS, or undefined when it is not set. */
export function withoutExtraCaCerts(): NodeJS.ProcessEnv | undefined {
  if (!process.env.NODE_EXTRA_CA_CERTS) return undefined;
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  return env;
}

/**
 * What no node program can go below: an empty `node -e 0` against the same baseline, alternating,
 * with the target of the figure it bounds. Node reads NODE_EXTRA_CA_CERTS (a TLS-inspecting proxy's
 * bundle) at start-up, before any of meshfork runs: when it is set, the floor is also measured without it.
 */
export function floorFigures(benchmark: string, against: string, rounds: number, baseline: Side, maxRatio?: number): BenchFigure[] {
  const empty = (env: NodeJS.ProcessEnv): Side => ({ work: () => exec([process.execPath, '-e', '0'], { env }) });
  const figures = [compare(benchmark, `floor: node -e 0 vs ${against}`, rounds, empty(process.env), baseline, maxRatio)];
  const bare = withoutExtraCaCerts();
  if (bare)
    figures.push(compare(benchmark, `floor: node -e 0 without NODE_EXTRA_CA_CERTS vs ${against}`, rounds, empty(bare), baseline, maxRatio));
  return figures;
}
