/*
 * Run the engine on a set of files held in memory and return the resulting set, so a test can
 * compare it byte for byte with what git apply, GNU patch or dpkg-source left on disk.
 */
import { applyPatch, MemoryTree, type PatchOutcome } from '../../src/engine';
import type { Patch } from '../../src/series/types';

export async function engineApply(
  patches: Patch[],
  files: Map<string, Buffer>,
): Promise<{ files: Map<string, Buffer>; outcomes: PatchOutcome[] }> {
  const tree = new MemoryTree(async (p) => files.get(p)?.toString('latin1'));
  const outcomes: PatchOutcome[] = [];
  for (const patch of patches) outcomes.push(await applyPatch(patch, tree));
  const result = new Map(files);
  for (const [p, change] of tree.changes()) {
    if (change.content === null) result.delete(p);
    else result.set(p, Buffer.from(change.content, 'latin1'));
  }
  return { files: result, outcomes };
}

/** Sorted [path, bytes as hex-free string] pairs, for a readable toEqual on two file sets. */
export function listing(files: Map<string, Buffer>): [string, string][] {
  return [...files.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([p, b]) => [p, b.toString('latin1')]);
}
