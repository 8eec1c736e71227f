/*
 * The rule for what later patches are checked against after a conflict (README, "sync check"):
 * a conflicting patch leaves the hunks that apply strictly, as `git apply --reject` does, and its
 * conflicting hunks are left out. A later hunk whose @@ old lines overlap the lines a left-out hunk
 * would have written depends on it: its result means little until that conflict is resolved.
 * Positions are the series' own (the @@ numbers, each patch made on the ones before), so the
 * dependency is the same whatever the release did.
 */
import type { FileOperation, Hunk, Patch } from '../series/types';
import type { FileOutcome, HunkDependency, PatchOutcome } from './types';

/** Lines a left-out hunk would have written, in the series' numbering after the latest patch on the file (1-based, inclusive). */
interface LeftOutRegion extends HunkDependency {
  start: number;
  end: number;
}

/** Left-out regions per path. */
export type LeftOutRegions = Map<string, LeftOutRegion[]>;

function oldRange(h: Hunk): { start: number; end: number } {
  const start = Math.max(h.oldStart, 1);
  return { start, end: start + Math.max(h.oldLines, 1) - 1 };
}

/** A region moved through one patch's hunks on its file: below a hunk, by what the hunk added minus removed. */
function shifted(region: LeftOutRegion, hunks: Hunk[]): LeftOutRegion {
  const shift = hunks.filter((h) => oldRange(h).end < region.start).reduce((sum, h) => sum + h.newLines - h.oldLines, 0);
  return { ...region, start: region.start + shift, end: region.end + shift };
}

function leftOutHunks(file: FileOutcome): number[] {
  // In a file that still conflicts, only strictly placed hunks went in; merge-only ones were left out too.
  return file.status === 'conflict' ? file.hunks.filter((h) => h.status === 'conflict' || h.status === 'merged').map((h) => h.index) : [];
}

function sourcePath(op: FileOperation): string {
  return op.kind === 'rename' ? op.from : op.path;
}

/** Mark the patch's hunks that overlap a left-out hunk, then carry the regions through this patch and add its own left-out hunks. */
export function trackLeftOutHunks(patch: Patch, outcome: PatchOutcome, regions: LeftOutRegions): void {
  patch.operations.forEach((op, i) => {
    const file = outcome.files[i];
    const path = sourcePath(op);
    const existing = regions.get(path) ?? [];
    if (!file) return;
    for (const h of file.hunks) {
      const range = oldRange(op.hunks[h.index]);
      const overlapped = existing.filter((r) => range.start <= r.end && r.start <= range.end);
      if (overlapped.length > 0) h.dependsOn = overlapped.map(({ patch: p, path: f, index }) => ({ patch: p, path: f, index }));
    }
    const moved = existing.map((r) => shifted(r, op.hunks));
    for (const index of leftOutHunks(file)) {
      const h = op.hunks[index];
      const start = Math.max(h.newStart, 1);
      moved.push({ patch: patch.name, path: file.path, index, start, end: start + Math.max(h.newLines, 1) - 1 });
    }
    if (op.kind === 'rename') regions.delete(op.from);
    if (op.kind === 'delete' && file.status === 'applied') regions.delete(path);
    else if (moved.length > 0) regions.set(op.kind === 'rename' ? op.to : path, moved);
  });
}
