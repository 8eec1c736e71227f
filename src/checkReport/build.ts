// Pure: the command gathers outcomes and history; these only reshape them into the documented schema.
import type { FileOutcome, HunkOutcome, SeriesOutcome } from '../engine/types';
import type { Hunk, Patch } from '../series/types';
import { operationTargetPath } from '../series/types';
import type { FileReport, HunkReport, PatchReport, ReleaseReport, SyncCheckReport, UpstreamCommit } from './schema';
import { SCHEMA_VERSION } from './schemaVersion';
import { baseLineOf } from './baseLines';
import { countStatuses, exitCodeFor, worstStatus } from './status';

/** One hunk of one patch's file operation, for culprit lookups. */
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

export interface ReleaseInput {
  version: string;
  identity: string | null;
  inSupports: boolean;
  outcome: SeriesOutcome;
  patches: Patch[];
  /** Culprit commits per failing hunk (hunkKey) and missing file (fileKey); absent key or undefined map: unknown (npm upstream). */
  culprits?: Map<string, UpstreamCommit[]>;
  /** Per failing hunk (hunkKey): commits of the base the target lacks that touched its lines; absent: unknown (npm upstream). */
  lackedBaseCommits?: Map<string, UpstreamCommit[]>;
  securityCommits: UpstreamCommit[] | null;
  renamedTo?: Map<string, string>;
}

function findHunk(patches: Patch[], ref: HunkRef): Hunk | undefined {
  const patch = patches.find((p) => p.name === ref.patch);
  const op = patch?.operations.find((o) => operationTargetPath(o) === ref.path);
  return op?.hunks[ref.index];
}

/** The base-release line of a hunk's @@ old line `line` (see baseLines.ts); the line itself when unknown. */
export function hunkBaseLine(patches: Patch[], ref: HunkRef, line: number): number {
  const index = patches.findIndex((p) => p.name === ref.patch);
  const op = patches[index]?.operations.find((o) => operationTargetPath(o) === ref.path);
  if (!op) return line;
  return baseLineOf(patches, index, op.kind === 'rename' ? op.from : op.path, Math.max(line, 1)) ?? line;
}

function hunkReport(input: ReleaseInput, patch: string, file: FileOutcome, hunk: HunkOutcome): HunkReport {
  const ref = { patch, path: file.path, index: hunk.index };
  const source = findHunk(input.patches, ref);
  const culprits = input.culprits && isFailingHunk(hunk) ? (input.culprits.get(hunkKey(ref)) ?? null) : null;
  const lackedBaseCommits = input.lackedBaseCommits && isFailingHunk(hunk) ? (input.lackedBaseCommits.get(hunkKey(ref)) ?? null) : null;
  return {
    index: hunk.index,
    status: hunk.status,
    patchLine: source?.headerLine ?? null,
    oldStart: hunk.baseLine,
    baseLine: hunk.baseLine === 0 ? 0 : hunkBaseLine(input.patches, ref, hunk.baseLine),
    baseLines: source?.oldLines ?? 0,
    targetLine: hunk.targetLine ?? null,
    offset: hunk.offset ?? null,
    fuzz: hunk.fuzz ?? null,
    conflictRange: hunk.conflictRange ?? null,
    differingLines: (hunk.differingLines ?? []).map((d) => ({ ...d, releaseLine: d.releaseLine === undefined ? d.line : d.releaseLine })),
    culprits,
    lackedBaseCommits,
    dependsOn: hunk.dependsOn ?? [],
  };
}

export function buildReleaseReport(input: ReleaseInput): ReleaseReport {
  const patches: PatchReport[] = input.outcome.patches.map((p) => ({
    name: p.name,
    subject: p.subject,
    status: p.status,
    files: p.files.map((f): FileReport => ({
      path: f.path,
      from: f.from ?? null,
      kind: f.kind,
      status: f.status,
      hunks: f.hunks.map((h) => hunkReport(input, p.name, f, h)),
      culprits: f.status === 'missing' ? (input.culprits?.get(fileKey(p.name, f.path)) ?? null) : null,
      renamedTo: f.status === 'missing' ? (input.renamedTo?.get(fileKey(p.name, f.path)) ?? null) : null,
    })),
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

export interface CheckInput {
  upstream: SyncCheckReport['upstream'];
  base: string;
  supports: string;
  newest: string | null;
  mode: SyncCheckReport['mode'];
  fuzz: number;
  /** Checked releases, ascending. */
  releases: ReleaseReport[];
  /** Nothing in supports is newer than the base (default: no releases were checked). */
  upToDate?: boolean;
  /** releases[0] is the base itself, checked because nothing is newer. */
  baseChecked?: boolean;
  isNewer: (a: string, b: string) => boolean;
}

/** The whole report; `next` is a rebase onto the newest checked release when it is newer than the base and inside supports. */
export function buildCheckReport(input: CheckInput): SyncCheckReport {
  const status = worstStatus(input.releases.map((r) => r.status));
  const target = input.releases.at(-1);
  // The rebase makes its release the base, so it refuses one outside supports: nothing to suggest then.
  const next =
    target !== undefined && target.inSupports && input.isNewer(target.version, input.base)
      ? `meshfork sync rebase --to ${target.version}`
      : null;
  return {
    schemaVersion: SCHEMA_VERSION,
    upstream: input.upstream,
    base: input.base,
    supports: input.supports,
    newest: input.newest,
    mode: input.mode,
    fuzz: input.fuzz,
    upToDate: input.upToDate ?? input.releases.length === 0,
    baseChecked: input.baseChecked ?? false,
    status,
    exitCode: exitCodeFor(status),
    next,
    releases: input.releases,
  };
}
