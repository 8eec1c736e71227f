import { appendFileSync, writeSync } from 'node:fs';

/** Test hook (test/reliability): each phase, written synchronously to MESHFORK_TRACE_PHASES (fd or path) before it starts, tells a SIGKILL test where it landed. */
export function tracePhase(phase: string): void {
  const target = process.env.MESHFORK_TRACE_PHASES;
  if (!target) return;
  const line = `${phase} ${process.hrtime.bigint()}\n`;
  if (/^\d+$/.test(target)) writeSync(Number(target), line);
  else appendFileSync(target, line);
}
