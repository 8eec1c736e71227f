/** `meshfork sync abort`: undo a rebase; patches/, config, lock and any earlier workspace come back byte for byte. */
import { loadConfig } from '../config/load';
import { projectLayout } from '../project/layout';
import { withProjectLock } from '../project/projectLock';
import { abortRebase } from '../rebase/rebaseSession';

/** Options of `meshfork sync abort`. */
export interface SyncAbortOptions {
  cwd: string;
  configFile?: string;
}

/** The rebase that was undone, and the files put back. */
export interface SyncAbortResult {
  from?: string;
  to?: string;
  restored: string[];
}

export async function syncAbort(options: SyncAbortOptions): Promise<SyncAbortResult> {
  const loaded = await loadConfig(options.cwd, options.configFile);
  const layout = projectLayout(loaded);
  const { from, to } = await withProjectLock(layout, () => abortRebase(layout));
  return { from, to, restored: [layout.patchesDir, layout.configFile, layout.lockFile] };
}
