/*
 * The proof of `import fork`: the new series applied to the upstream release must give the fork's
 * tree byte for byte. git tells which paths the fork changed against the release's tree; only
 * those, and the paths the series writes, need reading. Returns every path that differs.
 */
import { applySeries, MemoryTree, type FileReader, type SeriesOutcome } from '../engine';
import type { Patch } from '../series/types';
import { readObjects } from '../workspace/catFile';
import { git } from './forkHistory';

const NULL_ID = /^0+$/;

/** Paths the fork changed against the release tree, with the fork's blob id (null: deleted; 'unsupported': not a regular file). */
async function forkChanges(dir: string, releaseTree: string, fork: string): Promise<Map<string, string | null | 'unsupported'>> {
  const fields = (await git(dir, ['diff-tree', '-r', '-z', '--no-renames', releaseTree, fork])).stdout.toString('latin1').split('\0');
  const changes = new Map<string, string | null | 'unsupported'>();
  for (let i = 0; i < fields.length - 1; i += 2) {
    const [, newMode, , newId] = fields[i].slice(1).split(' ');
    const p = Buffer.from(fields[i + 1], 'latin1').toString('utf8');
    changes.set(p, NULL_ID.test(newId) ? null : newMode.startsWith('100') ? newId : 'unsupported');
  }
  return changes;
}

export interface Proof {
  outcome: SeriesOutcome;
  /** Paths whose bytes differ between release+series and the fork (sorted). */
  differing: string[];
}

export async function proveSeries(dir: string, patches: Patch[], release: FileReader, releaseTree: string, fork: string): Promise<Proof> {
  const tree = new MemoryTree(release);
  const outcome = await applySeries(patches, tree);
  const expected = await forkChanges(dir, releaseTree, fork);
  const blobs = await readObjects(dir, [...expected.values()].filter((v): v is string => v !== null && v !== 'unsupported'));
  const paths = new Set([...expected.keys(), ...tree.changes().map(([p]) => p)]);
  const differing: string[] = [];
  for (const p of paths) {
    const wanted = expected.has(p) ? expected.get(p) : undefined;
    if (wanted === 'unsupported') {
      differing.push(p);
      continue;
    }
    const forkContent = wanted === undefined ? await release(p) : wanted === null ? undefined : blobs.get(wanted);
    if ((await tree.read(p)) !== forkContent) differing.push(p);
  }
  return { outcome, differing: differing.sort() };
}
