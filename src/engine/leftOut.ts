// After a conflict, a later hunk overlapping the lines a left-out hunk would have written depends on it
// (README, "sync check"). Positions are the series' own @@ numbers, so this holds whatever the release did.
import { operationSourcePath, type Hunk, type Patch } from '../series/types';
import type { FileOutcome, HunkDependency, PatchOutcome } from './types';

/** Lines a left-out hunk would have written, in the series' numbering after the latest patch on the file (1-based, inclusive). */
interface LeftOutRegion extends HunkDependency {
  start: number;
  end: number;
}

export type LeftOutRegions = Map<string, LeftOutRegion[]>;

function oldRange(h: Hunk): { start: number; end: number } {
  const start = Math.max(h.oldStart, 1);
  return { start, end: start + Math.max(h.oldLines, 1) - 1 };
}

function shifted(region: LeftOutRegion, hunks: Hunk[]): LeftOutRegion {
  const shift = hunks.filter((h) => oldRange(h).end < region.start).reduce((sum, h) => sum + h.newLines - h.oldLines, 0);
  return { ...region, start: region.start + shift, end: region.end + shift };
}

function leftOutHunks(file: FileOutcome): number[] {
  // In a file that still conflicts, only strictly placed hunks went in; merge-only ones were left out too.
  return file.status === 'conflict' ? file.hunks.filter((h) => h.status === 'conflict' || h.status === 'merged').map((h) => h.index) : [];
}

export function trackLeftOutHunks(patch: Patch, outcome: PatchOutcome, regions: LeftOutRegions): void {
  const before = new Map(regions);
  const movedInto = new Set<string>();
  patch.operations.forEach((op, i) => {
    const file = outcome.files[i];
    // The hunks' old lines are the source's (a rename's or copy's `from`); a copy leaves the source's regions where they are.
    const path = operationSourcePath(op);
    const swapped = movedInto.has(path);
    const existing = (swapped ? before : regions).get(path) ?? [];
    if (!file) return;
    if (op.kind === 'rename') movedInto.add(op.to);
    if (op.kind === 'copy') movedInto.add(op.path);
    for (const h of file.hunks) {
      const hunk = op.hunks[h.index];
      if (!hunk) continue;
      const range = oldRange(hunk);
      const overlapped = existing.filter((r) => range.start <= r.end && r.start <= range.end);
      if (overlapped.length > 0) h.dependsOn = overlapped.map(({ patch: p, path: f, index }) => ({ patch: p, path: f, index }));
    }
    const moved = existing.map((r) => shifted(r, op.hunks));
    for (const index of leftOutHunks(file)) {
      const h = op.hunks[index];
      if (!h) continue;
      const start = Math.max(h.newStart, 1);
      moved.push({ patch: patch.name, path: file.path, index, start, end: start + Math.max(h.newLines, 1) - 1 });
    }
    const written = op.kind === 'rename' ? op.to : op.path;
    if (op.kind === 'rename' && !swapped) regions.delete(op.from);
    if (op.kind === 'delete' && file.status === 'applied') regions.delete(path);
    else if (moved.length > 0) regions.set(written, moved);
    // A move's target now holds the source's lines: regions it had before went with them.
    else if (op.kind === 'rename' || op.kind === 'copy') regions.delete(written);
  });
}
