/*
 * Real meshfork processes racing for one project's lock (.meshfork/lock, src/project/projectLock.ts).
 * Each racer is traced: `lock:held` and `lock:released` mark when it held the lock, on the machine's
 * monotonic clock, so the race is checked from what the processes did, not from their timing.
 */
import { runTraced, type TracedRun } from './traced';

export interface LockRaceRound {
  runs: TracedRun[];
  /** Racers that held the lock and finished (exit 0). */
  held: number;
  /** Racers refused because another racer held the lock (exit 2, STATE_INVALID naming its pid). */
  refused: number;
  /** Everything that breaks the lock's promise, as readable lines (empty when the round is sound). */
  violations: string[];
}

function heldInterval(run: TracedRun): [bigint, bigint] | undefined {
  const held = run.marks.find((m) => m.phase === 'lock:held');
  const released = run.marks.find((m) => m.phase === 'lock:released');
  return held && released ? [held.at, released.at] : undefined;
}

/** Start `racers` processes of `meshfork -C project ...args` at once and check the lock held. */
export async function raceForProjectLock(project: string, args: string[], racers: number, env: NodeJS.ProcessEnv): Promise<LockRaceRound> {
  const runs = await Promise.all(Array.from({ length: racers }, () => runTraced(['-C', project, ...args], { cwd: project, env })));
  const pids = runs.map((r) => r.pid);
  const violations: string[] = [];
  const intervals: [number, [bigint, bigint]][] = [];
  let held = 0;
  let refused = 0;
  runs.forEach((run, i) => {
    const interval = heldInterval(run);
    if (run.code === 0 && interval) {
      held += 1;
      intervals.push([i, interval]);
      return;
    }
    const holder = /^error\[STATE_INVALID\]: another meshfork command \(pid (\d+)\) is changing this project$/m.exec(run.stderr);
    if (run.code === 2 && holder && !interval) {
      if (!pids.includes(Number(holder[1])) || Number(holder[1]) === run.pid)
        violations.push(`racer ${i} was refused for pid ${holder[1]}, not another racer (${pids.join(', ')})`);
      else refused += 1;
      return;
    }
    violations.push(
      `racer ${i} ended with exit ${run.code} (${run.signal ?? 'no signal'}), lock ${interval ? 'held' : 'not held'}: ${run.stderr.trim()}`,
    );
  });
  for (const [i, [from, to]] of intervals) {
    for (const [j, [otherFrom, otherTo]] of intervals) {
      if (i < j && from < otherTo && otherFrom < to) violations.push(`racers ${i} and ${j} held the lock at the same time`);
    }
  }
  return { runs, held, refused, violations };
}
