/** `meshfork sync push`: push the refresh branch made by `sync rebase --commit` (the old script's `push`). */
import { loadConfig } from '../config/load';
import { currentBranch, pushBranch } from '../workspace/projectRepo';

/** Options of `meshfork sync push`. */
export interface SyncPushOptions {
  cwd: string;
  configFile?: string;
  remote?: string;
  /** Default: the branch checked out (where `--commit` left the project). */
  branch?: string;
}

/** What was pushed where. */
export interface SyncPushResult {
  remote: string;
  branch: string;
  commit: string;
}

export async function syncPush(options: SyncPushOptions): Promise<SyncPushResult> {
  const loaded = await loadConfig(options.cwd, options.configFile);
  const remote = options.remote ?? 'origin';
  const branch = options.branch ?? (await currentBranch(loaded.root));
  const commit = await pushBranch(loaded.root, remote, branch);
  return { remote, branch, commit };
}
