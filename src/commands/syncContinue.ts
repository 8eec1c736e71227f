import { loadConfig } from '../config/load';
import { openUpstream } from '../upstream';
import type { ProgressSink } from '../util/progress';
import { projectLayout } from '../project/layout';
import { withProjectLock } from '../project/projectLock';
import { continueRebaseSession, type RebaseReport } from '../rebase/rebaseSession';
import { requireRebaseState } from '../rebase/rebaseState';

export interface SyncContinueOptions {
  cwd: string;
  configFile?: string;
  /** Drop the stopped patch instead of committing a resolution (git rebase --skip). */
  skip?: boolean;
  progress?: ProgressSink;
  cacheDir?: string;
}

export async function syncContinue(options: SyncContinueOptions): Promise<RebaseReport> {
  const loaded = await loadConfig(options.cwd, options.configFile);
  const layout = projectLayout(loaded);
  await requireRebaseState(layout.rebaseFile);
  const upstream = await openUpstream(loaded, { progress: options.progress, cacheDir: options.cacheDir });
  try {
    return await withProjectLock(layout, () => continueRebaseSession(layout, upstream, { skip: options.skip }));
  } finally {
    upstream.close();
  }
}
