import { appendFileSync, writeSync } from 'node:fs';

/**
 * Test hook of the reliability suite (test/reliability): with MESHFORK_TRACE_PHASES set to a file
 * descriptor number or a file path, each phase a command enters is written there as one line
 * `<phase> <monotonic ns>`, synchronously and before the phase starts, so a test that SIGKILLs the
 * process knows which phase the kill landed in. Unset, it costs one environment lookup.
 */
export function tracePhase(phase: string): void {
  const target = process.env.MESHFORK_TRACE_PHASES;
  if (!target) return;
  const line = `${phase} ${process.hrtime.bigint()}\n`;
  if (/^\d+$/.test(target)) writeSync(Number(target), line);
  else appendFileSync(target, line);
}
