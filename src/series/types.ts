// File and line content are binary strings (latin1: one char per byte) so CRLF, stray bytes and missing final newlines survive.

/** One line of a hunk; `text` includes its line ending ("\n", "\r\n", or none at end of file). */
export interface HunkLine {
  kind: ' ' | '-' | '+';
  text: string;
}

export interface Hunk {
  /** 1-based start line in the old file (0 when the old range is empty, as diff writes it). */
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  section: string;
  lines: HunkLine[];
  headerLine: number;
}

/** One side of a GIT binary patch: the inflated payload (binary string), a whole file or a git delta. */
export interface BinaryHunk {
  method: 'literal' | 'delta';
  data: string;
}

/** A git binary change: the blob ids of its index line and the forward (and reverse) payload. */
export interface BinaryChange {
  oldId: string;
  newId: string;
  forward: BinaryHunk;
  reverse?: BinaryHunk;
}

/** Names decoded, strip applied; binary replaces hunks for a git binary patch. */
export type FileOperation =
  | { kind: 'modify'; path: string; hunks: Hunk[]; oldMode?: string; newMode?: string; binary?: BinaryChange }
  | { kind: 'create'; path: string; mode: string; hunks: Hunk[]; binary?: BinaryChange }
  | { kind: 'delete'; path: string; mode: string; hunks: Hunk[]; binary?: BinaryChange }
  | {
      kind: 'rename';
      from: string;
      to: string;
      hunks: Hunk[];
      oldMode?: string;
      newMode?: string;
      similarity?: number;
      binary?: BinaryChange;
    }
  /** A copy writes `path` from `from` plus its hunks; `from` stays. */
  | {
      kind: 'copy';
      from: string;
      path: string;
      hunks: Hunk[];
      oldMode?: string;
      newMode?: string;
      similarity?: number;
      binary?: BinaryChange;
    };

export interface Trailer {
  key: string;
  value: string;
}

/** The mail-style header of a patch file. */
export interface PatchHeader {
  from: string;
  date?: string;
  subject: string;
  description: string;
  trailers: Trailer[];
}

/** How a patch is read and matched, from its `series` line (quilt options). */
export interface PatchOptions {
  strip?: number;
  /** Match context lines ignoring whitespace at their end, line endings included (`-l`). */
  ignoreTrailingWhitespace?: boolean;
}

/** Where a patch came from: its bytes and how its header was written, so export can keep them. */
export interface PatchSource {
  text: string;
  /** The bytes before the first file's diff (the header, any `---` line and diffstat). */
  headerText: string;
  format: 'mail' | 'dep3' | 'plain';
}

export interface Patch {
  name: string;
  header: PatchHeader;
  operations: FileOperation[];
  options?: PatchOptions;
  source?: PatchSource;
  /** The files folder's pseudo-patch (src/series/newFiles.ts): no patch file, written back as files. */
  newFiles?: true;
}

export interface SeriesEntry {
  name: string;
  line: number;
  options: PatchOptions;
}

export interface Series {
  dir: string;
  entries: SeriesEntry[];
  patches: Patch[];
  warnings: string[];
  /** Patch files below the folder that the series file does not list (relative to it): not applied. */
  unlisted: string[];
  files?: Patch;
}

/** What applies, in order: the files folder's pseudo-patch (when configured), then the patches. */
export function appliedPatches(series: Pick<Series, 'files' | 'patches'>): Patch[] {
  return series.files ? [series.files, ...series.patches] : series.patches;
}

export function operationSourcePath(op: FileOperation): string {
  return op.kind === 'rename' || op.kind === 'copy' ? op.from : op.path;
}

export function operationTargetPath(op: FileOperation): string {
  return op.kind === 'rename' ? op.to : op.path;
}

/** Every upstream path a series reads: what `sync check` fetches from a release. */
export function touchedPaths(patches: Patch[]): string[] {
  const paths = new Set<string>();
  for (const patch of patches) for (const op of patch.operations) paths.add(operationSourcePath(op));
  return [...paths].sort();
}

export function trailerValue(header: PatchHeader, key: string): string | undefined {
  return header.trailers.find((t) => t.key.toLowerCase() === key.toLowerCase())?.value;
}
