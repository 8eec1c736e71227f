/*
 * A real git upstream for tests: a bare repository whose history has one commit per MeshCentral
 * release (the npm tarball's content), tagged `v<version>`, reachable as a file:// URL, plus a
 * non-bare work repository (origin = the bare one) that tests add commits and tags to.
 *
 * Identity and dates are fixed, so the same release list always gives the same commit ids.
 * Committing ~400 MB per release takes a while, so a packed template per release list is built
 * once in the git-ignored .cache/git-upstream and each call clones it (hard links, then checkout).
 */
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { runGit, gitText } from '../../src/tools/git';
import { withProcessLock } from '../../src/upstream/processLock';
import { REPO_ROOT, releaseDir } from './release';

export const GIT_UPSTREAM_CACHE = path.join(REPO_ROOT, '.cache', 'git-upstream');
/** Bump when the template layout changes, so stale templates are not reused. */
const TEMPLATE_FORMAT = 1;
const BRANCH = 'main';
/** Release i is committed at BASE_DATE + i days; commits added by tests follow HEAD by a day. */
const BASE_DATE_SECONDS = Date.UTC(2024, 0, 1) / 1000;
const DAY = 24 * 60 * 60;

export interface GitUpstream {
  /** The bare repository: what meshfork mirrors. */
  bareDir: string;
  /** file:// URL of bareDir. */
  url: string;
  /** A non-bare clone checked out on the newest release; origin is bareDir. */
  workDir: string;
}

function identityEnv(epochSeconds: number): Record<string, string> {
  const date = `${epochSeconds} +0000`;
  return {
    GIT_AUTHOR_NAME: 'MeshCentral Upstream',
    GIT_AUTHOR_EMAIL: 'upstream@example.invalid',
    GIT_COMMITTER_NAME: 'MeshCentral Upstream',
    GIT_COMMITTER_EMAIL: 'upstream@example.invalid',
    GIT_AUTHOR_DATE: date,
    GIT_COMMITTER_DATE: date,
  };
}

/** Where the releases' trees come from when not the npm tarballs (releaseDir); label keys the template. */
export interface ReleaseTrees {
  label: string;
  treeOf(version: string): string;
}

const NPM_TREES: ReleaseTrees = { label: '', treeOf: releaseDir };

/** Build (or reuse) the packed bare template for this release list. */
async function templateFor(releases: string[], trees: ReleaseTrees): Promise<string> {
  const label = trees.label ? `-${trees.label}` : '';
  const template = path.join(GIT_UPSTREAM_CACHE, `v${TEMPLATE_FORMAT}-${releases.join('_')}${label}.git`);
  if (existsSync(path.join(template, 'meshfork-template-complete'))) return template;
  mkdirSync(GIT_UPSTREAM_CACHE, { recursive: true });
  // parallel jest workers wait for one build instead of each committing 800 MB
  return withProcessLock(`${template}.build`, async () => {
    if (existsSync(path.join(template, 'meshfork-template-complete'))) return template;
    return buildTemplate(releases, template, trees);
  });
}

async function buildTemplate(releases: string[], template: string, trees: ReleaseTrees): Promise<string> {
  const tmp = `${template}.tmp-${process.pid}-${Date.now()}`;
  try {
    await runGit(['init', '--quiet', '--bare', `--initial-branch=${BRANCH}`, tmp], { cwd: GIT_UPSTREAM_CACHE });
    const index = path.join(tmp, 'meshfork-build-index');
    for (const [i, version] of releases.entries()) {
      const env = { ...identityEnv(BASE_DATE_SECONDS + i * DAY), GIT_INDEX_FILE: index };
      const worktree = trees.treeOf(version);
      // A fresh index per release, filled from the extracted tarball in place (no copy); -f so a
      // .gitignore inside the release cannot drop files.
      await fs.rm(index, { force: true });
      await runGit(['--git-dir', tmp, '--work-tree', worktree, 'add', '--all', '--force', '.'], { cwd: worktree, env });
      await runGit(['--git-dir', tmp, '--work-tree', worktree, 'commit', '--quiet', '--allow-empty', '-m', `MeshCentral ${version}`], {
        cwd: worktree,
        env,
      });
      await runGit(['--git-dir', tmp, 'tag', `v${version}`], { cwd: tmp });
    }
    await fs.rm(index, { force: true });
    // Packed once here, so file:// clones of copies reuse the packs instead of delta-searching 400 MB.
    await runGit(['--git-dir', tmp, 'repack', '-a', '-d', '-q'], { cwd: tmp });
    await fs.writeFile(path.join(tmp, 'meshfork-template-complete'), '');
    try {
      renameSync(tmp, template);
    } catch {
      // another jest worker finished first; its template has the same commits
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return template;
}

/**
 * A bare upstream under `dir` with one commit per release (in the given order, each tagged
 * v<version>) and a checked-out work clone. `dir` must exist; the caller removes it.
 */
export async function buildGitUpstream(
  dir: string,
  releases: string[] = ['1.1.51', '1.1.55'],
  trees: ReleaseTrees = NPM_TREES,
): Promise<GitUpstream> {
  if (releases.length === 0) throw new Error('buildGitUpstream needs at least one release');
  const template = await templateFor(releases, trees);
  const bareDir = path.join(dir, 'upstream.git');
  const workDir = path.join(dir, 'upstream-work');
  // Local clones hard-link the template's packs; git never rewrites a pack in place.
  await runGit(['clone', '--quiet', '--bare', template, bareDir], { cwd: dir });
  await fs.rm(path.join(bareDir, 'meshfork-template-complete'), { force: true });
  await runGit(['clone', '--quiet', '--branch', BRANCH, bareDir, workDir], { cwd: dir });
  return { bareDir, url: pathToFileURL(bareDir).href, workDir };
}

/**
 * Commit changes in the work repo: each path gets the given binary-string content, or is deleted
 * when null. The commit is dated one day after HEAD, so it is reproducible. Returns the commit id.
 */
export async function commitFiles(workDir: string, files: Record<string, string | null>, message: string): Promise<string> {
  for (const [file, content] of Object.entries(files)) {
    const target = path.join(workDir, file);
    if (content === null) {
      await runGit(['rm', '--quiet', '--force', '--ignore-unmatch', '--', file], { cwd: workDir });
      await fs.rm(target, { force: true });
    } else {
      await fs.mkdir(path.dirname(target), { recursive: true });
      await fs.writeFile(target, Buffer.from(content, 'latin1'));
      await runGit(['add', '--force', '--', file], { cwd: workDir });
    }
  }
  const headTime = Number(await gitText(['log', '-1', '--format=%ct', 'HEAD'], { cwd: workDir }));
  await runGit(['commit', '--quiet', '--allow-empty', '-m', message], { cwd: workDir, env: identityEnv(headTime + DAY) });
  return gitText(['rev-parse', 'HEAD'], { cwd: workDir });
}

/** Create or move a lightweight tag (default: at HEAD). */
export async function tag(workDir: string, name: string, ref = 'HEAD'): Promise<void> {
  await runGit(['tag', '--force', name, ref], { cwd: workDir });
}

/** Push the current branch and every tag to origin, forcing, so tests can move tags. */
export async function push(workDir: string): Promise<void> {
  const branch = await gitText(['rev-parse', '--abbrev-ref', 'HEAD'], { cwd: workDir });
  await runGit(['push', '--quiet', '--force', 'origin', `HEAD:refs/heads/${branch}`, 'refs/tags/*:refs/tags/*'], { cwd: workDir });
}
