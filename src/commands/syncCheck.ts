/*
 * `meshfork sync check`: does the series still apply to newer upstream releases, and if not,
 * exactly where and why. Reads only the files the series touches, through the upstream's cache;
 * never materializes a release.
 */
import * as semver from '../util/semver';
import { loadConfig, type LoadedConfig } from '../config/load';
import { applySeries, MemoryTree, prefetchingReader, type FileReader } from '../engine';
import { MeshforkError } from '../errors';
import { buildCheckReport, buildReleaseReport, fileKey, hunkBaseLine, hunkKey, isFailingHunk } from '../report/build';
import type { ReleaseReport, SyncCheckReport, UpstreamCommit } from '../report/schema';
import { loadSeries } from '../series/load';
import { operationTargetPath, touchedPaths, type Patch } from '../series/types';
import { culpritCommits, removalCommits, securityCommitsByTarget } from '../upstream/history';
import { openUpstream, type Release, type Upstream } from '../upstream';
import { assertReleaseInRange, normalizeVersion, requireBaseRelease } from '../upstream/version';
import { mapLimit } from '../util/mapLimit';
import type { ProgressSink } from '../util/progress';
import type { SeriesOutcome } from '../engine/types';

/** Releases checked concurrently by --all (memory grows with this, not with the number of releases). */
const RELEASES_AT_ONCE = 2;

/** What `meshfork sync check` is asked to do; the CLI maps flags to these. */
export interface SyncCheckOptions {
  cwd: string;
  configFile?: string;
  /** Check this one release (--to). */
  to?: string;
  /** Check every release in supports newer than the base (--all). */
  all?: boolean;
  /** Allow --to a release outside supports. */
  ignoreRange?: boolean;
  /** Fuzz factor for every release; 0 (strict) by default. */
  fuzz?: number;
  progress?: ProgressSink;
  /** Overrides the cache root (tests, benchmarks). */
  cacheDir?: string;
}

/**
 * The releases to check. With nothing in supports newer than the base, the default and --all check
 * the base itself: a series that no longer applies to its own base must not pass as "up to date".
 */
async function chooseTargets(options: SyncCheckOptions, loaded: LoadedConfig, upstream: Upstream, inSupports: Release[]): Promise<{ targets: Release[]; baseChecked: boolean }> {
  const { base } = loaded.config;
  if (options.to !== undefined) {
    await assertReleaseInRange(upstream, loaded.config, options.to, options.ignoreRange);
    return { targets: [await upstream.resolve(options.to)], baseChecked: false };
  }
  const newer = inSupports.filter((r) => semver.gt(r.version, base));
  if (newer.length === 0) return { targets: [await upstream.resolve(base)], baseChecked: true };
  const chosen = options.all ? newer : newer.slice(-1);
  // resolve() pins each release in the lock file and fails on an identity mismatch.
  return { targets: await Promise.all(chosen.map((r) => upstream.resolve(r.version))), baseChecked: false };
}

/** What the history says about one release's failures: culprits per failing hunk (hunkKey) and missing file (fileKey). */
interface Culprits {
  commits: Map<string, UpstreamCommit[]>;
  renamedTo: Map<string, string>;
}

/**
 * Culprit commits for every hunk that did not apply as written and every missing file. A hunk's
 * @@ lines count the earlier patches on its file: they are mapped back to the base release first.
 */
async function findCulprits(history: History, patches: Patch[], outcome: SeriesOutcome, targetCommit: string): Promise<Culprits> {
  const found: Culprits = { commits: new Map(), renamedTo: new Map() };
  for (const patchOutcome of outcome.patches) {
    const patch = patches.find((p) => p.name === patchOutcome.name);
    for (const file of patchOutcome.files) {
      const op = patch?.operations.find((o) => operationTargetPath(o) === file.path);
      if (!op) continue;
      const sourcePath = op.kind === 'rename' ? op.from : op.path;
      if (file.status === 'missing') {
        // Gone from the release: the commit that deleted or renamed it is the culprit, not every commit that touched it.
        const removed = await removalCommits(history.mirrorDir, history.baseCommit, targetCommit, sourcePath);
        found.commits.set(fileKey(patchOutcome.name, file.path), removed.commits);
        if (removed.renamedTo) found.renamedTo.set(fileKey(patchOutcome.name, file.path), removed.renamedTo);
      }
      for (const hunk of file.hunks.filter(isFailingHunk)) {
        const source = op.hunks[hunk.index];
        const ref = { patch: patchOutcome.name, path: file.path, index: hunk.index };
        const oldStart = Math.max(source.oldStart, 1);
        const start = hunkBaseLine(patches, ref, oldStart);
        const end = Math.max(hunkBaseLine(patches, ref, oldStart + Math.max(source.oldLines, 1) - 1), start);
        // The base checked against itself has no history in between (and git log -L refuses an empty range).
        const commits = targetCommit === history.baseCommit ? [] : await culpritCommits(history.mirrorDir, history.baseCommit, targetCommit, sourcePath, { start, end });
        found.commits.set(hunkKey(ref), commits);
      }
    }
  }
  return found;
}

interface CheckContext {
  options: SyncCheckOptions;
  loaded: LoadedConfig;
  upstream: Upstream;
  patches: Patch[];
  paths: string[];
  baseReader: FileReader;
  history: History | undefined;
}

/** A git upstream's history around the checked releases: security commits come in one batch. */
interface History {
  mirrorDir: string;
  baseCommit: string;
  security: Map<string, UpstreamCommit[]>;
}

async function gatherHistory(upstream: Upstream, base: string, targets: Release[]): Promise<History | undefined> {
  if (!upstream.git || targets.length === 0) return undefined;
  const baseCommit = await upstream.git.commitOf(base);
  // A git release's identity is its commit.
  const security = await securityCommitsByTarget(upstream.git.mirrorDir, baseCommit, targets.map((t) => t.identity));
  return { mirrorDir: upstream.git.mirrorDir, baseCommit, security };
}

async function checkRelease(ctx: CheckContext, release: Release): Promise<ReleaseReport> {
  const { upstream, patches, loaded, history } = ctx;
  const read = prefetchingReader(upstream.reader(release.version), ctx.paths);
  const outcome = await applySeries(patches, new MemoryTree(read), { fuzz: ctx.options.fuzz ?? 0, threeWayBase: ctx.baseReader });
  const culprits = history && (await findCulprits(history, patches, outcome, release.identity));
  return buildReleaseReport({
    version: release.version,
    identity: release.identity,
    inSupports: semver.satisfies(release.version, loaded.config.supports),
    outcome,
    patches,
    culprits: culprits?.commits,
    renamedTo: culprits?.renamedTo,
    securityCommits: history ? history.security.get(release.identity) ?? [] : null,
  });
}

function validateOptions(options: SyncCheckOptions): void {
  if (options.to !== undefined && options.all) {
    throw new MeshforkError('USAGE', '--to and --all cannot be used together', { hint: 'use --to VERSION for one release, or --all for every newer release in supports' });
  }
  const fuzz = options.fuzz ?? 0;
  if (!Number.isInteger(fuzz) || fuzz < 0) {
    throw new MeshforkError('USAGE', `--fuzz: expected a whole number >= 0, got ${String(options.fuzz)}`, { hint: 'omit --fuzz for strict checking, or pass e.g. --fuzz 2' });
  }
}

/**
 * Check the series against the chosen releases and return the report; conflicts are data, not errors.
 * With --to the release list is not fetched (no registry round trip), so `newest` is null.
 */
export async function syncCheck(input: SyncCheckOptions): Promise<SyncCheckReport> {
  validateOptions(input);
  const options = input.to === undefined ? input : { ...input, to: normalizeVersion(input.to, '--to') };
  const loaded = await loadConfig(options.cwd, options.configFile);
  const series = await loadSeries(loaded.patchesDir);
  const upstream = await openUpstream(loaded, { progress: options.progress, cacheDir: options.cacheDir });
  try {
    const { config } = loaded;
    let inSupports: Release[] = [];
    if (options.to === undefined) {
      const all = await upstream.listReleases();
      requireBaseRelease(config, all);
      inSupports = all.filter((r) => semver.satisfies(r.version, config.supports));
    }
    const { targets, baseChecked } = await chooseTargets(options, loaded, upstream, inSupports);
    const ctx: CheckContext = {
      options,
      loaded,
      upstream,
      patches: series.patches,
      paths: touchedPaths(series.patches),
      baseReader: upstream.reader(config.base),
      history: await gatherHistory(upstream, config.base, targets),
    };
    // Releases are independent: two at a time overlap the cache reads and git calls, and keep at
    // most two releases' files in memory however many releases --all checks.
    const ordered = [...targets].sort((a, b) => semver.compare(a.version, b.version));
    const releases = await mapLimit(ordered, RELEASES_AT_ONCE, (release) => checkRelease(ctx, release));
    const report = buildCheckReport({
      upstream: { kind: upstream.kind, source: config.upstream.source === 'npm' ? config.upstream.package : config.upstream.url },
      base: config.base,
      supports: config.supports,
      newest: inSupports.at(-1)?.version ?? null,
      mode: options.to !== undefined ? 'to' : options.all ? 'all' : 'newest',
      fuzz: options.fuzz ?? 0,
      releases,
      upToDate: baseChecked,
      baseChecked,
      isNewer: (a, b) => semver.gt(a, b),
    });
    // Typed by the zod schema (z.infer); test/integration/fastPaths.test.ts parses real reports with
    // it and compares the bytes. Parsing here too would load zod on every run for no new answer.
    return report;
  } finally {
    upstream.close();
  }
}
