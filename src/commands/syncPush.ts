import { loadConfig } from '../config/load';
import { MeshforkError } from '../errors';
import { readCommitRecord } from '../rebase/lastCommit';
import { projectLayout } from '../project/layout';
import { pushBranch, remoteDefaultBranch } from '../project/projectRepo';

export interface SyncPushOptions {
  cwd: string;
  configFile?: string;
  remote?: string;
  /** Default: the branch the last `sync rebase --commit` made (recorded in .meshfork/last-commit.json). */
  branch?: string;
}

/** pushed is false when the remote had that commit on the branch already. */
export interface SyncPushResult {
  remote: string;
  branch: string;
  commit: string;
  pushed: boolean;
}

/** Never the remote's default branch (a refresh goes in through a pull request), and nothing when the remote has it already. */
export async function syncPush(options: SyncPushOptions): Promise<SyncPushResult> {
  const loaded = await loadConfig(options.cwd, options.configFile);
  const remote = options.remote ?? 'origin';
  const recorded = await readCommitRecord(projectLayout(loaded));
  const branch = options.branch ?? recorded?.branch;
  if (!branch) {
    throw new MeshforkError(
      'USAGE',
      'nothing to push: no refresh branch was recorded (`meshfork sync rebase --commit` records the branch it makes)',
      {
        hint: 'make one with `meshfork sync rebase --to VERSION --commit`, or name an existing branch with `meshfork sync push --branch NAME`',
      },
    );
  }
  const protectedBranch = (await remoteDefaultBranch(loaded.root, remote)) ?? 'main';
  if (branch === protectedBranch || (options.branch === undefined && ['main', 'master'].includes(branch))) {
    throw new MeshforkError(
      'USAGE',
      `refusing to push ${branch}: it is the default branch of ${remote}; a refresh goes in through a pull request from its own branch`,
      {
        hint:
          recorded && recorded.branch !== branch
            ? `push the refresh branch with \`meshfork sync push\` (${recorded.branch})`
            : 'make a refresh branch with `meshfork sync rebase --to VERSION --commit`, then `meshfork sync push`',
      },
    );
  }
  const { commit, pushed } = await pushBranch(loaded.root, remote, branch);
  return { remote, branch, commit, pushed };
}
