/** What happened to one hunk when applied to a target file. */
export type HunkStatus = 'exact' | 'offset' | 'fuzz' | 'merged' | 'conflict';

/** How a line of the target differs from what the hunk expected: named, so invisible differences are not a puzzle. */
export type LineDifference = 'content' | 'line-ending' | 'trailing-whitespace' | 'indentation' | 'whitespace' | 'missing';
export type LineEnding = 'CRLF' | 'LF' | 'none';

/** A target line that differs from the hunk's context or removed lines. */
export interface DifferingLine {
  /** 1-based line in the file as the patch found it. */
  line: number;
  /** The same line counted in the release alone (without the earlier patches); null when an earlier patch wrote it. Set by applySeries. */
  releaseLine?: number | null;
  /** Decoded as UTF-8, without the line ending. */
  expected: string;
  actual: string;
  difference: LineDifference;
  /** For a line-ending difference: the ending on each side; else null. */
  endings: { expected: LineEnding; actual: LineEnding } | null;
}

/** Another patch's hunk that was left out (it conflicts) and whose lines this hunk overlaps. */
export interface HunkDependency {
  patch: string;
  path: string;
  index: number;
}

export interface HunkOutcome {
  /** 0-based index of the hunk within its file operation. */
  index: number;
  status: HunkStatus;
  /** The hunk's old start line, as its @@ header says (the base with the earlier patches applied). */
  baseLine: number;
  /**
   * 1-based line. Placed (exact/offset/fuzz/merged): where the hunk's new side begins in the patched
   * file, counting this patch's earlier hunks, as `git apply -v` prints it. Conflict: where its old
   * side fits best in the file as this patch found it.
   */
  targetLine?: number;
  /** targetLine - the @@ new start line (git apply's offset), for exact/offset/fuzz/merged. */
  offset?: number;
  /** Context lines ignored at each end, for status 'fuzz'. */
  fuzz?: number;
  /** For a conflict: 1-based inclusive line range of the conflict region in the merged output. */
  conflictRange?: { start: number; end: number };
  /** For a conflict: target lines that differ from what the hunk expected (decoded as UTF-8 for display). */
  differingLines?: DifferingLine[];
  /** Left-out conflicting hunks of earlier patches whose lines this hunk overlaps (see README, sync check). */
  dependsOn?: HunkDependency[];
}

export type FileStatus = 'applied' | 'conflict' | 'already-applied' | 'missing';

export interface FileOutcome {
  /** The operation kind and the path it writes. */
  kind: 'modify' | 'create' | 'delete' | 'rename' | 'copy';
  path: string;
  /** For renames and copies: the source path. */
  from?: string;
  status: FileStatus;
  hunks: HunkOutcome[];
}

/** Per-patch summary status, as shown by `sync check`. */
export type PatchStatus = 'clean' | 'offset' | 'needs-refresh' | 'conflict' | 'already-applied';

export interface PatchOutcome {
  name: string;
  subject: string;
  status: PatchStatus;
  files: FileOutcome[];
}

export interface SeriesOutcome {
  patches: PatchOutcome[];
  /** Worst status over all patches: conflict > needs-refresh > already-applied > offset > clean. */
  status: PatchStatus;
}

export interface ApplyOptions {
  /** Maximum fuzz factor (context lines that may be ignored); 0 = strict, the default. */
  fuzz?: number;
  /**
   * Enables 3-way merge: how to read a file of the release the patches were made on
   * (the series' base). A hunk that cannot be placed is then merged with `git merge-file`.
   */
  threeWayBase?: (path: string) => Promise<string | undefined>;
  /**
   * What a conflicting patch leaves in the tree. `reject` (applySeries' default): every hunk that
   * applies strictly, as `git apply --reject` would, and no conflict markers; later patches are
   * checked against that. `markers`: the files a 3-way merge left with conflict markers (the rebase
   * workspace); nothing when no file merged.
   */
  onConflict?: 'reject' | 'markers';
}
