/*
 * Run the built `bin/meshfork` with its phase trace (src/util/tracePhase.ts) on file descriptor 3
 * and, optionally, SIGKILL it a chosen time after it enters a chosen phase. The phase a kill landed
 * in is the last marker the process wrote before it died: markers are written synchronously before
 * each phase starts, so the pipe holds exactly the phases the process reached.
 */
import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { MESHFORK_BIN } from './cli';

/** The phase name of a kill that landed before the first marker (node start-up, config, series). */
export const STARTUP = 'startup';

export interface PhaseMark {
  phase: string;
  /** Monotonic nanoseconds (the same clock for every process on the machine). */
  at: bigint;
}

export interface TracedRun {
  pid: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** SIGKILLed by this helper before it exited by itself. */
  killed: boolean;
  marks: PhaseMark[];
  /** The phase the process was in when it died (or the last one it entered). */
  landed: string;
  stdout: string;
  stderr: string;
}

export interface TracedOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** Kill `delayMs` after the process enters `phase` (STARTUP: after spawn). */
  killAt?: { phase: string; delayMs: number };
  timeoutMs?: number;
}

export function runTraced(args: string[], options: TracedOptions): Promise<TracedRun> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, CI: '1', NO_COLOR: '1', ...options.env, MESHFORK_TRACE_PHASES: '3' };
    const child = spawn(process.execPath, [MESHFORK_BIN, ...args], { cwd: options.cwd, env, stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let pending = '';
    let killed = false;
    let exited = false;
    const marks: PhaseMark[] = [];
    const timers: NodeJS.Timeout[] = [];
    const kill = (): void => {
      if (!exited) killed = child.kill('SIGKILL') || killed;
    };
    const arm = (): void => {
      if (!options.killAt) return;
      if (options.killAt.delayMs <= 0) kill();
      else timers.push(setTimeout(kill, options.killAt.delayMs));
    };
    child.stdout?.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    (child.stdio[3] as Readable).on('data', (c: Buffer) => {
      pending += c.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const [phase, at] = line.split(' ');
        marks.push({ phase, at: BigInt(at) });
        if (options.killAt && phase === options.killAt.phase) arm();
      }
    });
    if (options.killAt?.phase === STARTUP) arm();
    timers.push(
      setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`meshfork ${args.join(' ')} did not finish in ${options.timeoutMs ?? 120_000} ms\n${stderr}`));
      }, options.timeoutMs ?? 120_000),
    );
    child.on('error', reject);
    child.on('exit', () => {
      exited = true;
    });
    child.on('close', (code, signal) => {
      for (const t of timers) clearTimeout(t);
      resolve({
        pid: child.pid ?? 0,
        code,
        signal,
        killed: killed && signal === 'SIGKILL',
        marks,
        landed: marks.at(-1)?.phase ?? STARTUP,
        stdout,
        stderr,
      });
    });
  });
}

/** How long each phase of an uninterrupted run took, in ms (the last phase runs until the next mark or 0). */
export function phaseDurations(marks: PhaseMark[]): Map<string, number> {
  const durations = new Map<string, number>();
  for (let i = 0; i < marks.length; i++) {
    const next = marks[i + 1]?.at ?? marks[i].at;
    durations.set(marks[i].phase, (durations.get(marks[i].phase) ?? 0) + Number(next - marks[i].at) / 1e6);
  }
  return durations;
}
