import { loadConfig } from '../config/load';
import { projectLayout } from '../project/layout';
import { withProjectLock } from '../project/projectLock';
import { abortRebase } from '../rebase/rebaseSession';

export interface SyncAbortOptions {
  cwd: string;
  configFile?: string;
}

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
