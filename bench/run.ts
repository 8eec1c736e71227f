/*
 * `npm run bench`: every bench/*.bench.ts exports `run(): Promise<BenchFigure[]>`, measuring meshfork
 * against a baseline in the same run. The runner prints a table of the ratios and writes
 * bench/results.json (git-ignored: figures belong to the machine that made them) with the core
 * count and tool versions. Benchmarks are not tests: a ratio over its target is marked, not failed.
 * `npm run bench -- apply syncCheck` runs only the files whose names contain those words.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../test/support/release';
import type { BenchFigure } from './result';

function version(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\n')[0]
      .trim();
  } catch {
    return 'missing';
  }
}

function table(figures: BenchFigure[]): string {
  const rows = figures.map((f) => [
    f.benchmark,
    f.name,
    `${f.value.toFixed(1)} ${f.unit}`,
    `${f.baseline.toFixed(1)} ${f.unit}`,
    f.ratio.toFixed(3),
    f.maxRatio === undefined ? '-' : `<= ${f.maxRatio} ${f.ratio <= f.maxRatio ? 'ok' : 'OVER'}`,
  ]);
  const header = ['bench', 'figure', 'meshfork', 'baseline', 'ratio', 'target'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return [header, ...rows].map((r) => r.map((c, i) => c.padEnd(widths[i])).join('  ')).join('\n');
}

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const started = Date.now();
  const figures: BenchFigure[] = [];
  const files = readdirSync(__dirname)
    .filter((f) => f.endsWith('.bench.js'))
    .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
    .sort();
  for (const file of files) {
    const mod = (await import(path.join(__dirname, file))) as { run: () => Promise<BenchFigure[] | void> };
    process.stdout.write(`\n## ${file.replace(/\.bench\.js$/, '')}\n`);
    figures.push(...((await mod.run()) ?? []));
  }
  const results = {
    date: new Date().toISOString(),
    seconds: Math.round((Date.now() - started) / 1000),
    machine: {
      cores: os.cpus().length,
      cpu: os.cpus()[0]?.model ?? 'unknown',
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      loadAverage: os.loadavg(),
    },
    tools: {
      node: process.version,
      git: version('git', ['--version']),
      tar: version('tar', ['--version']),
      npm: version('npm', ['--version']),
      quilt: version('quilt', ['--version']),
    },
    benchmarks: files.map((f) => f.replace(/\.bench\.js$/, '')),
    figures,
  };
  writeFileSync(path.join(REPO_ROOT, 'bench', 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(
    `\n${table(figures)}\n\nratio = meshfork / baseline (medians of repeated runs, same run); ${results.machine.cores} cores, load ${os.loadavg()[0].toFixed(1)}; written to bench/results.json\n`,
  );
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
