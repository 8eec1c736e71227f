// Per refreshed or resolved patch, the commits in from..to that changed its base lines (sync check's culprit search), and
// the security-flagged commits between the old and new base.
import { baseLineOf } from '../checkReport/baseLines';
import type { Patch } from '../series/types';
import { culpritCommits, securityCommits } from '../upstream/history';
import type { RebaseState } from './rebaseState';
import type { SummaryCommit, SummaryHistory } from './summary';

export async function summaryHistory(
  git: { mirrorDir: string; commitOf(version: string): Promise<string> },
  patches: Patch[],
  state: RebaseState,
): Promise<SummaryHistory> {
  const [from, to] = [await git.commitOf(state.from), await git.commitOf(state.to)];
  const culprits = new Map<string, SummaryCommit[]>();
  for (const [i, patch] of patches.entries()) {
    const step = state.steps[i];
    if (step?.action !== 'merged' && step?.action !== 'resolved') continue;
    const found = new Map<string, SummaryCommit>();
    for (const op of patch.operations) {
      if (op.kind === 'create') continue;
      const path = op.kind === 'rename' ? op.from : op.path;
      for (const hunk of op.hunks) {
        const first = Math.max(hunk.oldStart, 1);
        const start = baseLineOf(patches, i, path, first) ?? first;
        const end = Math.max(baseLineOf(patches, i, path, first + Math.max(hunk.oldLines, 1) - 1) ?? start, start);
        for (const c of await culpritCommits(git.mirrorDir, from, to, path, { start, end })) found.set(c.commit, c);
      }
    }
    culprits.set(
      patch.name,
      [...found.values()].sort((a, b) => (a.date < b.date ? 1 : a.date > b.date ? -1 : 0)),
    );
  }
  return { culprits, securityCommits: await securityCommits(git.mirrorDir, from, to) };
}
