import type { LoadedConfig } from '../config/load';
import type { ProgressSink } from '../util/progress';
import * as semver from '../util/semver';
import { buildCheckReport } from './build';
import type { ReleaseReport, SyncCheckReport } from './schema';

export interface CheckRequest {
  to?: string;
  all?: boolean;
  ignoreRange?: boolean;
  /** 0 (strict) by default. */
  fuzz?: number;
  recheck?: boolean;
  progress?: ProgressSink;
}

/** The whole report around the releases' reports (shared by the remembered and the full check). */
export function checkReport(
  loaded: LoadedConfig,
  options: CheckRequest,
  releases: ReleaseReport[],
  run: { kind: 'npm' | 'git'; newest: string | null; baseChecked: boolean },
): SyncCheckReport {
  const { config } = loaded;
  // Typed by the zod schema (z.infer); test/integration/fastPaths.test.ts parses real reports with
  // it and compares the bytes. Parsing here too would load zod on every run for no new answer.
  return buildCheckReport({
    upstream: { kind: run.kind, source: config.upstream.source === 'npm' ? config.upstream.package : config.upstream.url },
    base: config.base,
    supports: config.supports,
    newest: run.newest,
    mode: options.to !== undefined ? 'to' : options.all ? 'all' : 'newest',
    fuzz: options.fuzz ?? 0,
    releases,
    upToDate: run.baseChecked,
    baseChecked: run.baseChecked,
    isNewer: (a, b) => semver.gt(a, b),
  });
}
