/*
 * Cache locks (src/upstream/processLock.ts, proper-lockfile) of a killed holder go stale after 10 s
 * without a heartbeat. Waiting 10 s after each of hundreds of kills is not affordable, so after a
 * kill the tests age those lock folders past the stale time (the clock, controlled) — only once the
 * holder is dead. One test waits the real 10 s once (killApply: "a killed cache filler's lock").
 */
import { existsSync, readdirSync, utimesSync } from 'node:fs';
import path from 'node:path';

/** Set every `*.lock` folder under cacheDir/locks a minute into the past; returns how many. */
export function ageDeadLocks(cacheDir: string): number {
  const dir = path.join(cacheDir, 'locks');
  if (!existsSync(dir)) return 0;
  const past = new Date(Date.now() - 60_000);
  let aged = 0;
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.lock'))) {
    utimesSync(path.join(dir, name), past, past);
    aged += 1;
  }
  return aged;
}
