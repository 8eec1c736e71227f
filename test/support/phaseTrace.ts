/* The CLI run with its phase trace (MESHFORK_TRACE_PHASES, src/util/tracePhase.ts) kept in a file. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli, type CliResult } from './cli';

/** `meshfork ARGS` with the phases it entered, in order, filtered to those starting with `prefix`. */
export async function runWithPhases(args: string[], env: Record<string, string>, prefix: string): Promise<CliResult & { phases: string[] }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'meshfork-phases-'));
  try {
    const trace = path.join(dir, 'trace');
    const result = await runCli(args, { env: { ...env, MESHFORK_TRACE_PHASES: trace } });
    const text = (() => {
      try {
        return readFileSync(trace, 'utf8');
      } catch {
        return '';
      }
    })();
    const phases = text
      .split('\n')
      .map((l) => l.split(' ')[0])
      .filter((p) => p.startsWith(prefix));
    return { ...result, phases };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
