/*
 * The proof of `import fork`: the new series applied to the upstream release must give the fork's
 * tree byte for byte. Returns every path that differs (missing on one side, or other bytes).
 */
import { applySeries, MemoryTree, type SeriesOutcome } from '../engine';
import type { Patch } from '../series/types';
import { readObjects } from '../workspace/catFile';
import { git } from './forkHistory';

/** The files of a commit (regular files only; links and submodules are listed apart). */
export async function commitFiles(dir: string, commit: string): Promise<{ files: Map<string, string>; unsupported: string[] }> {
  const listing = (await git(dir, ['ls-tree', '-r', '-z', '--full-tree', commit])).stdout.toString('latin1').split('\0').filter(Boolean);
  const blobs: [string, string][] = [];
  const unsupported: string[] = [];
  for (const record of listing) {
    const tab = record.indexOf('\t');
    const [mode, , id] = record.slice(0, tab).split(' ');
    const p = Buffer.from(record.slice(tab + 1), 'latin1').toString('utf8');
    if (mode.startsWith('100')) blobs.push([p, id]);
    else unsupported.push(p);
  }
  const objects = await readObjects(dir, blobs.map(([, id]) => id));
  return { files: new Map(blobs.map(([p, id]) => [p, objects.get(id) ?? ''])), unsupported };
}

export interface Proof {
  outcome: SeriesOutcome;
  /** Paths whose bytes differ between release+series and the fork (sorted). */
  differing: string[];
}

export async function proveSeries(patches: Patch[], release: Map<string, string>, fork: Map<string, string>): Promise<Proof> {
  const tree = new MemoryTree(async (p) => release.get(p));
  const outcome = await applySeries(patches, tree);
  const result = new Map(release);
  for (const [p, change] of tree.changes()) change.content === null ? result.delete(p) : result.set(p, change.content);
  const differing = [...new Set([...result.keys(), ...fork.keys()])].filter((p) => result.get(p) !== fork.get(p)).sort();
  return { outcome, differing };
}
