import { MeshforkError } from '../errors';
import type { ProgressSink } from '../util/progress';
import { gitEnv, loadExeca, missingGit } from './git';

const UNITS: Record<string, number> = { bytes: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 };

/** Bytes received so far, from git's "Receiving objects:  45% (10/22), 12.00 MiB | 3.00 MiB/s" lines. */
export function receivedBytes(line: string): number | undefined {
  const match = /Receiving objects:.*?,\s*([\d.]+)\s*(bytes|KiB|MiB|GiB)/.exec(line);
  return match ? Math.round(Number(match[1]) * UNITS[match[2]]) : undefined;
}

/** Failures are TOOL_FAILED with stderr; callers decide whether that means "unreachable". */
export async function runGitWithProgress(args: string[], cwd: string, progress: ProgressSink, label: string): Promise<void> {
  const execa = await loadExeca();
  const child = execa('git', args, { cwd, env: gitEnv(), extendEnv: false, reject: false, all: false });
  let stderr = '';
  progress.start(label);
  child.stderr?.on('data', (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    stderr += text;
    for (const line of text.split(/[\r\n]/)) {
      const bytes = receivedBytes(line);
      if (bytes !== undefined) progress.advance(bytes);
    }
  });
  let result;
  try {
    result = await child;
  } finally {
    progress.finish();
  }
  if ((result as { code?: string }).code === 'ENOENT') throw missingGit();
  if (result.exitCode !== 0) {
    const lastLines = stderr
      .split(/[\r\n]/)
      .filter((l) => l.trim() && !/^(remote: )?(Counting|Compressing|Receiving|Resolving|Enumerating)/.test(l));
    throw new MeshforkError('TOOL_FAILED', `git ${args[0]} failed (exit ${result.exitCode}): ${lastLines.join(' ').trim()}`, {
      details: { stderr, exitCode: result.exitCode },
    });
  }
}
