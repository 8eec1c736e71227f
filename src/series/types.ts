/*
 * The patch series as plain data. All file and line content is held as "binary strings"
 * (latin1: one char per byte) so that CRLF, stray bytes and missing final newlines survive byte-exactly.
 */

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
  /** Text after the second @@ (function context), without the leading space. */
  section: string;
  lines: HunkLine[];
  /** Line number of the @@ header inside the patch file, for error messages. */
  headerLine: number;
}

/** What a patch does to one file. */
export type FileOperation =
  | { kind: 'modify'; path: string; hunks: Hunk[]; oldMode?: string; newMode?: string }
  | { kind: 'create'; path: string; mode: string; hunks: Hunk[] }
  | { kind: 'delete'; path: string; mode: string; hunks: Hunk[] }
  | { kind: 'rename'; from: string; to: string; hunks: Hunk[]; oldMode?: string; newMode?: string; similarity?: number };

export interface Trailer {
  key: string;
  value: string;
}

/** The mail-style header of a patch file. */
export interface PatchHeader {
  from: string;
  date?: string;
  subject: string;
  /** Free text between the subject and the trailers, without surrounding blank lines. */
  description: string;
  trailers: Trailer[];
}

export interface Patch {
  /** File name inside the patches folder, as listed in `series`. */
  name: string;
  header: PatchHeader;
  operations: FileOperation[];
}

export interface SeriesEntry {
  name: string;
  /** 1-based line in the series file. */
  line: number;
}

export interface Series {
  /** Absolute path of the patches folder. */
  dir: string;
  entries: SeriesEntry[];
  patches: Patch[];
}

/** Paths an operation reads from the target tree. */
export function operationSourcePath(op: FileOperation): string {
  return op.kind === 'rename' ? op.from : op.path;
}

/** Paths an operation writes in the target tree. */
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
