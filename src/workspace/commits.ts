import { MeshforkError } from '../errors';
import type { FileChange } from '../series/writer';
import { readObjects } from './catFile';
import { parseCommitMessage, type Author, type MessageParts } from './commitMessage';
import { wsGit, wsGitText } from './workspaceGit';

const NULL_ID = /^0+$/;

export interface PatchCommit {
  id: string;
  author: Author;
  /** The Date: header a new patch of this commit gets (import fork: the fork commit's author date); workspace commits have none. */
  date?: string;
  message: MessageParts;
  changes: FileChange[];
}

function parseCommitObject(id: string, raw: string): { author: Author; message: string } {
  const split = raw.indexOf('\n\n');
  const headers = split === -1 ? raw : raw.slice(0, split);
  const message = split === -1 ? '' : raw.slice(split + 2);
  const line = headers.split('\n').find((l) => l.startsWith('author '));
  const match = line && /^author (.*?) <([^>]*)> \d+ [+-]\d{4}$/.exec(line);
  if (!match) throw new MeshforkError('TOOL_FAILED', `commit ${id} has no readable author line`);
  return { author: { name: match[1], email: match[2] }, message };
}

interface RawEntry {
  oldMode: string;
  newMode: string;
  oldId: string;
  newId: string;
  status: string;
  oldPath: string;
  newPath: string;
}

/** Read in sequence, a commit id can only stand where an entry's ":<modes>" field could. */
function parseRawDiffs(out: string): Map<string, RawEntry[]> {
  const fields = out.split('\0');
  const byCommit = new Map<string, RawEntry[]>();
  let entries: RawEntry[] = [];
  for (let i = 0; i < fields.length;) {
    const meta = fields[i++];
    if (!meta.startsWith(':')) {
      if (meta !== '') byCommit.set(meta, (entries = []));
      continue;
    }
    const [oldMode, newMode, oldId, newId, status] = meta.slice(1).split(' ');
    // Paths are UTF-8 bytes in git's output (the rest of the series holds them as decoded text).
    const first = Buffer.from(fields[i++], 'latin1').toString('utf8');
    const second = status.startsWith('R') || status.startsWith('C') ? Buffer.from(fields[i++], 'latin1').toString('utf8') : first;
    entries.push({ oldMode, newMode, oldId, newId, status, oldPath: first, newPath: second });
  }
  return byCommit;
}

/** One diff-tree --stdin and one cat-file --batch for every commit and blob, instead of two processes per commit. */
async function readCommits(
  workDir: string,
  rows: string[][],
): Promise<{ objects: Map<string, string>; changes: Map<string, FileChange[]> }> {
  const changes = new Map<string, FileChange[]>();
  if (rows.length === 0) return { objects: new Map(), changes };
  const input = rows.map(([id, parent]) => `${id} ${parent}\n`).join('');
  const { stdout } = await wsGit(workDir, ['diff-tree', '--stdin', '--always', '-r', '-z', '--raw', '-M'], { input });
  const diffs = parseRawDiffs(stdout.toString('latin1'));
  const perCommit = rows.map(([id]) => {
    const entries = diffs.get(id);
    if (!entries) throw new MeshforkError('TOOL_FAILED', `git diff-tree --stdin printed nothing for commit ${id}`);
    for (const e of entries) {
      if (e.oldMode === '160000' || e.newMode === '160000') {
        throw new MeshforkError(
          'USAGE',
          `commit ${id.slice(0, 12)} changes a submodule at "${e.newPath}"; a series cannot carry submodules`,
          {
            hint: 'drop that change from the commit (git rebase -i upstream)',
          },
        );
      }
    }
    return [id, entries] as const;
  });
  const blobIds = perCommit.flatMap(([, entries]) => entries.flatMap((e) => [e.oldId, e.newId])).filter((x) => !NULL_ID.test(x));
  const objects = await readObjects(workDir, [...rows.map(([id]) => id), ...blobIds]);
  for (const [id, entries] of perCommit) {
    changes.set(
      id,
      entries.map((e): FileChange => {
        const added = e.status === 'A';
        const deleted = e.status === 'D';
        return {
          oldPath: added ? null : e.oldPath,
          newPath: deleted ? null : e.newPath,
          oldContent: added ? null : (objects.get(e.oldId) ?? ''),
          newContent: deleted ? null : (objects.get(e.newId) ?? ''),
          oldMode: added ? undefined : e.oldMode,
          newMode: deleted ? undefined : e.newMode,
        };
      }),
    );
  }
  return { objects, changes };
}

export async function listPatchCommits(workDir: string, base: string): Promise<PatchCommit[]> {
  const listing = await wsGitText(workDir, ['rev-list', '--reverse', '--topo-order', '--parents', `${base}..HEAD`]).catch(
    (error: unknown) => error as Error,
  );
  const rows = listing instanceof Error || listing === '' ? [] : listing.split('\n').map((l) => l.split(' '));
  // Commits of base..HEAD are ancestors of HEAD: when the oldest one's parent is base, so is base.
  // Anything else (nothing listed, a merge, a failure) asks git, so the errors come in the same order.
  const fromBase = rows.length > 0 && rows.every((r) => r.length === 2) && rows[0][1] === base;
  if (!fromBase) {
    const isAncestor = await wsGit(workDir, ['merge-base', '--is-ancestor', base, 'HEAD'], { okExitCodes: [0, 1] });
    if (isAncestor.exitCode !== 0) {
      throw new MeshforkError('STATE_INVALID', 'the workspace branch no longer contains the upstream commit', {
        hint: 'rebuild the series on the upstream commit (git rebase -i upstream), or recreate the workspace with `meshfork edit --force`',
      });
    }
  }
  if (listing instanceof Error) throw listing;
  const merge = rows.find((r) => r.length !== 2);
  if (merge) {
    throw new MeshforkError('STATE_INVALID', `commit ${merge[0].slice(0, 12)} is a merge; a series is a straight line of commits`, {
      hint: 'linearize the workspace history (git rebase upstream) and export again',
    });
  }
  const { objects, changes } = await readCommits(workDir, rows);
  return rows.map(([id]) => {
    const { author, message } = parseCommitObject(id, objects.get(id) ?? '');
    return { id, author, message: parseCommitMessage(message), changes: changes.get(id) ?? [] };
  });
}
