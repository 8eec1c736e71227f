import { applySeries, MemoryTree, type SeriesOutcome } from '../engine';
import { MeshforkError } from '../errors';
import type { Patch } from '../series/types';
import type { Upstream } from '../upstream';

/** An import that would leave a series that does not apply strictly is refused, naming the first patch that does not. */
export async function checkApplies(upstream: Upstream, version: string, patches: Patch[], imported: Set<string>): Promise<SeriesOutcome> {
  const outcome = await applySeries(patches, new MemoryTree(upstream.reader(version)));
  const failed = outcome.patches.find((p) => p.status === 'conflict' || p.status === 'already-applied');
  if (failed) {
    const file = failed.files.find((f) => f.status !== 'applied');
    const mine = imported.has(failed.name) ? 'the imported patch' : 'the existing patch';
    throw new MeshforkError(
      'CONFLICT',
      `${mine} ${failed.name} does not apply to upstream ${version}: ${failed.status}${file ? ` at ${file.path} (${file.status})` : ''}`,
      {
        hint: `import it with --before NAME where it fits, or refresh it (meshfork edit, then meshfork export) against ${version}`,
        details: { patch: failed.name, status: failed.status },
      },
    );
  }
  return outcome;
}
