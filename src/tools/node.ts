import { spawn, type ChildProcess } from 'node:child_process';
import execa from 'execa';
import { MeshforkError } from '../errors';

/** The node meshfork runs on (process.execPath), for node --check, the config template and the smoke server. */

export interface NodeRun {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export async function runNode(
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number },
): Promise<NodeRun> {
  let result;
  try {
    result = await execa(process.execPath, args, {
      cwd: options.cwd,
      env: options.env,
      extendEnv: options.env === undefined,
      input: options.input,
      reject: false,
      timeout: options.timeoutMs ?? 60_000,
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (error) {
    throw new MeshforkError('TOOL_FAILED', `node could not be started: ${(error as Error).message}`, { cause: error });
  }
  if (result.timedOut)
    throw new MeshforkError('TOOL_FAILED', `node ${args.join(' ')} did not finish within ${options.timeoutMs ?? 60_000} ms`);
  return { stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode ?? -1 };
}

export interface SyntaxProblem {
  line?: number;
  message: string;
}

export async function nodeCheck(file: string, cwd: string): Promise<SyntaxProblem | undefined> {
  const run = await runNode(['--check', file], { cwd });
  if (run.exitCode === 0) return undefined;
  // "<file>:<line>\n<source line>\n   ^^^\n\nSyntaxError: message"
  const at = new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:(\\d+)$`, 'm').exec(run.stderr);
  const error = /^(\w*Error: .*)$/m.exec(run.stderr);
  return { line: at ? Number(at[1]) : undefined, message: error ? error[1] : (run.stderr.trim().split('\n').pop() ?? 'does not parse') };
}

export function spawnNode(args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): ChildProcess {
  return spawn(process.execPath, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
}
