/*
 * A merge-based fork of MeshCentral, built the way such forks grow: upstream 1.1.51 (the real npm
 * release), the fork's JWT commits on it (the repository's JWT series as it reads on 1.1.51, applied
 * with git apply) and a commit pinning ws 8.19.0 in package.json, then upstream 1.1.55 merged in: git's
 * merge conflicts on the ws line (upstream moved it to 8.18.3), and the maintainer's resolution is the
 * JWT series as rebased onto 1.1.55 with the fork's ws pin kept. Built with a scratch index (no work
 * tree: a release is ~400 MB).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parsePatch } from '../../src/series/parse';
import { parseSeriesFile } from '../../src/series/seriesFile';
import { runGit, type GitResult } from '../../src/tools/git';
import { commitMessage, parseAuthor } from '../../src/workspace/commitMessage';
import { REPO_ROOT, releaseDir } from './release';

const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures');
const IDENTITY = {
  GIT_AUTHOR_NAME: 'Up Stream',
  GIT_AUTHOR_EMAIL: 'upstream@example.invalid',
  GIT_COMMITTER_NAME: 'Fork',
  GIT_COMMITTER_EMAIL: 'fork@example.invalid',
  GIT_AUTHOR_DATE: '1700000000 +0000',
  GIT_COMMITTER_DATE: '1700000000 +0000',
};

export interface MergeFork {
  dir: string;
  upstream51: string;
  upstream55: string;
  /** The merge commit: the fork's tip. */
  head: string;
  /** Paths git's merge of 1.1.55 left conflicted. */
  conflicted: string[];
}

function seriesPatches(name: string): { text: string; file: string }[] {
  const dir = path.join(FIXTURES, name);
  return parseSeriesFile('series', readFileSync(path.join(dir, 'series'), 'latin1')).map((e) => ({
    file: e.name,
    text: readFileSync(path.join(dir, e.name), 'latin1'),
  }));
}

export async function buildMergeFork(dir: string): Promise<MergeFork> {
  const env = { ...IDENTITY, GIT_INDEX_FILE: path.join(dir, '.git', 'build-index') };
  const git = async (args: string[], input?: string, extra: Record<string, string> = {}, ok = [0]): Promise<GitResult> =>
    runGit(args, { cwd: dir, env: { ...env, ...extra }, input, okExitCodes: ok });
  const out = async (args: string[], input?: string, extra: Record<string, string> = {}) =>
    (await git(args, input, extra)).stdout.toString('utf8').trim();
  await runGit(['init', '-q', dir], { cwd: REPO_ROOT });
  const release = async (version: string, parent?: string) => {
    await git(['read-tree', '--empty']);
    await git(['-c', 'core.looseCompression=0', '--work-tree', releaseDir(version), 'add', '-A', '-f', '.']);
    return out(['commit-tree', await out(['write-tree']), ...(parent ? ['-p', parent] : []), '-m', `MeshCentral ${version}`]);
  };
  /** Commit each patch of a fixture series on `start` (git apply --cached), as the patch's author. */
  const commits = async (series: string, start: string) => {
    let head = start;
    await git(['read-tree', head]);
    for (const { file, text } of seriesPatches(series)) {
      await git(['apply', '--cached'], text);
      const header = parsePatch(file, text).header;
      const author = parseAuthor(header.from);
      head = await out(['commit-tree', await out(['write-tree']), '-p', head, '-F', '-'], commitMessage(header), {
        GIT_AUTHOR_NAME: author.name,
        GIT_AUTHOR_EMAIL: author.email,
      });
    }
    return head;
  };
  /** The index (read from `head`) with one replacement made in package.json. */
  const editPackageJson = async (head: string, from: string, to: string) => {
    await git(['read-tree', head]);
    const text = (await git(['show', `${head}:package.json`])).stdout.toString('latin1');
    if (!text.includes(from)) throw new Error(`package.json of ${head} has no ${from}`);
    const blob = await out(['hash-object', '-w', '--stdin'], text.replace(from, to));
    await git(['update-index', '--cacheinfo', `100644,${blob},package.json`]);
    return out(['write-tree']);
  };
  const upstream51 = await release('1.1.51');
  const upstream55 = await release('1.1.55', upstream51);
  const jwt = await commits('rebase-series-1.1.51', upstream51);
  const fork = await out(
    ['commit-tree', await editPackageJson(jwt, '"ws": "8.18.0"', '"ws": "8.19.0"'), '-p', jwt, '-F', '-'],
    'Pin ws 8.19.0 for the WebSocket login hook\n',
    { GIT_AUTHOR_NAME: 'Fork Maintainers', GIT_AUTHOR_EMAIL: 'maintainers@example.invalid' },
  );
  const merge = await git(['merge-tree', '--write-tree', '--name-only', fork, upstream55], undefined, {}, [0, 1]);
  const conflicted = merge.exitCode === 1 ? merge.stdout.toString('utf8').split('\n\n')[0].split('\n').slice(1).filter(Boolean) : [];
  // The maintainer's resolution: the JWT series as it reads on 1.1.55.
  const resolved = await commits('rebase-series-1.1.51-on-1.1.55', upstream55);
  const head = await out([
    'commit-tree',
    await editPackageJson(resolved, '"ws": "8.18.3"', '"ws": "8.19.0"'),
    '-p',
    fork,
    '-p',
    upstream55,
    '-m',
    'Merge MeshCentral 1.1.55',
  ]);
  await git(['update-ref', 'refs/heads/main', head]);
  await git(['symbolic-ref', 'HEAD', 'refs/heads/main']);
  return { dir, upstream51, upstream55, head, conflicted };
}
