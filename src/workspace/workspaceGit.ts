import { GIT_IDENTITY, runGit, gitText, type GitResult, type GitRunOptions } from '../tools/git';

/** Fixed identity and dates, so the same release and series give the same commit ids on any machine. */
export const FIXED_DATE = '946684800 +0000';

export const UPSTREAM_IDENTITY = {
  ...GIT_IDENTITY,
  GIT_AUTHOR_NAME: 'upstream',
  GIT_AUTHOR_EMAIL: 'upstream@meshfork.invalid',
  GIT_AUTHOR_DATE: FIXED_DATE,
  GIT_COMMITTER_DATE: FIXED_DATE,
};

export function wsGit(workDir: string, args: string[], options: Omit<GitRunOptions, 'cwd'> = {}): Promise<GitResult> {
  return runGit(args, { ...options, cwd: workDir });
}

export function wsGitText(workDir: string, args: string[], options: Omit<GitRunOptions, 'cwd'> = {}): Promise<string> {
  return gitText(args, { ...options, cwd: workDir });
}

/** Bytes stored as they are whatever git the user runs; objects uncompressed: a release is ~400 MB of scratch, CPU time matters more. */
export const WORKSPACE_CONFIG: [string, string][] = [
  ['core.autocrlf', 'false'],
  ['core.safecrlf', 'false'],
  ['core.filemode', 'true'],
  ['core.looseCompression', '0'],
  ['gc.auto', '0'],
  ['commit.gpgSign', 'false'],
  ['diff.renames', 'true'],
];
