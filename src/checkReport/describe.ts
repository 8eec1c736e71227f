/* Wording shared by the text and markdown renderers, so both say the same thing the same way. */
import type { FileReport, HunkReport, PatchReport, ReleaseReport, StatusCounts, SyncCheckReport, UpstreamCommit } from './schema';

type DifferingLine = Omit<HunkReport['differingLines'][number], 'releaseLine'>;
import { STATUS_SEVERITY } from './status';

export function signed(n: number): string {
  return n > 0 ? `+${n}` : String(n);
}

export function displayLine(text: string, max = 160): string {
  const bare = text.replace(/\r?\n$/, '').replace(/\r$/, '');
  return bare.length > max ? `${bare.slice(0, max - 1)}…` : bare;
}

export function hunkLabel(file: FileReport, hunk: HunkReport): string {
  return `${file.path} hunk ${hunk.index + 1}`;
}

/** "@@ -8527" when the hunk's own numbering (with the earlier patches applied) differs from the base release's. */
function headerNote(hunk: HunkReport): string {
  return hunk.oldStart !== hunk.baseLine ? ` (@@ -${hunk.oldStart} with the earlier patches)` : '';
}

/** Lines of placed hunks as git apply -v counts them. */
export function hunkPlacement(hunk: HunkReport): string {
  const at = hunk.targetLine !== null ? ` -> line ${hunk.targetLine}` : '';
  const offset = hunk.offset !== null && hunk.offset !== 0 ? ` (offset ${signed(hunk.offset)})` : '';
  const base = `base line ${hunk.baseLine}${headerNote(hunk)}`;
  switch (hunk.status) {
    case 'exact':
      return `${base}, applies exactly`;
    case 'offset':
      return `${base}${at}${offset}`;
    case 'fuzz':
      return `${base}${at}${offset}, only with fuzz ${hunk.fuzz ?? '?'}`;
    case 'merged':
      return `${base}${hunk.targetLine !== null ? `, merged at line ${hunk.targetLine}` : ''}${offset}, only by a 3-way merge`;
    case 'conflict': {
      const region = hunk.conflictRange
        ? `; 3-way merge conflict at lines ${hunk.conflictRange.start}-${hunk.conflictRange.end} of the merged file`
        : '';
      const where = hunk.targetLine !== null ? `fails at line ${hunk.targetLine}` : 'no place found';
      return `base lines ${hunk.baseLine}-${hunk.baseLine + Math.max(hunk.baseLines, 1) - 1}${headerNote(hunk)}, ${where}${region}`;
    }
  }
}

/** "depends on the left-out hunk 2 of webserver.js in a.patch" for each conflict this hunk overlaps. */
export function dependencyPhrase(hunk: HunkReport): string | undefined {
  if (hunk.dependsOn.length === 0) return undefined;
  const parts = hunk.dependsOn.map((d) => `${d.patch} (${d.path} hunk ${d.index + 1})`);
  return `overlaps the conflicting hunk of ${parts.join(', ')}, which was left out: resolve that first`;
}

const DIFFERENCE_WORDS: Record<string, string> = {
  'line-ending': 'differs only in line ending',
  'trailing-whitespace': 'differs only in trailing whitespace',
  indentation: 'differs only in indentation',
  whitespace: 'differs only in whitespace',
  missing: 'the file ends before this line',
};

export function differenceWords(d: DifferingLine): string | undefined {
  return DIFFERENCE_WORDS[d.difference];
}

/** Invisible differences made visible: · for a space and → for a tab at either end, ␍ for a CR before the newline. */
export function visibleLine(text: string, d: DifferingLine, side: 'expected' | 'actual'): string {
  const shown = displayLine(text);
  if (d.difference === 'content' || d.difference === 'missing') return shown;
  const mark = (ws: string) => ws.replace(/ /g, '·').replace(/\t/g, '→');
  const marked = shown.replace(/^[ \t]+/, (ws) => (d.difference === 'trailing-whitespace' ? ws : mark(ws))).replace(/[ \t]+$/, mark);
  return d.endings?.[side] === 'CRLF' ? `${marked}␍` : marked;
}

export function fileProblem(file: FileReport, version: string): string | undefined {
  switch (file.status) {
    case 'missing':
      return `${file.from ?? file.path} does not exist in ${version}${file.renamedTo ? ` (moved to ${file.renamedTo})` : ''}`;
    case 'already-applied':
      return `${file.path}: ${version} already contains this change`;
    case 'conflict':
      // a created file has no hunk to point at: the release has a file of that name (a files folder's, too)
      return file.kind === 'create' ? `${file.path} already exists in ${version}` : undefined;
    case 'applied':
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

function patchCount(n: number): string {
  return `${n} patch${n === 1 ? '' : 'es'}`;
}

function absorbedClause(release: ReleaseReport): string {
  const n = release.counts['already-applied'];
  if (n === 0) return '';
  return `; drop the ${patchCount(n)} ${release.version} already contains (the rebase drops ${n === 1 ? 'it' : 'them'})`;
}

export function releaseVerdict(release: ReleaseReport): string {
  const total = release.patches.length;
  switch (release.status) {
    case 'clean':
      return `every patch applies exactly (${total} patches)`;
    case 'offset':
      return `every patch applies, some at shifted lines (${countsPhrase(release.counts)})`;
    case 'already-applied':
      return `${release.version} already contains ${release.counts['already-applied'] === total ? 'every patch' : patchCount(release.counts['already-applied'])}: drop ${release.counts['already-applied'] === 1 ? 'it' : 'them'} from the series, nothing needs a refresh (${countsPhrase(release.counts)})`;
    case 'needs-refresh':
      return `the series applies but needs a refresh (${countsPhrase(release.counts)})${absorbedClause(release)}`;
    case 'conflict':
      return `${release.counts.conflict} of ${total} patches conflict (${countsPhrase(release.counts)})${absorbedClause(release)}`;
  }
}

export function baseVerdict(report: SyncCheckReport, release: ReleaseReport): string {
  const total = release.patches.length;
  const nothingNewer = `no newer release in ${report.supports}`;
  switch (release.status) {
    case 'clean':
      return `${patchCount(total)} apply cleanly to the base ${report.base}; ${nothingNewer}`;
    case 'offset':
      return `${patchCount(total)} apply to the base ${report.base}, some at shifted lines (${countsPhrase(release.counts)}); ${nothingNewer}`;
    default:
      return `the series does not apply cleanly to its own base ${report.base} (${countsPhrase(release.counts)}); ${nothingNewer}`;
  }
}

/** Kept for callers of the old wording; a checked base is described by baseVerdict. */
export function upToDateSentence(report: SyncCheckReport): string {
  const release = report.baseChecked ? report.releases[0] : undefined;
  if (release) return `${baseVerdict(report, release)}.`;
  return `Up to date: the base ${report.base} is the newest release in supports (${report.supports}).`;
}

export function upstreamLabel(report: SyncCheckReport): string {
  return `${report.upstream.kind} ${report.upstream.source}`;
}

/** The release's own numbering ("36"); a line an earlier patch wrote has none. */
export function releaseLineLabel(d: HunkReport['differingLines'][number]): string {
  return d.releaseLine === null ? `${d.line} (written by an earlier patch)` : String(d.releaseLine);
}
