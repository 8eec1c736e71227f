import { loadConfig } from '../config/load';
import { openUpstream } from '../upstream';
import { normalizeVersion } from '../upstream/version';
import type { ProgressSink } from '../util/progress';

export interface UpstreamFetchOptions {
  cwd: string;
  configFile?: string;
  versions: string[];
  updateLock?: boolean;
  progress?: ProgressSink;
  cacheDir?: string;
}

export interface UpstreamFetchResult {
  releases: { version: string; identity: string }[];
}

export async function upstreamFetch(options: UpstreamFetchOptions): Promise<UpstreamFetchResult> {
  const loaded = await loadConfig(options.cwd, options.configFile);
  const versions = options.versions.length > 0 ? options.versions.map((v) => normalizeVersion(v, 'upstream fetch')) : [loaded.config.base];
  const upstream = await openUpstream(loaded, { progress: options.progress, updateLock: options.updateLock, cacheDir: options.cacheDir });
  try {
    const releases = [];
    for (const version of versions) {
      const release = await upstream.fetch(version);
      releases.push({ version: release.version, identity: release.identity });
    }
    return { releases };
  } finally {
    upstream.close();
  }
}
