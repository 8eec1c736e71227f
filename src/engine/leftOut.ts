/*
 * The rule for what later patches are checked against after a conflict (README, "sync check"):
 * a conflicting patch leaves the hunks that apply strictly, as `git apply --reject` does, and its
 * conflicting hunks are left out. This file keeps track of where those left-out hunks would have
 * gone, so that a later hunk overlapping one of them is marked as depending on it: its result
 * means little until the earlier conflict is resolved.
 */
import type { FileOperation, Patch } from '../series/types';
import { newSide, oldSide } from './hunks';
import type { FileOutcome, HunkDependency, HunkOutcome, PatchOutcome } from './types';

/** A left-out hunk's lines in the tree as it stands now (1-based, inclusive). */
interface LeftOutRegion extends HunkDependency {
  start: number;
  end: number;
}

/** Left-out regions per path of the tree. */
export type LeftOutRegions = Map<string, LeftOutRegion[]>;

/** One hunk of a file outcome with its lines in the file as the patch found it. */
interface Placement {
  outcome: HunkOutcome;
  start: number;
  end: number;
  /** Lines the hunk added minus removed, when it was written into the tree. */
  delta: number;
  placed: boolean;
}

function sourcePath(op: FileOperation): string {
  return op.kind === 'rename' ? op.from : op.path;
}

/**
 * Each hunk's lines in the file as the patch found it. Placed hunks report git's numbering (after
 * this patch's earlier hunks), so the earlier hunks' line changes are taken back out; a conflict is
 * already numbered in the file as found. In a file that still conflicts only strictly placed hunks
 * were written (merge-only hunks were left out with the conflict).
 */
function placements(op: FileOperation, file: FileOutcome): Placement[] {
  let shift = 0;
  return file.hunks.map((outcome) => {
    const hunk = op.hunks[outcome.index];
    const oldLength = oldSide(hunk).length;
    const delta = newSide(hunk).length - oldLength;
    const placed = outcome.status !== 'conflict' && (file.status === 'applied' || outcome.status !== 'merged');
    const line = outcome.targetLine ?? Math.max(outcome.baseLine, 1);
    const start = outcome.status === 'conflict' || !placed ? line : line - shift;
    if (placed) shift += delta;
    return { outcome, start, end: start + Math.max(oldLength, 1) - 1, delta, placed };
  });
}

/** Mark the patch's hunks that overlap a left-out hunk, then move the regions past what it wrote and add its own left-out hunks. */
export function trackLeftOutHunks(patch: Patch, outcome: PatchOutcome, partial: Set<string>, regions: LeftOutRegions): void {
  if (outcome.status === 'already-applied') return;
  outcome.files.forEach((file, i) => {
    const op = patch.operations[i];
    if (!op || file.status === 'missing' || file.status === 'already-applied') return;
    const path = sourcePath(op);
    const existing = regions.get(path) ?? [];
    const hunks = placements(op, file);
    for (const h of hunks) {
      const overlapped = existing.filter((r) => h.start <= r.end && r.start <= h.end);
      if (overlapped.length > 0) h.outcome.dependsOn = overlapped.map(({ patch: p, path: f, index }) => ({ patch: p, path: f, index }));
    }
    const written = file.status === 'applied' || partial.has(path);
    if (!written) return;
    const moved = existing.map((r) => {
      const above = hunks.filter((h) => h.placed && h.end < r.start).reduce((sum, h) => sum + h.delta, 0);
      return { ...r, start: r.start + above, end: r.end + above };
    });
    if (file.status !== 'applied') {
      for (const h of hunks.filter((x) => !x.placed)) {
        const above = hunks.filter((x) => x.placed && x.end < h.start).reduce((sum, x) => sum + x.delta, 0);
        moved.push({ patch: patch.name, path: file.path, index: h.outcome.index, start: h.start + above, end: h.end + above });
      }
    }
    if (op.kind === 'delete') regions.delete(path);
    else if (op.kind === 'rename' && file.status === 'applied') {
      regions.delete(op.from);
      regions.set(op.to, moved);
    } else regions.set(path, moved);
  });
}
