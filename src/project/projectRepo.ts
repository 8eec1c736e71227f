import path from 'node:path';
import { MeshforkError } from '../errors';
import { GIT_IDENTITY, gitText, runGit } from '../tools/git';

/** meshfork commits in the project only on --commit, as the environment's GIT_AUTHOR_* identity, else as "meshfork". */
function identity(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(GIT_IDENTITY)) env[key] = process.env[key] || value;
  return env;
}

export async function projectTopLevel(root: string): Promise<string> {
  const result = await runGit(['rev-parse', '--show-toplevel'], { cwd: root, okExitCodes: [0, 128] });
  if (result.exitCode !== 0) {
    throw new MeshforkError('USAGE', `${root} is not inside a git repository, so --commit has nowhere to commit`, {
      hint: 'run `git init` (and commit the project) first, or leave out --commit',
    });
  }
  return result.stdout.toString('utf8').trim();
}

export async function assertNewBranch(root: string, branch: string): Promise<void> {
  await projectTopLevel(root);
  const valid = await runGit(['check-ref-format', '--branch', branch], { cwd: root, okExitCodes: [0, 1, 128] });
  if (valid.exitCode !== 0) throw new MeshforkError('USAGE', `"${branch}" is not a valid branch name`, { hint: 'choose another --branch' });
  const exists = await runGit(['show-ref', '--verify', '--quiet', `refs/heads/${branch}`], { cwd: root, okExitCodes: [0, 1] });
  if (exists.exitCode === 0) {
    throw new MeshforkError('OUTPUT_EXISTS', `branch ${branch} already exists`, {
      hint: `choose another name with --branch, or delete it (git branch -D ${branch})`,
    });
  }
}

/** Switch to a new branch at HEAD (uncommitted changes come along) and commit exactly files there, whatever else is staged. */
export async function commitOnNewBranch(root: string, branch: string, files: string[], message: string): Promise<string> {
  await assertNewBranch(root, branch);
  const hasHead = (await runGit(['rev-parse', '--verify', '--quiet', 'HEAD'], { cwd: root, okExitCodes: [0, 1] })).exitCode === 0;
  if (hasHead) await runGit(['switch', '-q', '-c', branch], { cwd: root });
  else await runGit(['symbolic-ref', 'HEAD', `refs/heads/${branch}`], { cwd: root });
  const rel = files.map((f) => path.relative(root, f) || '.');
  // Only paths that exist now or are tracked can be named (a lock may be new, a patch may be gone).
  const tracked = (await runGit(['ls-files', '-z', '--', ...rel], { cwd: root })).stdout.toString('utf8').split('\0').filter(Boolean);
  await runGit(['add', '-A', '--', ...rel], { cwd: root, okExitCodes: [0] });
  const staged = (await runGit(['diff', '--cached', '--name-only', '-z', ...(hasHead ? ['HEAD'] : []), '--', ...rel], { cwd: root })).stdout
    .toString('utf8')
    .split('\0')
    .filter(Boolean);
  const paths = [...new Set([...tracked, ...staged])];
  await runGit(['commit', '-q', '--no-verify', '--allow-empty', '-F', '-', '--only', '--', ...paths], {
    cwd: root,
    input: message,
    env: identity(),
  });
  return gitText(['rev-parse', 'HEAD'], { cwd: root });
}

/** What the remote's HEAD names, else the local remote-tracking HEAD; undefined when neither says. */
export async function remoteDefaultBranch(root: string, remote: string): Promise<string | undefined> {
  const symref = await runGit(['ls-remote', '--symref', remote, 'HEAD'], { cwd: root, okExitCodes: [0, 2, 128] });
  const named = /^ref: refs\/heads\/(\S+)\tHEAD$/m.exec(symref.stdout.toString('utf8'))?.[1];
  if (named) return named;
  const local = await runGit(['symbolic-ref', '--quiet', '--short', `refs/remotes/${remote}/HEAD`], {
    cwd: root,
    okExitCodes: [0, 1, 128],
  });
  const tracking = local.stdout.toString('utf8').trim();
  return tracking.startsWith(`${remote}/`) ? tracking.slice(remote.length + 1) : undefined;
}

async function remoteBranchCommit(root: string, remote: string, branch: string): Promise<string | undefined> {
  const out = await gitText(['ls-remote', remote, `refs/heads/${branch}`], { cwd: root });
  return /^([0-9a-f]{40,64})\t/m.exec(out)?.[1];
}

/** Push `branch` to `remote` unless the remote has that commit there already; `pushed` says which. */
export async function pushBranch(root: string, remote: string, branch: string): Promise<{ commit: string; pushed: boolean }> {
  await projectTopLevel(root);
  const commit = await gitText(['rev-parse', '--verify', `refs/heads/${branch}^{commit}`], { cwd: root }).catch(() => {
    throw new MeshforkError('USAGE', `there is no branch ${branch} to push`, {
      hint: 'create it with `meshfork sync rebase --to VERSION --commit`',
    });
  });
  const remotes = (await gitText(['remote'], { cwd: root })).split('\n');
  if (!remotes.includes(remote)) {
    throw new MeshforkError('USAGE', `the project has no remote named ${remote}`, {
      hint: `add one with \`git remote add ${remote} URL\`, or name another with \`meshfork sync push --remote NAME\``,
    });
  }
  if ((await remoteBranchCommit(root, remote, branch)) === commit) return { commit, pushed: false };
  await runGit(['push', '-q', remote, `refs/heads/${branch}:refs/heads/${branch}`], { cwd: root });
  return { commit, pushed: true };
}
