import path from 'node:path';
import { loadConfig } from '../config/load';
import { openUpstream } from '../upstream';
import { MeshforkError } from '../errors';
import { inRange } from '../upstream/range';
import { normalizeVersion } from '../upstream/version';
import type { ProgressSink } from '../util/progress';
import { projectLayout } from '../project/layout';
import { withProjectLock } from '../project/projectLock';
import { startRebase, type RebaseReport } from '../rebase/rebaseSession';

export interface SyncRebaseOptions {
  cwd: string;
  configFile?: string;
  to: string;
  commit?: boolean;
  branch?: string;
  summary?: string;
  force?: boolean;
  progress?: ProgressSink;
  cacheDir?: string;
}

export async function syncRebase(input: SyncRebaseOptions): Promise<RebaseReport> {
  const options = { ...input, to: normalizeVersion(input.to, '--to') };
  const loaded = await loadConfig(options.cwd, options.configFile);
  // The rebase ends by making VERSION the base, and the base must lie inside "supports".
  if (!inRange(loaded.config, options.to)) {
    // An unknown release is VERSION_UNKNOWN: "widen supports" would only lead to that next.
    const upstream = await openUpstream(loaded, { progress: options.progress, cacheDir: options.cacheDir });
    try {
      if (!(await upstream.listReleases()).some((r) => r.version === options.to)) await upstream.resolve(options.to);
    } finally {
      upstream.close();
    }
    throw new MeshforkError(
      'VERSION_OUT_OF_RANGE',
      `${options.to} is outside the supported range "${loaded.config.supports}" (${loaded.file}: supports), so it cannot become the base`,
      {
        hint: 'widen "supports" in the config first (and commit that), then run the rebase again',
        details: { version: options.to, supports: loaded.config.supports },
      },
    );
  }
  const upstream = await openUpstream(loaded, { progress: options.progress, cacheDir: options.cacheDir });
  const layout = projectLayout(loaded);
  try {
    return await withProjectLock(layout, () =>
      startRebase(layout, upstream, {
        from: loaded.config.base,
        to: options.to,
        force: options.force,
        finish: {
          commit: Boolean(options.commit),
          branch: options.branch,
          summary: options.summary === undefined ? undefined : path.resolve(options.cwd, options.summary),
        },
      }),
    );
  } finally {
    upstream.close();
  }
}
