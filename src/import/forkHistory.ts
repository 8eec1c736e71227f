// A merge-based fork as a straight line on a release: cherry-pick the fork's own commits onto the release's commit, settle every
// conflict with the fork's final bytes (so merge resolutions land in the commit that needed them), and fold the rest of what the
// merges changed into one last commit. --squash-by cuts the difference into one commit, or one per file, instead.
import { MeshforkError } from '../errors';
import { GIT_IDENTITY, runGit, type GitResult } from '../tools/git';
import { commitMessage, parseCommitMessage } from '../workspace/commitMessage';
import { FIXED_DATE } from '../workspace/workspaceGit';

export type SquashBy = 'file' | 'all';

const IMPORT_IDENTITY = { ...GIT_IDENTITY, GIT_COMMITTER_DATE: FIXED_DATE };

export function git(dir: string, args: string[], okExitCodes = [0], env: Record<string, string> = {}): Promise<GitResult> {
  return runGit(args, { cwd: dir, okExitCodes, env: { ...IMPORT_IDENTITY, ...env } });
}

async function text(dir: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  return (await git(dir, args, [0], env)).stdout.toString('utf8').trim();
}

export async function cloneFork(from: string, ref: string | undefined, dir: string): Promise<string> {
  const clone = await runGit(['clone', '-q', '--no-checkout', '--', from, dir], { cwd: process.cwd(), okExitCodes: [0, 128] });
  if (clone.exitCode !== 0) {
    throw new MeshforkError('UPSTREAM_UNREACHABLE', `cannot clone the fork ${from}: ${clone.stderr.trim()}`, {
      hint: 'pass --from a git URL or a local repository path that git clone accepts',
    });
  }
  for (const candidate of ref === undefined ? ['HEAD'] : [`origin/${ref}`, ref]) {
    const found = await git(dir, ['rev-parse', '-q', '--verify', `${candidate}^{commit}`], [0, 1, 128]);
    if (found.exitCode === 0) return found.stdout.toString('utf8').trim();
  }
  throw new MeshforkError('USAGE', `--ref ${ref}: no such branch, tag or commit in ${from}`, {
    hint: 'pass --ref with a branch or tag of the fork (git ls-remote FORK lists them)',
  });
}

/** The version in the fork's package.json: the release it is merged up to, unless --onto says otherwise. */
export async function forkVersion(dir: string, commit: string): Promise<string | undefined> {
  const shown = await git(dir, ['show', `${commit}:package.json`], [0, 128]);
  if (shown.exitCode !== 0) return undefined;
  try {
    const version = (JSON.parse(shown.stdout.toString('utf8')) as { version?: unknown }).version;
    return typeof version === 'string' ? version : undefined;
  } catch {
    return undefined;
  }
}

export async function treeOfFolder(dir: string, folder: string): Promise<string> {
  const env = { GIT_INDEX_FILE: `${dir}/.git/meshfork-release-index` };
  await git(dir, ['-c', 'core.looseCompression=0', '--work-tree', folder, 'add', '-A', '-f', '.'], [0], env);
  return (await git(dir, ['write-tree'], [0], env)).stdout.toString('utf8').trim();
}

/** Where the fork's own commits start: the release's commit, found in the fork's history or made. */
export interface BaseCommit {
  id: string;
  inHistory: boolean;
  /** The last history commit that is the release plus repository-only files: own commits come after it. */
  since?: string;
  /** Those files (a git repository's .github/, .gitignore, ... that the npm package leaves out). */
  repositoryOnly: string[];
}

async function onlyAdded(dir: string, from: string, to: string): Promise<string[] | undefined> {
  const fields = (await git(dir, ['diff-tree', '-r', '-z', '--no-renames', '--name-status', from, to])).stdout
    .toString('latin1')
    .split('\0')
    .filter(Boolean);
  const added: string[] = [];
  for (let i = 0; i < fields.length; i += 2) {
    if (fields[i] !== 'A') return undefined;
    added.push(Buffer.from(fields[i + 1], 'latin1').toString('utf8'));
  }
  return added;
}

/** A history commit with the release tree; else the newest that only adds files the npm package leaves out (.github/ ...); else a new root commit. */
export async function baseCommit(dir: string, commit: string, tree: string, version: string): Promise<BaseCommit> {
  const history = (await text(dir, ['log', '--format=%H %T', commit])).split('\n').map((line) => line.split(' '));
  const exact = history.find(([, t]) => t === tree);
  if (exact) return { id: exact[0], inHistory: true, repositoryOnly: [] };
  const made = await runGit(['commit-tree', tree, '-m', `upstream ${version}`], {
    cwd: dir,
    env: { ...IMPORT_IDENTITY, GIT_AUTHOR_DATE: FIXED_DATE, GIT_AUTHOR_NAME: 'upstream', GIT_AUTHOR_EMAIL: 'upstream@meshfork.invalid' },
  });
  const id = made.stdout.toString('utf8').trim();
  // Only commits with the release's package.json can be it: one cat-file for all, then a diff for those.
  const wanted = (await git(dir, ['rev-parse', `${tree}:package.json`], [0, 128])).stdout.toString('utf8').trim();
  const blobs = (
    await runGit(['cat-file', '--batch-check=%(objectname)'], { cwd: dir, input: history.map(([c]) => `${c}:package.json\n`).join('') })
  ).stdout
    .toString('utf8')
    .split('\n');
  for (const [k, [candidate]] of history.entries()) {
    if (blobs[k] !== wanted) continue;
    const added = await onlyAdded(dir, tree, candidate);
    if (added) return { id, inHistory: false, since: candidate, repositoryOnly: added };
  }
  return { id, inHistory: false, repositoryOnly: [] };
}

export async function withoutPaths(dir: string, commit: string, paths: string[]): Promise<string> {
  if (paths.length === 0) return commit;
  const env = { GIT_INDEX_FILE: `${dir}/.git/meshfork-view-index` };
  await git(dir, ['read-tree', commit], [0], env);
  await runGit(['update-index', '--force-remove', '-z', '--stdin'], {
    cwd: dir,
    env: { ...IMPORT_IDENTITY, ...env },
    input: paths.map((p) => `${p}\0`).join(''),
  });
  const tree = await text(dir, ['write-tree'], env);
  return text(dir, ['commit-tree', tree, '-p', commit, '-m', 'without the repository-only files'], { GIT_AUTHOR_DATE: FIXED_DATE });
}

/** A scratch index: the replay builds trees and commits without a work tree (a release is ~400 MB). */
function indexEnv(dir: string): Record<string, string> {
  return { GIT_INDEX_FILE: `${dir}/.git/meshfork-import-index` };
}

async function takeForks(dir: string, fork: string, paths: string[]): Promise<void> {
  const env = indexEnv(dir);
  for (const p of paths) {
    await git(dir, ['update-index', '--force-remove', '--', p], [0], env);
    const entry = (await git(dir, ['ls-tree', '-z', fork, '--', `:(literal)${p}`])).stdout.toString('utf8').split('\0')[0];
    const match = /^(\d+) blob ([0-9a-f]+)\t/.exec(entry ?? '');
    if (match) await git(dir, ['update-index', '--add', '--cacheinfo', `${match[1]},${match[2]},${p}`], [0], env);
  }
}

export const FORK_COMMIT_TRAILER = 'Fork-Commit';

/** Upstream-Status "Pending" where the commit gave none (not known to be submitted), and the fork commit it comes from. */
function importedMessage(message: string, forkCommit: string): string {
  const parts = parseCommitMessage(message);
  const trailers = parts.trailers.filter((t) => t.key.toLowerCase() !== FORK_COMMIT_TRAILER.toLowerCase());
  if (!trailers.some((t) => t.key.toLowerCase() === 'upstream-status')) trailers.push({ key: 'Upstream-Status', value: 'Pending' });
  trailers.push({ key: FORK_COMMIT_TRAILER, value: forkCommit });
  return commitMessage({ from: '', subject: parts.subject, description: parts.description, trailers });
}

export interface MadeMessage {
  subject: string;
  description: string;
  forkCommit: string;
}

async function commitIndex(dir: string, parent: string, like: { commit: string } | MadeMessage): Promise<string | undefined> {
  const env = indexEnv(dir);
  const tree = await text(dir, ['write-tree'], env);
  if (tree === (await text(dir, ['rev-parse', `${parent}^{tree}`]))) return undefined;
  let message: string;
  let author: Record<string, string> = { GIT_AUTHOR_DATE: FIXED_DATE };
  if ('commit' in like) {
    const raw = (await git(dir, ['cat-file', 'commit', like.commit])).stdout.toString('utf8');
    const split = raw.indexOf('\n\n');
    message = importedMessage(split === -1 ? '' : raw.slice(split + 2), like.commit);
    const line = /^author (.*) <([^>]*)> (\d+ [+-]\d{4})$/m.exec(raw.slice(0, split));
    if (line) author = { GIT_AUTHOR_NAME: line[1], GIT_AUTHOR_EMAIL: line[2], GIT_AUTHOR_DATE: line[3] };
  } else message = importedMessage(`${like.subject}\n\n${like.description}\n`, like.forkCommit);
  const made = await runGit(['commit-tree', tree, '-p', parent, '-F', '-'], {
    cwd: dir,
    input: message,
    env: { ...IMPORT_IDENTITY, ...author },
  });
  return made.stdout.toString('utf8').trim();
}

async function replay(
  dir: string,
  base: string,
  since: string,
  fork: string,
  leftOut: string[],
): Promise<{ head: string; conflicts: number; origins: Map<string, string> }> {
  const env = indexEnv(dir);
  const paths = leftOut.length ? ['--', '.', ...leftOut.map((p) => `:(exclude,literal)${p}`)] : [];
  const own = (await text(dir, ['rev-list', '--reverse', '--topo-order', '--no-merges', fork, `^${since}`])).split('\n').filter(Boolean);
  let head = base;
  let conflicts = 0;
  const origins = new Map<string, string>();
  for (const commit of own) {
    const parent = (await text(dir, ['rev-list', '--parents', '-n', '1', commit])).split(' ')[1];
    const diff = (
      await git(dir, [
        'diff',
        '--binary',
        '--full-index',
        '--no-renames',
        parent ?? '4b825dc642cb6eb9a060e54bf8d69288fbee4904',
        commit,
        ...paths,
      ])
    ).stdout;
    if (diff.length === 0) continue;
    await git(dir, ['read-tree', head], [0], env);
    const applied = await runGit(['apply', '--cached', '--3way'], { cwd: dir, input: diff, env, okExitCodes: [0, 1, 128] });
    if (applied.exitCode !== 0) {
      conflicts++;
      // Conflicts take the fork's resolution; a diff that does not apply at all takes the fork's bytes for its files.
      const unmerged = (await text(dir, ['ls-files', '-u', '-z'], env))
        .split('\0')
        .filter(Boolean)
        .map((l) => l.slice(l.indexOf('\t') + 1));
      const merged = applied.exitCode === 1 && unmerged.length > 0;
      const touched = merged
        ? unmerged
        : (await text(dir, ['diff', '--name-only', '-z', '--no-renames', parent ?? head, commit, ...paths])).split('\0').filter(Boolean);
      if (!merged) await git(dir, ['read-tree', head], [0], env);
      await takeForks(dir, fork, [...new Set(touched)]);
    }
    const made = await commitIndex(dir, head, { commit });
    if (made) origins.set(made, commit);
    head = made ?? head;
  }
  return { head, conflicts, origins };
}

async function squashByFile(dir: string, base: string, fork: string, tip: string): Promise<string> {
  const changed = (await text(dir, ['diff', '--name-only', '--no-renames', '-z', base, fork])).split('\0').filter(Boolean).sort();
  let head = base;
  for (const p of changed) {
    await git(dir, ['read-tree', head], [0], indexEnv(dir));
    await takeForks(dir, fork, [p]);
    head =
      (await commitIndex(dir, head, {
        subject: `Change ${p}`,
        description: `The fork's changes to ${p} as of its commit ${tip} (meshfork import fork --squash-by file).`,
        forkCommit: tip,
      })) ?? head;
  }
  return head;
}

export interface Linearized {
  base: string;
  conflicts: number;
  folded: boolean;
  mode: 'history' | SquashBy;
  origins: Map<string, string>;
}

/** fork is the tree to reproduce (tip without the leftOut files); tip is the commit the messages name. */
export async function linearize(
  dir: string,
  fork: string,
  base: BaseCommit,
  squash: SquashBy | undefined,
  version: string,
  tip: string,
  leftOut: string[] = [],
): Promise<Linearized> {
  const since = base.inHistory ? base.id : base.since;
  if (squash === undefined && since === undefined) {
    // Without the release in its history there are no "own commits" to tell apart.
    throw new MeshforkError(
      'USAGE',
      `no commit of the fork has upstream ${version}'s files byte for byte (alone or with files the release does not have), so its own commits cannot be told apart from upstream's`,
      {
        hint: `pass --squash-by all (one patch) or --squash-by file (one patch per file) to import the fork's difference from ${version}, or --onto the release the fork is based on`,
      },
    );
  }
  const mode = squash ?? 'history';
  let head = base.id;
  let conflicts = 0;
  let origins = new Map<string, string>();
  if (mode === 'history') ({ head, conflicts, origins } = await replay(dir, base.id, since ?? base.id, fork, leftOut));
  else if (mode === 'file') head = await squashByFile(dir, base.id, fork, tip);
  await git(dir, ['read-tree', fork], [0], indexEnv(dir));
  const last = await commitIndex(
    dir,
    head,
    mode === 'history'
      ? {
          subject: 'Fold in the changes the fork made in its merges',
          description: `What the fork's merge commits changed besides its own commits (merge resolutions no commit of its own carries), as of its commit ${tip}.`,
          forkCommit: tip,
        }
      : {
          subject: 'Fork changes',
          description: `The fork's changes to upstream ${version} as of its commit ${tip}, in one patch (meshfork import fork --squash-by all).`,
          forkCommit: tip,
        },
  );
  await git(dir, ['update-ref', 'refs/heads/meshfork-import', last ?? head]);
  await git(dir, ['symbolic-ref', 'HEAD', 'refs/heads/meshfork-import']);
  return { base: base.id, conflicts, folded: mode === 'history' && last !== undefined, mode, origins };
}

export async function pathsIn(dir: string, commit: string, paths: string[]): Promise<string[]> {
  if (paths.length === 0) return [];
  const listed = (await git(dir, ['--literal-pathspecs', 'ls-tree', '-r', '-z', '--name-only', commit, '--', ...paths])).stdout
    .toString('latin1')
    .split('\0')
    .filter(Boolean);
  return listed.map((p) => Buffer.from(p, 'latin1').toString('utf8'));
}

/** Each commit's author date as git format-patch writes it (RFC 2822, the author's zone). */
export async function authorDates(dir: string, commits: string[]): Promise<Map<string, string>> {
  const dates = new Map<string, string>();
  if (commits.length === 0) return dates;
  for (const line of (await text(dir, ['log', '--no-walk=unsorted', '--format=%H %aD', ...commits])).split('\n')) {
    const space = line.indexOf(' ');
    if (space > 0) dates.set(line.slice(0, space), line.slice(space + 1));
  }
  return dates;
}
