import { promises as fs } from 'node:fs';
import path from 'node:path';
import { MeshforkError } from '../errors';
import { ensureStateDir } from './layout';
import type { StatePaths } from './paths';
import { tracePhase } from '../util/tracePhase';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Run work as the only command changing this project: .meshfork/lock holds the pid, made with link() so never half-written; a dead owner's lock is taken over. */
export async function withProjectLock<T>(paths: StatePaths, work: () => Promise<T>): Promise<T> {
  await ensureStateDir(paths);
  const lock = path.join(paths.stateDir, 'lock');
  const mine = `${lock}.${process.pid}`;
  await fs.writeFile(mine, `${process.pid}\n`);
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await fs.link(mine, lock);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 3) throw error;
        const holder = Number((await fs.readFile(lock, 'utf8').catch(() => '')).trim());
        if (holder && holder !== process.pid && isAlive(holder)) {
          throw new MeshforkError('STATE_INVALID', `another meshfork command (pid ${holder}) is changing this project`, {
            hint: `wait for it to finish; if no meshfork is running, delete ${lock}`,
          });
        }
        await fs.rm(lock, { force: true });
      }
    }
  } finally {
    await fs.rm(mine, { force: true });
  }
  tracePhase('lock:held');
  try {
    return await work();
  } finally {
    tracePhase('lock:released');
    await fs.rm(lock, { force: true });
  }
}
