/** One figure a benchmark reports: meshfork's median against a baseline measured in the same run. */
export interface BenchFigure {
  /** The benchmark file it comes from, e.g. `apply`. */
  benchmark: string;
  /** What is compared, e.g. `warm apply vs cp -al + git apply`. */
  name: string;
  /** meshfork's median. */
  value: number;
  /** The baseline's median, measured in the same run. */
  baseline: number;
  unit: 'ms' | 'MiB';
  /** value / baseline: below 1 meshfork is cheaper than the baseline. */
  ratio: number;
  /** The target as the largest acceptable ratio (e.g. 0.2 for "at least 5x faster"), when the issue sets one. */
  maxRatio?: number;
  /** Smallest and largest ratio over the repeated runs. */
  spread?: [number, number];
  runs?: number;
}

export function figure(f: Omit<BenchFigure, 'ratio'> & { ratio?: number }): BenchFigure {
  return { ...f, ratio: f.ratio ?? f.value / f.baseline };
}
