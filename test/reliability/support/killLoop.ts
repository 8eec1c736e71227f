/*
 * SIGKILL a meshfork command at seeded moments aimed at each of its phases, many times, and let
 * the workload check after every run what a kill may leave: no partial output, no corrupted cache,
 * and a next run that succeeds. The phase a kill landed in comes from the process's own trace.
 */
import { mulberry32 } from '../../support/random';
import { phaseDurations, runTraced, STARTUP, type TracedRun } from '../../support/traced';

export interface Workload {
  name: string;
  /** Phases every one of which some kill must land in. */
  phases: string[];
  /** Phases aimed at too, but too short to require a hit in every run (counted when hit). */
  alsoAimed?: string[];
  /** SIGKILLs to deliver. */
  kills: number;
  cwd: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  /** Put the state back to where a run starts (before every run). */
  prepare(): Promise<void>;
  /** Check what the run left and prove the next run succeeds; returns how many checks it made. */
  verify(run: TracedRun): Promise<number>;
}

export interface KillCounts {
  kills: number;
  finished: number;
  checks: number;
  /** phase -> kills that landed in it */
  landed: Map<string, number>;
}

export async function killLoop(workload: Workload, seed: number): Promise<KillCounts> {
  const random = mulberry32(seed);
  await workload.prepare();
  const clean = await runTraced(workload.args, { cwd: workload.cwd, env: workload.env });
  if (clean.code !== 0) throw new Error(`${workload.name}: the uninterrupted run failed (exit ${clean.code}): ${clean.stderr}`);
  const durations = phaseDurations(clean.marks);
  // Node's start-up and config loading, before the first marker: kills there land in STARTUP.
  const startupMs = 150;
  const counts: KillCounts = { kills: 0, finished: 0, checks: await workload.verify(clean), landed: new Map() };
  // Until the kills are delivered and every phase was hit (a phase of a millisecond may take more aims), within a bound.
  const done = (): boolean => counts.kills >= workload.kills && workload.phases.every((p) => counts.landed.has(p));
  for (let attempt = 0; !done() && attempt < workload.kills * 3; attempt++) {
    // Aim at the phases not hit yet first, then round robin, at a seeded moment inside the phase.
    const missing = workload.phases.filter((p) => !counts.landed.has(p));
    const aimed = [...workload.phases, ...(workload.alsoAimed ?? [])];
    const phase = missing.length > 0 && attempt % 2 === 1 ? missing[0] : aimed[attempt % aimed.length];
    const delayMs = phase === STARTUP ? random() * startupMs : random() * (durations.get(phase) ?? 1);
    await workload.prepare();
    const run = await runTraced(workload.args, { cwd: workload.cwd, env: workload.env, killAt: { phase, delayMs } });
    if (run.killed) {
      counts.kills += 1;
      counts.landed.set(run.landed, (counts.landed.get(run.landed) ?? 0) + 1);
    } else counts.finished += 1;
    counts.checks += await workload.verify(run);
    if (process.env.MESHFORK_RELIABILITY_VERBOSE)
      process.stderr.write(
        `${workload.name} #${attempt}: aimed at ${phase} +${delayMs.toFixed(1)} ms, ${run.killed ? `killed in ${run.landed}` : 'finished'}\n`,
      );
  }
  return counts;
}

/** The counts as tally entries: kills, runs that finished anyway, checks, and kills per phase. */
export function killTally(
  name: string,
  counts: KillCounts,
  workload: Pick<Workload, 'phases' | 'kills'>,
): { counts: Record<string, number>; targets: Record<string, number> } {
  const out: Record<string, number> = {
    [`${name}: kills`]: counts.kills,
    [`${name}: runs that finished before the kill`]: counts.finished,
    [`${name}: checks after runs`]: counts.checks,
  };
  const targets: Record<string, number> = {
    [`${name}: kills`]: workload.kills,
    [`${name}: checks after runs`]: counts.kills + counts.finished,
  };
  for (const phase of new Set([...workload.phases, ...counts.landed.keys()])) {
    out[`${name}: kills landed in ${phase}`] = counts.landed.get(phase) ?? 0;
    if (workload.phases.includes(phase)) targets[`${name}: kills landed in ${phase}`] = 1;
  }
  return { counts: out, targets };
}

/** One kill loop's result, kept by a test file until its afterAll writes the tally. */
export interface KillResult {
  name: string;
  counts: KillCounts;
  workload: Workload;
}

/** Every loop's tally entries of a test file merged, plus `kills`: the total SIGKILLs it sent. */
export function killTallies(results: KillResult[]): { counts: Record<string, number>; targets: Record<string, number> } {
  const counts: Record<string, number> = {};
  const targets: Record<string, number> = {};
  let kills = 0;
  for (const r of results) {
    const t = killTally(r.name, r.counts, r.workload);
    Object.assign(counts, t.counts);
    Object.assign(targets, t.targets);
    kills += r.counts.kills;
  }
  counts.kills = kills;
  return { counts, targets };
}
