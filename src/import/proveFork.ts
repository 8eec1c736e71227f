// The proof of import fork: release + series must give the fork's tree byte for byte, modes included. Only the paths git says
// the fork changed, and those the series writes, are read.
import { applySeries, MemoryTree, type FileReader, type SeriesOutcome } from '../engine';
import type { Patch } from '../series/types';
import { readObjects } from '../workspace/catFile';
import { git } from './forkHistory';

const NULL_ID = /^0+$/;

interface ForkFile {
  id: string;
  mode: string;
}

/** Paths the fork changed against the release tree (null: deleted; 'unsupported': not a regular file). */
async function forkChanges(dir: string, releaseTree: string, fork: string): Promise<Map<string, ForkFile | null | 'unsupported'>> {
  const fields = (await git(dir, ['diff-tree', '-r', '-z', '--no-renames', releaseTree, fork])).stdout.toString('latin1').split('\0');
  const changes = new Map<string, ForkFile | null | 'unsupported'>();
  for (let i = 0; i < fields.length - 1; i += 2) {
    const [, newMode, , newId] = fields[i].slice(1).split(' ');
    const p = Buffer.from(fields[i + 1], 'latin1').toString('utf8');
    changes.set(p, NULL_ID.test(newId) ? null : newMode.startsWith('100') ? { id: newId, mode: newMode } : 'unsupported');
  }
  return changes;
}

async function releaseModes(dir: string, releaseTree: string, paths: string[]): Promise<Map<string, string>> {
  const modes = new Map<string, string>();
  if (paths.length === 0) return modes;
  const listing = (await git(dir, ['--literal-pathspecs', 'ls-tree', '-z', releaseTree, '--', ...paths])).stdout
    .toString('latin1')
    .split('\0');
  for (const line of listing) {
    const tab = line.indexOf('\t');
    if (tab > 0) modes.set(Buffer.from(line.slice(tab + 1), 'latin1').toString('utf8'), line.slice(0, line.indexOf(' ')));
  }
  return modes;
}

export interface Proof {
  outcome: SeriesOutcome;
  differing: string[];
}

export async function proveSeries(dir: string, patches: Patch[], release: FileReader, releaseTree: string, fork: string): Promise<Proof> {
  const tree = new MemoryTree(release);
  const outcome = await applySeries(patches, tree);
  const expected = await forkChanges(dir, releaseTree, fork);
  const forkFiles = [...expected.values()].filter((v): v is ForkFile => v !== null && v !== 'unsupported');
  const blobs = await readObjects(
    dir,
    forkFiles.map((f) => f.id),
  );
  const changes = new Map(tree.changes());
  const paths = new Set([...expected.keys(), ...changes.keys()]);
  const modes = await releaseModes(dir, releaseTree, [...new Set([...paths, ...[...changes.values()].flatMap((c) => c.modeLike ?? [])])]);
  /** The mode release + series gives `p`: the patch's, else the release's (of the path itself or a move's source). */
  const seriesMode = (p: string): string | undefined => {
    const change = changes.get(p);
    if (!change) return modes.get(p);
    return change.mode ?? (change.modeLike === undefined ? undefined : modes.get(change.modeLike)) ?? '100644';
  };
  const differing: string[] = [];
  for (const p of paths) {
    const wanted = expected.has(p) ? expected.get(p) : undefined;
    if (wanted === 'unsupported') {
      differing.push(p);
      continue;
    }
    const forkContent = wanted === undefined ? await release(p) : wanted === null ? undefined : blobs.get(wanted.id);
    const content = await tree.read(p);
    const forkMode = wanted === undefined ? modes.get(p) : wanted?.mode;
    if (content !== forkContent || (content !== undefined && seriesMode(p) !== forkMode)) differing.push(p);
  }
  return { outcome, differing: differing.sort() };
}
