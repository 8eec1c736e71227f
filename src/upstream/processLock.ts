import { promises as fs } from 'node:fs';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import { MeshforkError } from '../errors';

/** A lock held this long without a heartbeat belongs to a dead process (proper-lockfile refreshes it every stale/2). */
const STALE_MS = 10_000;

/**
 * Run `work` while holding an exclusive lock shared by every meshfork process on this machine
 * (a `<name>.lock` directory that proper-lockfile keeps fresh; a killed holder's lock goes stale).
 */
export async function withProcessLock<T>(lockPath: string, work: () => Promise<T>): Promise<T> {
  await fs.mkdir(path.dirname(lockPath), { recursive: true });
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(lockPath, {
      realpath: false,
      lockfilePath: `${lockPath}.lock`,
      stale: STALE_MS,
      // Another process may be downloading a release for minutes; wait for it rather than fail.
      retries: { retries: 1200, factor: 1.2, minTimeout: 50, maxTimeout: 500 },
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
