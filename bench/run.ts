/*
 * `npm run bench`: every bench/*.bench.ts exports `run()`, which measures meshfork against a baseline
 * in the same run and prints ratios. Benchmarks are not tests: they print, they do not assert.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import type { BenchFigure } from './result';

async function main(): Promise<void> {
  const only = process.argv.slice(2);
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
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
