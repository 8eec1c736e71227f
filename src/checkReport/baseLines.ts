// A hunk's @@ old lines count the earlier patches on the same file; culprit searches and reports need the base release's own lines.
import type { FileOperation, Hunk, Patch } from '../series/types';
import { operationTargetPath } from '../series/types';

function lineBefore(hunks: Hunk[], line: number): number {
  let mapped = line;
  for (const h of hunks) {
    // The first line after the hunk on each side (a 0-line side sits after its start line).
    const newAfter = h.newLines === 0 ? h.newStart + 1 : h.newStart + h.newLines;
    const oldAfter = h.oldLines === 0 ? h.oldStart + 1 : h.oldStart + h.oldLines;
    if (line >= newAfter) mapped = line - newAfter + oldAfter;
    else if (h.newLines > 0 && line >= h.newStart)
      return h.oldLines === 0 ? oldAfter : h.oldStart + Math.min(line - h.newStart, h.oldLines - 1);
    else break;
  }
  return mapped;
}

function operationProducing(patch: Patch, path: string): FileOperation | undefined {
  return patch.operations.find((o) => o.kind !== 'delete' && operationTargetPath(o) === path);
}

/** Mapped to the base release through each earlier patch (and renames); undefined for a line of a file an earlier patch created. */
export function baseLineOf(patches: Patch[], patchIndex: number, path: string, line: number): number | undefined {
  let current = { path, line };
  for (let q = patchIndex - 1; q >= 0; q--) {
    const op = operationProducing(patches[q], current.path);
    if (!op) continue;
    if (op.kind === 'create') return undefined;
    current = { path: op.kind === 'rename' ? op.from : current.path, line: Math.max(lineBefore(op.hunks, current.line), 1) };
  }
  return current.line;
}
