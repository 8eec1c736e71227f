import path from 'node:path';

/** Where meshfork keeps its per-project working state (git-ignored `.meshfork/`). */
export interface StatePaths {
  stateDir: string;
  /** The git workspace where patches are edited as commits. */
  workDir: string;
  rebaseFile: string;
  /** Copies of patches/, config and lock taken before a rebase, for `sync abort`. */
  backupDir: string;
}

export function statePaths(root: string): StatePaths {
  const stateDir = path.join(root, '.meshfork');
  return {
    stateDir,
    workDir: path.join(stateDir, 'work'),
    rebaseFile: path.join(stateDir, 'rebase.json'),
    backupDir: path.join(stateDir, 'backup'),
  };
}

export function displayPath(root: string, target: string): string {
  const rel = path.relative(root, target);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : target;
}
