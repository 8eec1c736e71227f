/** What happened to one hunk when applied to a target file. */
export type HunkStatus = 'exact' | 'offset' | 'fuzz' | 'merged' | 'conflict';

export interface HunkOutcome {
  /** 0-based index of the hunk within its file operation. */
  index: number;
  status: HunkStatus;
  /** The hunk's old start line (in the release the patch was made on). */
  baseLine: number;
  /** 1-based line in the target where the hunk landed (or, for a conflict, the region it was merged into). */
  targetLine?: number;
  /** targetLine - baseLine, for exact/offset/fuzz. */
  offset?: number;
  /** Context lines ignored at each end, for status 'fuzz'. */
  fuzz?: number;
  /** For a conflict: 1-based inclusive line range of the conflict region in the merged output. */
  conflictRange?: { start: number; end: number };
  /** For a conflict: target lines that differ from what the hunk expected (decoded as UTF-8 for display). */
  differingLines?: { line: number; expected: string; actual: string }[];
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
}
