import type Execa from 'execa';
import { MeshforkError } from '../errors';

/**
 * The one door to the git program. Arguments are arrays, never shell strings; the user's global
 * and system config are ignored so results do not depend on the machine.
 */
export const GIT_IDENTITY = {
  GIT_AUTHOR_NAME: 'meshfork',
  GIT_AUTHOR_EMAIL: 'meshfork@localhost',
  GIT_COMMITTER_NAME: 'meshfork',
  GIT_COMMITTER_EMAIL: 'meshfork@localhost',
};

export function gitEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    LC_ALL: 'C',
    ...extra,
  };
}

export interface GitRunOptions {
  cwd: string;
  input?: string | Buffer;
  env?: Record<string, string>;
  /** Exit codes that are answers, not failures (e.g. 1 from merge-file with conflicts). */
  okExitCodes?: number[];
}

export interface GitResult {
  stdout: Buffer;
  stderr: string;
  exitCode: number;
}

/** execa, loaded on first use: a warm command with an npm upstream spawns nothing and need not load it. */
export async function loadExeca(): Promise<typeof Execa> {
  return (await import('execa')).default;
}

export async function runGit(args: string[], options: GitRunOptions): Promise<GitResult> {
  const ok = options.okExitCodes ?? [0];
  let result;
  try {
    const execa = await loadExeca();
    result = await execa('git', args, {
      cwd: options.cwd,
      input: options.input,
      env: gitEnv(options.env),
      extendEnv: false,
      encoding: null,
      stripFinalNewline: false,
      reject: false,
      maxBuffer: 1024 * 1024 * 1024,
    });
  } catch (error) {
    throw new MeshforkError('TOOL_FAILED', `git ${args[0]} could not be started: ${(error as Error).message}`, { cause: error });
  }
  if ((result as { code?: string }).code === 'ENOENT') throw missingGit();
  const stderr = Buffer.isBuffer(result.stderr) ? result.stderr.toString('utf8') : String(result.stderr ?? '');
  const exitCode = result.exitCode ?? -1;
  if (!ok.includes(exitCode)) {
    throw new MeshforkError('TOOL_FAILED', `git ${args.join(' ')} failed (exit ${exitCode}): ${stderr.trim()}`, {
      details: { stderr, exitCode },
    });
  }
  const stdout = Buffer.isBuffer(result.stdout) ? result.stdout : Buffer.from(String(result.stdout ?? ''));
  return { stdout, stderr, exitCode };
}

/** stdout as text, trailing newline removed. */
export async function gitText(args: string[], options: GitRunOptions): Promise<string> {
  return (await runGit(args, options)).stdout.toString('utf8').replace(/\n$/, '');
}

export function missingGit(): MeshforkError {
  return new MeshforkError('TOOL_MISSING', 'git is not installed or not on PATH', {
    hint: 'install git (e.g. apt-get install -y git) and run the command again',
  });
}
