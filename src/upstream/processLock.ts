import { promises as fs } from 'node:fs';
import path from 'node:path';
import { MeshforkError } from '../errors';

/** A lock held this long without a heartbeat belongs to a dead process (proper-lockfile refreshes it every stale/2). */
const STALE_MS = 10_000;

export async function withProcessLock<T>(lockPath: string, work: () => Promise<T>): Promise<T> {
  await fs.mkdir(path.dirname(lockPath), { recursive: true });
  let release: () => Promise<void>;
  try {
    // loaded here: warm commands take no lock and should not pay for loading it
    const { default: lockfile } = await import('proper-lockfile');
    release = await lockfile.lock(lockPath, {
      realpath: false,
      lockfilePath: `${lockPath}.lock`,
      stale: STALE_MS,
      // Another process may be downloading a release for minutes; wait for it rather than fail.
      retries: { retries: 1200, factor: 1.2, minTimeout: 50, maxTimeout: 500 },
      // The default throws from a timer when a refresh is late; work under these locks is atomic and idempotent.
      onCompromised: () => undefined,
    });
  } catch (error) {
    throw new MeshforkError('IO_FAILED', `cannot lock ${lockPath}: ${(error as Error).message}`, {
      hint: 'another meshfork process may be stuck; if none runs, delete the .lock folder',
      cause: error,
    });
  }
  try {
    return await work();
  } finally {
    await release().catch(() => undefined);
  }
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function removeLeftovers(dir: string, prefix: string): Promise<void> {
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    const pid = name.startsWith(prefix) ? /^(\d+)-/.exec(name.slice(prefix.length))?.[1] : undefined;
    // The dead run's git child (SIGKILL reaches only meshfork) may still be writing: retry on ENOTEMPTY.
    if (pid !== undefined && Number(pid) !== process.pid && !processAlive(Number(pid)))
      await fs.rm(path.join(dir, name), { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  }
}
