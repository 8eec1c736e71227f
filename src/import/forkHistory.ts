/*
 * A merge-based fork as a straight line of commits on an upstream release. In a scratch clone:
 * find the commit whose tree is the release, cherry-pick the fork's own (non-merge) commits onto
 * it in order, settle every conflict with the fork's final bytes for that path (so merge
 * resolutions land in the commit that needed them), and fold what the merges changed besides into
 * one last commit. With --squash-by the fork's difference from the release is cut into one commit
 * (all) or one commit per file (file) instead.
 */
import { MeshforkError } from '../errors';
import { GIT_IDENTITY, runGit, type GitResult } from '../tools/git';
import { FIXED_DATE } from '../workspace/workspaceGit';

export type SquashBy = 'file' | 'all';

const IMPORT_IDENTITY = { ...GIT_IDENTITY, GIT_COMMITTER_DATE: FIXED_DATE };

export function git(dir: string, args: string[], okExitCodes = [0], env: Record<string, string> = {}): Promise<GitResult> {
  return runGit(args, { cwd: dir, okExitCodes, env: { ...IMPORT_IDENTITY, ...env } });
}

async function text(dir: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  return (await git(dir, args, [0], env)).stdout.toString('utf8').trim();
}

/** Clone the fork (URL or path) without a checkout; returns the commit `ref` names there. */
export async function cloneFork(from: string, ref: string | undefined, dir: string): Promise<string> {
  const clone = await runGit(['clone', '-q', '--no-checkout', '--', from, dir], { cwd: process.cwd(), okExitCodes: [0, 128] });
  if (clone.exitCode !== 0) {
    throw new MeshforkError('UPSTREAM_UNREACHABLE', `cannot clone the fork ${from}: ${clone.stderr.trim()}`, { hint: 'pass --from a git URL or a local repository path that git clone accepts' });
  }
  for (const candidate of ref === undefined ? ['HEAD'] : [`origin/${ref}`, ref]) {
    const found = await git(dir, ['rev-parse', '-q', '--verify', `${candidate}^{commit}`], [0, 1, 128]);
    if (found.exitCode === 0) return found.stdout.toString('utf8').trim();
  }
  throw new MeshforkError('USAGE', `--ref ${ref}: no such branch, tag or commit in ${from}`, { hint: 'pass --ref with a branch or tag of the fork (git ls-remote FORK lists them)' });
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

/** The git tree id of a folder's files (the release), written with a scratch index. */
export async function treeOfFolder(dir: string, folder: string): Promise<string> {
  const env = { GIT_INDEX_FILE: `${dir}/.git/meshfork-release-index` };
  await git(dir, ['-c', 'core.looseCompression=0', '--work-tree', folder, 'add', '-A', '-f', '.'], [0], env);
  return (await git(dir, ['write-tree'], [0], env)).stdout.toString('utf8').trim();
}

/** A commit of the fork's history whose tree is `tree`, or a new parentless one. */
export async function baseCommit(dir: string, commit: string, tree: string, version: string): Promise<{ id: string; inHistory: boolean }> {
  for (const line of (await text(dir, ['log', '--format=%H %T', commit])).split('\n')) {
    const [id, t] = line.split(' ');
    if (t === tree) return { id, inHistory: true };
  }
  const made = await runGit(['commit-tree', tree, '-m', `upstream ${version}`], { cwd: dir, env: { ...IMPORT_IDENTITY, GIT_AUTHOR_DATE: FIXED_DATE, GIT_AUTHOR_NAME: 'upstream', GIT_AUTHOR_EMAIL: 'upstream@meshfork.invalid' } });
  return { id: made.stdout.toString('utf8').trim(), inHistory: false };
}

/** A scratch index: the replay builds trees and commits without a work tree (a release is ~400 MB). */
function indexEnv(dir: string): Record<string, string> {
  return { GIT_INDEX_FILE: `${dir}/.git/meshfork-import-index` };
}

/** Put the fork's final state of these paths into the scratch index (or remove them). */
async function takeForks(dir: string, fork: string, paths: string[]): Promise<void> {
  const env = indexEnv(dir);
  for (const p of paths) {
    await git(dir, ['update-index', '--force-remove', '--', p], [0], env);
    const entry = (await git(dir, ['ls-tree', '-z', fork, '--', `:(literal)${p}`])).stdout.toString('utf8').split('\0')[0];
    const match = /^(\d+) blob ([0-9a-f]+)\t/.exec(entry ?? '');
    if (match) await git(dir, ['update-index', '--add', '--cacheinfo', `${match[1]},${match[2]},${p}`], [0], env);
  }
}

/** Commit the scratch index on `parent` as `like` (its author and message) or with `message`; undefined when nothing changed. */
async function commitIndex(dir: string, parent: string, like: { commit: string } | { message: string }): Promise<string | undefined> {
  const env = indexEnv(dir);
  const tree = await text(dir, ['write-tree'], env);
  if (tree === (await text(dir, ['rev-parse', `${parent}^{tree}`]))) return undefined;
  let message: string;
  let author: Record<string, string> = { GIT_AUTHOR_DATE: FIXED_DATE };
  if ('commit' in like) {
    const raw = (await git(dir, ['cat-file', 'commit', like.commit])).stdout.toString('utf8');
    const split = raw.indexOf('\n\n');
    message = split === -1 ? '' : raw.slice(split + 2);
    const line = /^author (.*) <([^>]*)> (\d+ [+-]\d{4})$/m.exec(raw.slice(0, split));
    if (line) author = { GIT_AUTHOR_NAME: line[1], GIT_AUTHOR_EMAIL: line[2], GIT_AUTHOR_DATE: line[3] };
  } else message = `${like.message}\n`;
  const made = await runGit(['commit-tree', tree, '-p', parent, '-F', '-'], { cwd: dir, input: message, env: { ...IMPORT_IDENTITY, ...author } });
  return made.stdout.toString('utf8').trim();
}

/** Cherry-pick the fork's own commits onto the base (git apply --3way on the scratch index). */
async function replay(dir: string, base: string, fork: string): Promise<{ head: string; conflicts: number }> {
  const env = indexEnv(dir);
  const own = (await text(dir, ['rev-list', '--reverse', '--topo-order', '--no-merges', fork, `^${base}`])).split('\n').filter(Boolean);
  let head = base;
  let conflicts = 0;
  for (const commit of own) {
    const parent = (await text(dir, ['rev-list', '--parents', '-n', '1', commit])).split(' ')[1];
    const diff = (await git(dir, ['diff', '--binary', '--full-index', '--no-renames', parent ?? '4b825dc642cb6eb9a060e54bf8d69288fbee4904', commit])).stdout;
    if (diff.length === 0) continue;
    await git(dir, ['read-tree', head], [0], env);
    const applied = await runGit(['apply', '--cached', '--3way'], { cwd: dir, input: diff, env, okExitCodes: [0, 1, 128] });
    if (applied.exitCode !== 0) {
      conflicts++;
      // Conflicts take the fork's resolution; a diff that does not apply at all takes the fork's bytes for its files.
      const unmerged = (await text(dir, ['ls-files', '-u', '-z'], env)).split('\0').filter(Boolean).map((l) => l.slice(l.indexOf('\t') + 1));
      const touched = applied.exitCode === 1 ? unmerged : (await text(dir, ['diff', '--name-only', '-z', '--no-renames', parent ?? head, commit])).split('\0').filter(Boolean);
      if (applied.exitCode !== 1) await git(dir, ['read-tree', head], [0], env);
      await takeForks(dir, fork, [...new Set(touched)]);
    }
    head = (await commitIndex(dir, head, { commit })) ?? head;
  }
  return { head, conflicts };
}

/** One commit per changed path (sorted), each taking the fork's bytes for it. */
async function squashByFile(dir: string, base: string, fork: string): Promise<string> {
  const changed = (await text(dir, ['diff', '--name-only', '--no-renames', '-z', base, fork])).split('\0').filter(Boolean).sort();
  let head = base;
  for (const p of changed) {
    await git(dir, ['read-tree', head], [0], indexEnv(dir));
    await takeForks(dir, fork, [p]);
    head = (await commitIndex(dir, head, { message: `Change ${p}` })) ?? head;
  }
  return head;
}

export interface Linearized {
  /** Commits base..HEAD of `dir` are the new series. */
  base: string;
  /** Cherry-picks that conflicted and took the fork's resolution. */
  conflicts: number;
  /** True when a last commit folds in what the merges changed besides the fork's commits. */
  folded: boolean;
  /** 'history' when the fork's own commits were replayed; else how it was squashed. */
  mode: 'history' | SquashBy;
}

/** Build the straight line of commits in `dir`, as its HEAD (branch meshfork-import). */
export async function linearize(dir: string, fork: string, base: { id: string; inHistory: boolean }, squash: SquashBy | undefined): Promise<Linearized> {
  // Without the release in its history there are no "own commits" to tell apart: squash.
  const mode = squash ?? (base.inHistory ? 'history' : 'all');
  let head = base.id;
  let conflicts = 0;
  if (mode === 'history') ({ head, conflicts } = await replay(dir, base.id, fork));
  else if (mode === 'file') head = await squashByFile(dir, base.id, fork);
  await git(dir, ['read-tree', fork], [0], indexEnv(dir));
  const last = await commitIndex(dir, head, { message: mode === 'history' ? 'Fold in the changes the fork made in its merges' : 'Fork changes' });
  await git(dir, ['update-ref', 'refs/heads/meshfork-import', last ?? head]);
  await git(dir, ['symbolic-ref', 'HEAD', 'refs/heads/meshfork-import']);
  return { base: base.id, conflicts, folded: mode === 'history' && last !== undefined, mode };
}
