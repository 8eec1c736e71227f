/*
 * Counts of the reliability suite. Each test file records what it ran (cases, kills per phase,
 * assertions) and the targets it must meet; test/reliability/reporter.js prints every file's counts
 * at the end of the jest run and fails the run when a target is missed or a file recorded nothing.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../support/release';

export const TALLY_DIR = path.join(REPO_ROOT, '.cache', 'reliability-tally');

export interface Tally {
  /** What the file checks, one line. */
  title: string;
  /** name -> count, e.g. `cases`, `kills`, `kills in apply:write`. */
  counts: Record<string, number>;
  /** name -> the smallest count that passes. */
  targets: Record<string, number>;
}

/** Record a file's counts (call in afterAll, after the tests counted). */
export function writeTally(file: string, tally: Tally): void {
  mkdirSync(TALLY_DIR, { recursive: true });
  writeFileSync(path.join(TALLY_DIR, `${path.basename(file).replace(/\.test\.ts$/, '')}.json`), `${JSON.stringify(tally, null, 2)}\n`);
}

/** Targets a file missed, as lines (empty when all are met). */
export function missedTargets(tally: Tally): string[] {
  return Object.entries(tally.targets)
    .filter(([name, target]) => (tally.counts[name] ?? 0) < target)
    .map(([name, target]) => `${name}: ${tally.counts[name] ?? 0} < ${target}`);
}
