// Reads only the files the series touches, through the upstream's cache; never materializes a release.
import * as semver from '../util/semver';
import { filesFolder, type LoadedConfig } from '../config/load';
import { applySeries, MemoryTree, prefetchingReader, type FileReader } from '../engine';
import { buildReleaseReport, fileKey, hunkBaseLine, hunkKey, isFailingHunk } from '../checkReport/build';
import type { CheckMemo } from '../checkReport/checkMemo';
import { checkReport, type CheckRequest } from '../checkReport/checkRequest';
import type { ReleaseReport, SyncCheckReport, UpstreamCommit } from '../checkReport/schema';
import { loadSeries } from '../series/load';
import { appliedPatches, operationTargetPath, touchedPaths, type Patch } from '../series/types';
import { culpritCommits, descendsFrom, lackedBaseCommits, removalCommits, securityCommitsByTarget } from '../upstream/history';
import { openUpstream, type Release, type Upstream } from '../upstream';
import { assertReleaseInRange, requireBaseRelease } from '../upstream/version';
import { mapLimit } from '../util/mapLimit';
import { tracePhase } from '../util/tracePhase';
import type { SeriesOutcome } from '../engine/types';

/** Releases checked concurrently by --all (memory grows with this, not with the number of releases). */
const RELEASES_AT_ONCE = 2;

/** Nothing newer than the base: check the base itself, so a series that no longer applies to it does not pass as "up to date". */
async function chooseTargets(
  options: CheckRequest,
  loaded: LoadedConfig,
  upstream: Upstream,
  inSupports: Release[],
): Promise<{ targets: Release[]; baseChecked: boolean }> {
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

interface Culprits {
  commits: Map<string, UpstreamCommit[]>;
  renamedTo: Map<string, string>;
  lacked: Map<string, UpstreamCommit[]>;
}

/** A hunk's @@ lines count the earlier patches on its file: they are mapped back to the base release first. */
async function findCulprits(history: History, patches: Patch[], outcome: SeriesOutcome, targetCommit: string): Promise<Culprits> {
  const found: Culprits = { commits: new Map(), renamedTo: new Map(), lacked: new Map() };
  let descends: boolean | undefined;
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
        const commits =
          targetCommit === history.baseCommit
            ? []
            : await culpritCommits(history.mirrorDir, history.baseCommit, targetCommit, sourcePath, { start, end });
        found.commits.set(hunkKey(ref), commits);
        descends ??= targetCommit === history.baseCommit || (await descendsFrom(history.mirrorDir, history.baseCommit, targetCommit));
        found.lacked.set(
          hunkKey(ref),
          descends ? [] : await lackedBaseCommits(history.mirrorDir, history.baseCommit, targetCommit, sourcePath, { start, end }),
        );
      }
    }
  }
  return found;
}

interface CheckContext {
  options: CheckRequest;
  loaded: LoadedConfig;
  upstream: Upstream;
  patches: Patch[];
  paths: string[];
  baseReader: FileReader;
  /** Read while the first release is checked: its git processes overlap the cache reads. */
  history: Promise<History | undefined>;
  memo: CheckMemo | undefined;
}

interface History {
  mirrorDir: string;
  baseCommit: string;
  security: Map<string, UpstreamCommit[]>;
}

async function gatherHistory(upstream: Upstream, base: string, targets: Release[]): Promise<History | undefined> {
  if (!upstream.git || targets.length === 0) return undefined;
  const baseCommit = await upstream.git.commitOf(base);
  // A git release's identity is its commit.
  const security = await securityCommitsByTarget(
    upstream.git.mirrorDir,
    baseCommit,
    targets.map((t) => t.identity),
  );
  return { mirrorDir: upstream.git.mirrorDir, baseCommit, security };
}

async function checkRelease(ctx: CheckContext, release: Release): Promise<ReleaseReport> {
  const remembered = ctx.options.recheck ? undefined : await ctx.memo?.recall(release.version, release.identity);
  if (remembered) {
    tracePhase('check:recall');
    return remembered;
  }
  tracePhase('check:apply');
  const report = await checkReleaseNow(ctx, release);
  await ctx.memo?.remember(report);
  return report;
}

async function checkReleaseNow(ctx: CheckContext, release: Release): Promise<ReleaseReport> {
  const { upstream, patches, loaded } = ctx;
  const read = prefetchingReader(upstream.reader(release.version), ctx.paths);
  const outcome = await applySeries(patches, new MemoryTree(read), { fuzz: ctx.options.fuzz ?? 0, threeWayBase: ctx.baseReader });
  const history = await ctx.history;
  const culprits = history && (await findCulprits(history, patches, outcome, release.identity));
  return buildReleaseReport({
    version: release.version,
    identity: release.identity,
    inSupports: semver.satisfies(release.version, loaded.config.supports),
    outcome,
    patches,
    culprits: culprits?.commits,
    lackedBaseCommits: culprits?.lacked,
    renamedTo: culprits?.renamedTo,
    securityCommits: history ? (history.security.get(release.identity) ?? []) : null,
  });
}

/** Conflicts are data, not errors; a release the memo remembers for these exact inputs is not checked again. */
export async function checkReleases(
  options: CheckRequest,
  loaded: LoadedConfig,
  cacheDir: string,
  memo: CheckMemo | undefined,
): Promise<SyncCheckReport> {
  const series = await loadSeries(loaded.patchesDir, filesFolder(loaded));
  const upstream = await openUpstream(loaded, { progress: options.progress, cacheDir });
  try {
    const { config } = loaded;
    let inSupports: Release[] = [];
    if (options.to === undefined) {
      const all = await upstream.listReleases();
      requireBaseRelease(config, all);
      inSupports = all.filter((r) => semver.satisfies(r.version, config.supports));
    }
    const { targets, baseChecked } = await chooseTargets(options, loaded, upstream, inSupports);
    const history = gatherHistory(upstream, config.base, targets);
    history.catch(() => undefined); // awaited below, also when every report was remembered
    const ctx: CheckContext = {
      options,
      loaded,
      upstream,
      patches: appliedPatches(series),
      paths: touchedPaths(appliedPatches(series)),
      baseReader: upstream.reader(config.base),
      history,
      memo,
    };
    // Releases are independent: two at a time overlap the cache reads and git calls, and keep at
    // most two releases' files in memory however many releases --all checks.
    const ordered = [...targets].sort((a, b) => semver.compare(a.version, b.version));
    // a failed history read is reported first, as when it was read before any check
    const releases = await mapLimit(ordered, RELEASES_AT_ONCE, (release) => checkRelease(ctx, release)).catch(async (error: unknown) => {
      await history;
      throw error;
    });
    await history;
    return checkReport(loaded, options, releases, { kind: upstream.kind, newest: inSupports.at(-1)?.version ?? null, baseChecked });
  } finally {
    upstream.close();
  }
}
