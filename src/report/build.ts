/*
 * From engine outcomes to the report: pure functions, no I/O. The command gathers the outcomes and
 * the upstream history; these only reshape them into the documented schema.
 */
import type { FileOutcome, HunkOutcome, SeriesOutcome } from '../engine/types';
import type { Hunk, Patch } from '../series/types';
import { operationTargetPath } from '../series/types';
import type { FileReport, HunkReport, PatchReport, ReleaseReport, SyncCheckReport, UpstreamCommit } from './schema';
import { SCHEMA_VERSION } from './schemaVersion';
import { locateDifferingLines } from './differingLines';
import { splitLines } from '../series/lines';
import { countStatuses, exitCodeFor, worstStatus } from './status';

/** Identifies one hunk of one patch's file operation, for culprit lookups. */
export interface HunkRef {
  patch: string;
  path: string;
  index: number;
}

export function hunkKey(ref: HunkRef): string {
  return `${ref.patch}\u0000${ref.path}\u0000${ref.index}`;
}

/** Culprits of a whole file (one missing from the release) are keyed like a hunk with index -1. */
export function fileKey(patch: string, path: string): string {
  return hunkKey({ patch, path, index: -1 });
}

/** Hunks that did not apply as written (fuzz, merge, conflict) and deserve an explanation. */
export function isFailingHunk(hunk: HunkOutcome): boolean {
  return hunk.status === 'fuzz' || hunk.status === 'merged' || hunk.status === 'conflict';
}

/** Everything known about one checked release, from the engine and the upstream history. */
export interface ReleaseInput {
  version: string;
  identity: string | null;
  inSupports: boolean;
  outcome: SeriesOutcome;
  /** The series, to find each hunk's header line and base range. */
  patches: Patch[];
  /** Culprit commits per failing hunk (hunkKey) and missing file (fileKey); absent key or undefined map: unknown (npm upstream). */
  culprits?: Map<string, UpstreamCommit[]>;
  securityCommits: UpstreamCommit[] | null;
  /**
   * The release's own content of the files with conflicting hunks (binary strings), so the
   * differing lines are located in the whole file and numbered as upstream numbers them.
   */
  releaseFiles?: Map<string, string>;
}

function findHunk(patches: Patch[], ref: HunkRef): Hunk | undefined {
  const patch = patches.find((p) => p.name === ref.patch);
  const op = patch?.operations.find((o) => operationTargetPath(o) === ref.path);
  return op?.hunks[ref.index];
}

/**
 * Where a conflicting hunk fits best in the release and which lines differ there, numbered as the
 * release numbers them (the engine's own guess only looks near the base line).
 */
function locate(input: ReleaseInput, file: FileOutcome, hunk: HunkOutcome, source: Hunk | undefined): ReturnType<typeof locateDifferingLines> {
  const content = input.releaseFiles?.get(file.from ?? file.path);
  if (hunk.status !== 'conflict' || content === undefined || source === undefined) return undefined;
  return locateDifferingLines(splitLines(content), source, hunk.targetLine ?? hunk.baseLine);
}

function hunkReport(input: ReleaseInput, patch: string, file: FileOutcome, hunk: HunkOutcome): HunkReport {
  const ref = { patch, path: file.path, index: hunk.index };
  const source = findHunk(input.patches, ref);
  const culprits = input.culprits && isFailingHunk(hunk) ? input.culprits.get(hunkKey(ref)) ?? null : null;
  const located = locate(input, file, hunk, source);
  return {
    index: hunk.index,
    status: hunk.status,
    patchLine: source?.headerLine ?? null,
    baseLine: hunk.baseLine,
    baseLines: source?.oldLines ?? 0,
    targetLine: located?.line ?? hunk.targetLine ?? null,
    offset: hunk.offset ?? null,
    fuzz: hunk.fuzz ?? null,
    conflictRange: hunk.conflictRange ?? null,
    // Without the release file, the engine's own comparison; with it, nothing beats "found nowhere".
    differingLines: located?.differing ?? (input.releaseFiles?.has(file.from ?? file.path) ? [] : hunk.differingLines ?? []),
    culprits,
  };
}

export function buildReleaseReport(input: ReleaseInput): ReleaseReport {
  const patches: PatchReport[] = input.outcome.patches.map((p) => ({
    name: p.name,
    subject: p.subject,
    status: p.status,
    files: p.files.map(
      (f): FileReport => ({
        path: f.path,
        from: f.from ?? null,
        kind: f.kind,
        status: f.status,
        hunks: f.hunks.map((h) => hunkReport(input, p.name, f, h)),
        culprits: f.status === 'missing' ? input.culprits?.get(fileKey(p.name, f.path)) ?? null : null,
      }),
    ),
  }));
  const status = worstStatus(patches.map((p) => p.status));
  return {
    version: input.version,
    identity: input.identity,
    inSupports: input.inSupports,
    status,
    exitCode: exitCodeFor(status),
    counts: countStatuses(patches.map((p) => p.status)),
    patches,
    securityCommits: input.securityCommits,
  };
}

/** The checked releases and the project facts the report repeats. */
export interface CheckInput {
  upstream: SyncCheckReport['upstream'];
  base: string;
  supports: string;
  newest: string | null;
  mode: SyncCheckReport['mode'];
  fuzz: number;
  /** Checked releases, ascending. Empty means up to date. */
  releases: ReleaseReport[];
  /** Returns whether a > b in semver order (the caller owns version ordering). */
  isNewer: (a: string, b: string) => boolean;
}

/** The whole report; `next` is a rebase onto the newest checked release when it is newer than the base and inside supports. */
export function buildCheckReport(input: CheckInput): SyncCheckReport {
  const status = worstStatus(input.releases.map((r) => r.status));
  const target = input.releases.at(-1);
  // The rebase makes its release the base, so it refuses one outside supports: nothing to suggest then.
  const next = target !== undefined && target.inSupports && input.isNewer(target.version, input.base) ? `meshfork sync rebase --to ${target.version}` : null;
  return {
    schemaVersion: SCHEMA_VERSION,
    upstream: input.upstream,
    base: input.base,
    supports: input.supports,
    newest: input.newest,
    mode: input.mode,
    fuzz: input.fuzz,
    upToDate: input.releases.length === 0,
    status,
    exitCode: exitCodeFor(status),
    next,
    releases: input.releases,
  };
}
