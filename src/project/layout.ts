import { promises as fs } from 'node:fs';
import path from 'node:path';
import { filesFolder, type LoadedConfig } from '../config/load';
import { LOCK_FILE } from '../upstream/lockFile';
import { statePaths, type StatePaths } from './paths';

export interface ProjectLayout extends StatePaths {
  root: string;
  configFile: string;
  patchesDir: string;
  lockFile: string;
  /** The files folder (config "files"), as loadSeries takes it; undefined when not configured. */
  files?: { dir: string; name: string };
}

export function projectLayout(loaded: LoadedConfig): ProjectLayout {
  const files = filesFolder(loaded);
  return {
    ...statePaths(loaded.root),
    root: loaded.root,
    configFile: loaded.file,
    patchesDir: loaded.patchesDir,
    lockFile: path.join(loaded.root, LOCK_FILE),
    ...(files ? { files } : {}),
  };
}

/** Create `.meshfork/`, ignored by git from inside (so the project's .gitignore need not change). */
export async function ensureStateDir(layout: StatePaths): Promise<void> {
  await fs.mkdir(layout.stateDir, { recursive: true });
  const ignore = path.join(layout.stateDir, '.gitignore');
  await fs
    .writeFile(ignore, '# meshfork working state (workspace, rebase backup); never committed\n*\n', { flag: 'wx' })
    .catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
}
