import { MeshforkError } from '../errors';
import type { FileChange } from '../series/writer';
import { readObjects } from './catFile';
import { parseCommitMessage, type Author, type MessageParts } from './commitMessage';
import { wsGit, wsGitText } from './workspaceGit';

const NULL_ID = /^0+$/;

/** One workspace commit, read back as the parts of a patch. */
export interface PatchCommit {
  id: string;
  author: Author;
  message: MessageParts;
  changes: FileChange[];
}

/** "author Name <email> 946684800 +0000" from a raw commit object. */
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

/** Parse `git diff-tree -r -z --raw` output. */
function parseRawDiff(out: string): RawEntry[] {
  const fields = out.split('\0');
  const entries: RawEntry[] = [];
  for (let i = 0; i < fields.length; ) {
    const meta = fields[i++];
    if (!meta.startsWith(':')) continue;
    const [oldMode, newMode, oldId, newId, status] = meta.slice(1).split(' ');
    // Paths are UTF-8 bytes in git's output (the rest of the series holds them as decoded text).
    const first = Buffer.from(fields[i++], 'latin1').toString('utf8');
    const second = status.startsWith('R') || status.startsWith('C') ? Buffer.from(fields[i++], 'latin1').toString('utf8') : first;
    entries.push({ oldMode, newMode, oldId, newId, status, oldPath: first, newPath: second });
  }
  return entries;
}

async function commitChanges(workDir: string, parent: string, id: string): Promise<FileChange[]> {
  const { stdout } = await wsGit(workDir, ['diff-tree', '-r', '-z', '--raw', '-M', '--no-commit-id', parent, id]);
  const entries = parseRawDiff(stdout.toString('latin1'));
  for (const e of entries) {
    if (e.oldMode === '160000' || e.newMode === '160000') {
      throw new MeshforkError('USAGE', `commit ${id.slice(0, 12)} changes a submodule at "${e.newPath}"; a series cannot carry submodules`, {
        hint: 'drop that change from the commit (git rebase -i upstream)',
      });
    }
  }
  const blobs = await readObjects(workDir, entries.flatMap((e) => [e.oldId, e.newId]).filter((x) => !NULL_ID.test(x)));
  return entries.map((e): FileChange => {
    const added = e.status === 'A';
    const deleted = e.status === 'D';
    return {
      oldPath: added ? null : e.oldPath,
      newPath: deleted ? null : e.newPath,
      oldContent: added ? null : (blobs.get(e.oldId) ?? ''),
      newContent: deleted ? null : (blobs.get(e.newId) ?? ''),
      oldMode: added ? undefined : e.oldMode,
      newMode: deleted ? undefined : e.newMode,
    };
  });
}

/** The patch commits of the workspace, oldest first: `base..HEAD`, which must be a straight line. */
export async function listPatchCommits(workDir: string, base: string): Promise<PatchCommit[]> {
  const isAncestor = await wsGit(workDir, ['merge-base', '--is-ancestor', base, 'HEAD'], { okExitCodes: [0, 1] });
  if (isAncestor.exitCode !== 0) {
    throw new MeshforkError('STATE_INVALID', 'the workspace branch no longer contains the upstream commit', {
      hint: 'rebuild the series on the upstream commit (git rebase -i upstream), or recreate the workspace with `meshfork edit --force`',
    });
  }
  const listing = await wsGitText(workDir, ['rev-list', '--reverse', '--topo-order', '--parents', `${base}..HEAD`]);
  const rows = listing === '' ? [] : listing.split('\n').map((l) => l.split(' '));
  const merge = rows.find((r) => r.length !== 2);
  if (merge) {
    throw new MeshforkError('STATE_INVALID', `commit ${merge[0].slice(0, 12)} is a merge; a series is a straight line of commits`, {
      hint: 'linearize the workspace history (git rebase upstream) and export again',
    });
  }
  const objects = await readObjects(workDir, rows.map((r) => r[0]));
  const commits: PatchCommit[] = [];
  for (const [id, parent] of rows) {
    const { author, message } = parseCommitObject(id, objects.get(id) ?? '');
    commits.push({ id, author, message: parseCommitMessage(message), changes: await commitChanges(workDir, parent, id) });
  }
  return commits;
}
