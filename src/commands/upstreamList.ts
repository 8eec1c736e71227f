import * as semver from '../util/semver';
import { loadConfig } from '../config/load';
import { inRange, openUpstream } from '../upstream';
import { upstreamKey } from '../upstream/lockFile';
import type { ProgressSink } from '../util/progress';
import { requireReleases } from '../upstream/version';

export interface UpstreamListOptions {
  cwd: string;
  configFile?: string;
  progress?: ProgressSink;
  cacheDir?: string;
}

export interface UpstreamListEntry {
  version: string;
  date: string | null;
  base: boolean;
  newest: boolean;
  supported: boolean;
}

export interface UpstreamListResult {
  upstream: string;
  base: string;
  supports: string;
  releases: UpstreamListEntry[];
}

export async function upstreamList(options: UpstreamListOptions): Promise<UpstreamListResult> {
  const loaded = await loadConfig(options.cwd, options.configFile);
  const upstream = await openUpstream(loaded, { progress: options.progress, cacheDir: options.cacheDir });
  try {
    const releases = await upstream.listReleases();
    // No release at all is a misconfigured upstream (a regex for a glob), not an empty success.
    requireReleases(loaded.config, releases);
    const newest = releases.map((r) => r.version).sort(semver.rcompare)[0];
    return {
      upstream: upstreamKey(loaded.config.upstream),
      base: loaded.config.base,
      supports: loaded.config.supports,
      releases: releases.map((r) => ({
        version: r.version,
        date: r.date ?? null,
        base: r.version === loaded.config.base,
        newest: r.version === newest,
        supported: inRange(loaded.config, r.version),
      })),
    };
  } finally {
    upstream.close();
  }
}
