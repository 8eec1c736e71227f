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

async function text(dir: string, args: string[]): Promise<string> {
  return (await git(dir, args)).stdout.toString('utf8').trim();
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
  const env = { GIT_INDEX_FILE: `${dir}/.git/meshfork-import-index` };
  await git(dir, ['--work-tree', folder, 'add', '-A', '-f', '.'], [0], env);
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

/** Take the fork's final state of one path into the index and work tree (or remove it). */
async function takeForks(dir: string, fork: string, paths: string[]): Promise<void> {
  for (const p of paths) {
    const exists = (await git(dir, ['cat-file', '-e', `${fork}:${p}`], [0, 1, 128])).exitCode === 0;
    if (exists) await git(dir, ['checkout', fork, '--', `:(literal)${p}`]);
    else await git(dir, ['rm', '-q', '-f', '--ignore-unmatch', '--', `:(literal)${p}`]);
  }
}

async function commitStaged(dir: string, args: string[]): Promise<boolean> {
  const staged = (await git(dir, ['diff', '--cached', '--quiet'], [0, 1])).exitCode === 1;
  if (staged) await git(dir, ['commit', '-q', '--no-verify', ...args]);
  return staged;
}

/** Cherry-pick the fork's own commits onto the base; returns how many conflicted. */
async function replay(dir: string, base: string, fork: string): Promise<number> {
  const own = (await text(dir, ['rev-list', '--reverse', '--topo-order', '--no-merges', fork, `^${base}`])).split('\n').filter(Boolean);
  let conflicted = 0;
  for (const commit of own) {
    const picked = await git(dir, ['cherry-pick', '--no-commit', '--allow-empty', commit], [0, 1]);
    if (picked.exitCode !== 0) {
      conflicted++;
      const unmerged = (await text(dir, ['diff', '--name-only', '--diff-filter=U', '-z'])).split('\0').filter(Boolean);
      await takeForks(dir, fork, unmerged);
    }
    await commitStaged(dir, ['-C', commit]);
    await git(dir, ['cherry-pick', '--quit'], [0, 128]);
  }
  return conflicted;
}

/** One commit per changed path (sorted), each taking the fork's bytes for it. */
async function squashByFile(dir: string, base: string, fork: string): Promise<void> {
  const changed = (await text(dir, ['diff', '--name-only', '--no-renames', '-z', base, fork])).split('\0').filter(Boolean).sort();
  for (const p of changed) {
    await takeForks(dir, fork, [p]);
    await commitStaged(dir, ['-m', `Change ${p}`]);
  }
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

/** Build the straight line of commits in `dir` (checked out there on branch meshfork-import). */
export async function linearize(dir: string, fork: string, base: { id: string; inHistory: boolean }, squash: SquashBy | undefined): Promise<Linearized> {
  await git(dir, ['checkout', '-q', '-f', '-B', 'meshfork-import', base.id]);
  // Without the release in its history there are no "own commits" to tell apart: squash.
  const mode = squash ?? (base.inHistory ? 'history' : 'all');
  let conflicts = 0;
  if (mode === 'history') conflicts = await replay(dir, base.id, fork);
  else if (mode === 'file') await squashByFile(dir, base.id, fork);
  await git(dir, ['read-tree', '--reset', '-u', fork]);
  const message = mode === 'history' ? 'Fold in the changes the fork made in its merges' : 'Fork changes';
  const folded = await commitStaged(dir, ['-m', message]);
  return { base: base.id, conflicts, folded: mode === 'history' && folded, mode };
}
