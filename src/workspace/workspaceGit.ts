import { GIT_IDENTITY, runGit, gitText, type GitResult, type GitRunOptions } from '../tools/git';

/**
 * Commits meshfork makes in the workspace carry a fixed identity and fixed dates, so the same
 * release and series always give the same commit ids, whatever the machine or the clock.
 */
export const FIXED_DATE = '946684800 +0000';

export const UPSTREAM_IDENTITY = {
  ...GIT_IDENTITY,
  GIT_AUTHOR_NAME: 'upstream',
  GIT_AUTHOR_EMAIL: 'upstream@meshfork.invalid',
  GIT_AUTHOR_DATE: FIXED_DATE,
  GIT_COMMITTER_DATE: FIXED_DATE,
};

/** git inside the workspace (or any directory), with meshfork's isolated config. */
export function wsGit(workDir: string, args: string[], options: Omit<GitRunOptions, 'cwd'> = {}): Promise<GitResult> {
  return runGit(args, { ...options, cwd: workDir });
}

export function wsGitText(workDir: string, args: string[], options: Omit<GitRunOptions, 'cwd'> = {}): Promise<string> {
  return gitText(args, { ...options, cwd: workDir });
}

/**
 * Local config of a workspace: bytes are stored exactly as they are, whatever git the user runs
 * there. Objects are stored uncompressed: a release is ~400 MB and the workspace is scratch, so CPU
 * time matters more than its disk size.
 */
export const WORKSPACE_CONFIG: [string, string][] = [
  ['core.autocrlf', 'false'],
  ['core.safecrlf', 'false'],
  ['core.filemode', 'true'],
  ['core.looseCompression', '0'],
  ['gc.auto', '0'],
  ['commit.gpgSign', 'false'],
  ['diff.renames', 'true'],
];
