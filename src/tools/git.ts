import { spawn } from 'node:child_process';
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

/**
 * glibc gives freed memory back at once by default, and git's object writers (fast-import, add) free
 * and re-grow their buffers for every object: thousands of brk calls, each new page zeroed, which took
 * fast-import ~1.4 s of system time for a 300-patch series (0.03 s with these settings). A git exits
 * in seconds, so keeping its memory until then costs nothing. Ignored where the C library is not glibc.
 */
const GIT_MALLOC = 'glibc.malloc.trim_threshold=268435456:glibc.malloc.top_pad=67108864';

export function gitEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    GLIBC_TUNABLES: GIT_MALLOC,
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

/** execa, loaded on first use (by npm and git's progress runs): a warm command spawns nothing and need not load it. */
export async function loadExeca(): Promise<typeof Execa> {
  return (await import('execa')).default;
}

const MAX_OUTPUT = 1024 * 1024 * 1024;

interface Exit {
  stdout: Buffer;
  stderr: Buffer;
  /** null when the child was killed by a signal. */
  code: number | null;
  /** Set when the child produced more output than MAX_OUTPUT and was killed. */
  overflow?: boolean;
}

/**
 * One git process, plainly with child_process: execa's wrapping (and its ~30 modules) cost about as
 * much as the spawn itself, and edit and export run git a dozen times. Input (or nothing) is written
 * and stdin closed; stdout and stderr are collected as bytes.
 */
function spawnGit(args: string[], options: GitRunOptions): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, { cwd: options.cwd, env: gitEnv(options.env), stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    let overflow = false;
    const collect = (into: Buffer[]) => (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_OUTPUT) {
        overflow = true;
        child.kill();
        return;
      }
      into.push(chunk);
    };
    child.stdout.on('data', collect(out));
    child.stderr.on('data', collect(err));
    child.on('error', reject);
    child.on('close', (code) => resolve({ stdout: Buffer.concat(out), stderr: Buffer.concat(err), code, overflow }));
    // a git that exits without reading all its input closes the pipe: its exit code tells what happened
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input);
  });
}

export async function runGit(args: string[], options: GitRunOptions): Promise<GitResult> {
  const ok = options.okExitCodes ?? [0];
  let result: Exit;
  try {
    result = await spawnGit(args, options);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw missingGit();
    throw new MeshforkError('TOOL_FAILED', `git ${args[0]} could not be started: ${(error as Error).message}`, { cause: error });
  }
  const stderr = result.stderr.toString('utf8');
  const exitCode = result.code ?? -1;
  if (result.overflow)
    throw new MeshforkError('TOOL_FAILED', `git ${args.join(' ')} printed more than ${MAX_OUTPUT} bytes`, {
      details: { stderr, exitCode },
    });
  if (!ok.includes(exitCode)) {
    throw new MeshforkError('TOOL_FAILED', `git ${args.join(' ')} failed (exit ${exitCode}): ${stderr.trim()}`, {
      details: { stderr, exitCode },
    });
  }
  return { stdout: result.stdout, stderr, exitCode };
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
