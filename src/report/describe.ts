/* Wording shared by the text and markdown renderers, so both say the same thing the same way. */
import type { FileReport, HunkReport, PatchReport, ReleaseReport, StatusCounts, SyncCheckReport, UpstreamCommit } from './schema';
import { STATUS_SEVERITY } from './status';

/** Signed number, as offsets are usually written: +4, -37, 0. */
export function signed(n: number): string {
  return n > 0 ? `+${n}` : String(n);
}

/** A line of upstream or patch content for display: no line ending, bounded length. */
export function displayLine(text: string, max = 160): string {
  const bare = text.replace(/\r?\n$/, '').replace(/\r$/, '');
  return bare.length > max ? `${bare.slice(0, max - 1)}…` : bare;
}

export function hunkLabel(file: FileReport, hunk: HunkReport): string {
  return `${file.path} hunk ${hunk.index + 1}`;
}

/** One phrase saying where a hunk went in the target and how. */
export function hunkPlacement(hunk: HunkReport): string {
  const at = hunk.targetLine !== null ? ` -> ${hunk.targetLine}` : '';
  const offset = hunk.offset !== null && hunk.offset !== 0 ? ` (offset ${signed(hunk.offset)})` : '';
  switch (hunk.status) {
    case 'exact':
      return `base line ${hunk.baseLine}, applies exactly`;
    case 'offset':
      return `base line ${hunk.baseLine}${at}${offset}`;
    case 'fuzz':
      return `base line ${hunk.baseLine}${at}${offset}, only with fuzz ${hunk.fuzz ?? '?'}`;
    case 'merged':
      return `base line ${hunk.baseLine}${at}, only by a 3-way merge`;
    case 'conflict': {
      const region = hunk.conflictRange ? `; 3-way merge conflict at lines ${hunk.conflictRange.start}-${hunk.conflictRange.end} of the merged file` : '';
      const where = hunk.targetLine !== null ? `fails at line ${hunk.targetLine}` : 'no place found';
      return `base lines ${hunk.baseLine}-${hunk.baseLine + Math.max(hunk.baseLines, 1) - 1}, ${where}${region}`;
    }
  }
}

/** Why a whole file did not apply, when that is the story rather than one hunk. */
export function fileProblem(file: FileReport, version: string): string | undefined {
  switch (file.status) {
    case 'missing':
      return `${file.from ?? file.path} does not exist in ${version}`;
    case 'already-applied':
      return `${file.path}: ${version} already contains this change`;
    case 'applied':
    case 'conflict':
      return undefined;
  }
}

/** Offsets of an offset-only patch, compactly: "webserver.js -21, -37; meshcentral.js -20". */
export function offsetSummary(patch: PatchReport): string {
  const parts: string[] = [];
  for (const file of patch.files) {
    const offsets = file.hunks.filter((h) => h.offset !== null && h.offset !== 0).map((h) => signed(h.offset ?? 0));
    if (offsets.length > 0) parts.push(`${file.path} ${offsets.join(', ')}`);
  }
  return parts.join('; ');
}

/** "Fix the relay (Jane Doe, 2026-11-01)": a commit without its id. */
export function commitSummary(commit: UpstreamCommit): string {
  return `${commit.subject} (${commit.author}, ${commit.date.slice(0, 10)})`;
}

export function shortCommit(commit: UpstreamCommit): string {
  return `${commit.commit.slice(0, 10)} ${commitSummary(commit)}`;
}

/** "1 conflict, 2 offset, 1 clean", worst first, zero counts left out. */
export function countsPhrase(counts: StatusCounts): string {
  return STATUS_SEVERITY.filter((s) => counts[s] > 0)
    .map((s) => `${counts[s]} ${s}`)
    .join(', ');
}

/** The one-sentence verdict for a release. */
export function releaseVerdict(release: ReleaseReport): string {
  const total = release.patches.length;
  switch (release.status) {
    case 'clean':
      return `every patch applies exactly (${total} patches)`;
    case 'offset':
      return `every patch applies, some at shifted lines (${countsPhrase(release.counts)})`;
    case 'already-applied':
    case 'needs-refresh':
      return `the series applies but needs a refresh (${countsPhrase(release.counts)})`;
    case 'conflict':
      return `${release.counts.conflict} of ${total} patches conflict (${countsPhrase(release.counts)})`;
  }
}

export function upToDateSentence(report: SyncCheckReport): string {
  return `Up to date: the base ${report.base} is the newest release in supports (${report.supports}).`;
}

export function upstreamLabel(report: SyncCheckReport): string {
  return `${report.upstream.kind} ${report.upstream.source}`;
}
