/* Timing helpers shared by the benchmarks: repeated runs, medians, and a figure from two sample sets. */
import { figure, type BenchFigure } from './result';

export function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Wall-clock milliseconds of each of `runs` calls of fn (awaited), in order. */
export async function samples(runs: number, fn: (i: number) => unknown): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    await fn(i);
    out.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return out;
}

/** meshfork's samples against the baseline's, both measured in this run: medians, ratio, spread of the pairwise ratios. */
export function compare(
  benchmark: string,
  name: string,
  value: number[],
  baseline: number[],
  maxRatio?: number,
  unit: BenchFigure['unit'] = 'ms',
): BenchFigure {
  const pairs = value.map((v, i) => v / baseline[Math.min(i, baseline.length - 1)]);
  return figure({
    benchmark,
    name,
    value: median(value),
    baseline: median(baseline),
    unit,
    maxRatio,
    spread: [Math.min(...pairs), Math.max(...pairs)],
    runs: value.length,
  });
}
