export type HunkStatus = 'exact' | 'offset' | 'fuzz' | 'merged' | 'conflict';

/** Named, so an invisible difference (line ending, trailing space) is not a puzzle. */
export type LineDifference = 'content' | 'line-ending' | 'trailing-whitespace' | 'indentation' | 'whitespace' | 'missing';
export type LineEnding = 'CRLF' | 'LF' | 'none';

export interface DifferingLine {
  line: number; // 1-based, in the file as the patch found it
  releaseLine?: number | null; // in the release alone; null when an earlier patch wrote it
  expected: string; // UTF-8, without the line ending
  actual: string;
  difference: LineDifference;
  endings: { expected: LineEnding; actual: LineEnding } | null;
}

export interface HunkDependency {
  patch: string;
  path: string;
  index: number;
}

export interface HunkOutcome {
  index: number; // 0-based, within its file operation
  status: HunkStatus;
  baseLine: number; // the @@ old start
  /** Placed: where the new side begins, as `git apply -v` prints it. Conflict: where the old side fits best. */
  targetLine?: number;
  offset?: number; // targetLine - the @@ new start (git apply's offset)
  fuzz?: number;
  conflictRange?: { start: number; end: number }; // 1-based, inclusive, in the merged output
  differingLines?: DifferingLine[];
  dependsOn?: HunkDependency[]; // left-out hunks of earlier patches this one overlaps (README, sync check)
}

export type FileStatus = 'applied' | 'conflict' | 'already-applied' | 'missing';

export interface FileOutcome {
  kind: 'modify' | 'create' | 'delete' | 'rename' | 'copy';
  path: string;
  from?: string; // renames and copies
  status: FileStatus;
  hunks: HunkOutcome[];
}

export type PatchStatus = 'clean' | 'offset' | 'needs-refresh' | 'conflict' | 'already-applied';

export interface PatchOutcome {
  name: string;
  subject: string;
  status: PatchStatus;
  files: FileOutcome[];
}

export interface SeriesOutcome {
  patches: PatchOutcome[];
  status: PatchStatus; // the worst: conflict > needs-refresh > already-applied > offset > clean
}

export interface ApplyOptions {
  fuzz?: number; // context lines that may be ignored; 0 = strict, the default
  /** Reads the series' base release: a hunk that cannot be placed is then merged with `git merge-file`. */
  threeWayBase?: (path: string) => Promise<string | undefined>;
  /** `reject` (applySeries' default): what applies strictly, as `git apply --reject`. `markers`: 3-way merge markers (rebase). */
  onConflict?: 'reject' | 'markers';
}
