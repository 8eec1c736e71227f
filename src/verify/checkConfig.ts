import { existsSync } from 'node:fs';
import path from 'node:path';
import { loadConfig, type LoadedConfig } from '../config/load';
import { LOCK_FILE } from '../upstream';
import { readLock, upstreamKey } from '../upstream/lockFile';
import { failureKindOf, problemFromError } from './problems';
import type { FailureKind, Problem } from './types';

export interface ConfigCheck {
  loaded?: LoadedConfig;
  /** The lock parses and pins the base: only then may checks read the base release. */
  lockOk: boolean;
  kind?: FailureKind;
  problems: Problem[];
}

/** verify reads the base through the lock and never writes it: an unpinned base is a finding, not a silent write. */
export async function checkConfig(cwd: string, configFile?: string): Promise<ConfigCheck> {
  let loaded: LoadedConfig;
  try {
    loaded = await loadConfig(cwd, configFile);
  } catch (error) {
    return { lockOk: false, kind: failureKindOf(error), problems: [problemFromError(error, cwd)] };
  }
  const lockFile = path.join(loaded.root, LOCK_FILE);
  if (!existsSync(lockFile)) {
    return {
      loaded,
      lockOk: false,
      kind: 'input',
      problems: [
        {
          file: LOCK_FILE,
          message: 'missing: the base release is not pinned',
          hint: 'run `meshfork upstream fetch` (it pins the base) and commit meshfork.lock.json',
        },
      ],
    };
  }
  try {
    const lock = await readLock(lockFile);
    const key = upstreamKey(loaded.config.upstream);
    if (!lock.upstreams[key]?.[loaded.config.base]) {
      return {
        loaded,
        lockOk: false,
        kind: 'input',
        problems: [
          {
            file: LOCK_FILE,
            message: `the base ${loaded.config.base} of upstream ${key} is not pinned`,
            hint: 'run `meshfork upstream fetch` (it pins the base) and commit meshfork.lock.json',
          },
        ],
      };
    }
  } catch (error) {
    return { loaded, lockOk: false, kind: failureKindOf(error), problems: [problemFromError(error, loaded.root)] };
  }
  return { loaded, lockOk: true, problems: [] };
}
