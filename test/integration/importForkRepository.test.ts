/*
 * `meshfork import fork` on a fork of MeshCentral's git repository: its root commit is the real npm
 * release 1.1.55 plus files the npm package does not have (.github/, .gitignore), then the fork's own
 * commits (one with a long subject and a description, one with a subject only, both also touching
 * those repository files). The series leaves the repository files out, names patches between words,
 * carries each commit's description, date, id and an Upstream-Status, and `meshfork verify` passes
 * once the one thing the import names (a description) is added.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { importFork } from '../../src/commands/importFork';
import { loadSeries } from '../../src/series/load';
import { runGit, type GitResult } from '../../src/tools/git';
import { SHARED_CACHE } from '../support/cache';
import { ensureBuilt, runCli } from '../support/cli';
import { JWT_SERIES_FIXTURE } from '../support/jwtSeriesFixture';
import { writeProject } from '../support/project';
import { REPO_ROOT, releaseDir } from '../support/release';

jest.setTimeout(900000);

const IDENTITY = {
  GIT_AUTHOR_NAME: 'Ada Maintainer',
  GIT_AUTHOR_EMAIL: 'ada@example.invalid',
  GIT_COMMITTER_NAME: 'Ada Maintainer',
  GIT_COMMITTER_EMAIL: 'ada@example.invalid',
  GIT_COMMITTER_DATE: '1710000000 +0000',
};
const LONG_SUBJECT = 'Keep the inner authentication check first in the WebSocket authentication path of the web server';
const DESCRIPTION =
  "The fork's single sign-on hook goes after it: a request that asks for inner\nauthentication must never reach the hook.";

interface RepositoryFork {
  dir: string;
  root: string;
  first: string;
  second: string;
}

/** A fork of the git repository: root = release + repository files, two own commits; `rootEdit` changes a release file in the root too. */
async function buildRepositoryFork(dir: string, rootEdit = false): Promise<RepositoryFork> {
  await runGit(['init', '-q', dir], { cwd: REPO_ROOT });
  const env = { ...IDENTITY, GIT_INDEX_FILE: path.join(dir, '.git', 'build-index') };
  const git = (args: string[], input?: string, extra: Record<string, string> = {}): Promise<GitResult> =>
    runGit(args, { cwd: dir, env: { ...env, ...extra }, input });
  const out = async (args: string[], input?: string, extra: Record<string, string> = {}) =>
    (await git(args, input, extra)).stdout.toString('utf8').trim();
  const put = async (file: string, text: string) =>
    git(['update-index', '--add', '--cacheinfo', `100644,${await out(['hash-object', '-w', '--stdin'], text)},${file}`]);
  const edit = async (file: string, from: string, to: string) => {
    const text = (await git(['show', `:${file}`])).stdout.toString('latin1');
    if (!text.includes(from)) throw new Error(`${file} has no ${from}`);
    await put(file, text.replace(from, to));
  };
  const commit = async (parent: string | undefined, message: string, date: string) =>
    out(['commit-tree', await out(['write-tree']), ...(parent ? ['-p', parent] : []), '-F', '-'], message, { GIT_AUTHOR_DATE: date });

  await git(['read-tree', '--empty']);
  await git(['-c', 'core.looseCompression=0', '--work-tree', releaseDir('1.1.55'), 'add', '-A', '-f', '.']);
  await put('.github/workflows/ci.yml', 'name: ci\non: push\n');
  await put('.gitignore', 'node_modules/\n');
  if (rootEdit)
    await edit('webserver.js', '// Check if inner authentication is requested', '// Check if inner authentication is requested!');
  const root = await commit(undefined, 'MeshCentral 1.1.55\n', '1709000000 +0000');
  await edit(
    'webserver.js',
    '// Check if inner authentication is requested',
    '// Check if inner authentication is requested (the fork keeps this check first)',
  );
  await put('.gitignore', 'node_modules/\n.env\n');
  const first = await commit(
    root,
    `${LONG_SUBJECT}\n\n${DESCRIPTION}\n\nSigned-off-by: Ada Maintainer <ada@example.invalid>\n`,
    '1710000000 +0100',
  );
  await edit(
    'meshcentral.js',
    'function CreateMeshCentralServer(config, args) {\r\n',
    'function CreateMeshCentralServer(config, args) {\r\n    // The fork starts here.\r\n',
  );
  await put('.github/workflows/ci.yml', 'name: ci\non: [push, pull_request]\n');
  const second = await commit(first, 'Mark where the fork starts the server\n', '1711000000 -0500');
  await git(['update-ref', 'refs/heads/main', second]);
  await git(['symbolic-ref', 'HEAD', 'refs/heads/main']);
  return { dir, root, first, second };
}

describe('import fork of a fork of the git repository', () => {
  let tmp: string;
  let fork: RepositoryFork;

  beforeAll(async () => {
    ensureBuilt();
    tmp = mkdtempSync(path.join(os.tmpdir(), 'meshfork-import-repo-'));
    fork = await buildRepositoryFork(path.join(tmp, 'fork'));
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  function emptyProject(name: string): string {
    const empty = path.join(tmp, `${name}-series`);
    mkdirSync(empty, { recursive: true });
    writeFileSync(path.join(empty, 'series'), '');
    const project = writeProject(path.join(tmp, name), empty);
    copyFileSync(path.join(JWT_SERIES_FIXTURE, 'meshfork.lock.json'), path.join(project, 'meshfork.lock.json'));
    return project;
  }

  it('one patch per own commit, the repository files left out; names cut between words; headers with description, date, commit id, Upstream-Status and Meshfork-Base', async () => {
    const project = emptyProject('repo');
    const result = await importFork({ cwd: project, from: fork.dir, cacheDir: SHARED_CACHE });
    const firstName = 'keep-the-inner-authentication-check-first-in-the-websocket.patch';
    const secondName = 'mark-where-the-fork-starts-the-server.patch';
    expect(result).toMatchObject({
      proved: true,
      differing: [],
      how: 'history',
      version: '1.1.55',
      commit: fork.second,
      leftOut: ['.github/workflows/ci.yml', '.gitignore'],
      patches: [
        { name: firstName, subject: LONG_SUBJECT },
        { name: secondName, subject: 'Mark where the fork starts the server' },
      ],
      toComplete: [{ name: secondName, missing: ['a description'] }],
    });
    const patches = path.join(project, 'patches');
    expect(readFileSync(path.join(patches, 'series'), 'utf8')).toBe(`${firstName}\n${secondName}\n`);
    expect(readFileSync(path.join(patches, firstName), 'latin1')).toMatch(
      new RegExp(
        `^${[
          'From: Ada Maintainer <ada@example.invalid>',
          'Date: Sat, 9 Mar 2024 17:00:00 \\+0100',
          `Subject: ${LONG_SUBJECT}`,
          '',
          DESCRIPTION.replace(/[.]/g, '\\.'),
          '',
          'Signed-off-by: Ada Maintainer <ada@example.invalid>',
          'Upstream-Status: Pending',
          `Fork-Commit: ${fork.first}`,
          'Meshfork-Base: 1\\.1\\.55',
          '---',
          'diff --git a/webserver\\.js b/webserver\\.js',
          '--- a/webserver\\.js',
        ].join('\\n')}\\n`,
      ),
    );
    expect(readFileSync(path.join(patches, secondName), 'latin1')).toMatch(
      new RegExp(
        `^From: Ada Maintainer <ada@example\\.invalid>\\nDate: Thu, 21 Mar 2024 00:46:40 -0500\\nSubject: Mark where the fork starts the server\\n\\nUpstream-Status: Pending\\nFork-Commit: ${fork.second}\\nMeshfork-Base: 1\\.1\\.55\\n---\\ndiff --git a/meshcentral\\.js b/meshcentral\\.js\\n`,
      ),
    );
    const series = await loadSeries(patches);
    expect(series.patches.flatMap((p) => p.operations.map((op) => (op.kind === 'rename' ? op.to : op.path)))).toEqual([
      'webserver.js',
      'meshcentral.js',
    ]);

    // verify as it stands refuses exactly what the import named; with the description added, it passes.
    const env = { MESHFORK_CACHE: SHARED_CACHE };
    const before = await runCli(['-C', project, '--json', 'verify'], { env });
    expect(before.exitCode).toBe(2);
    const report = JSON.parse(before.stdout) as {
      checks: { id: string; status: string; problems?: { patch?: string; message: string }[] }[];
    };
    expect(report.checks.filter((c) => c.status === 'fail').map((c) => [c.id, c.problems?.map((p) => [p.patch, p.message])])).toEqual([
      ['patch-headers', [[secondName, 'no description: say what the patch does and why, between the subject and the trailers']]],
    ]);
    const second = path.join(patches, secondName);
    writeFileSync(
      second,
      readFileSync(second, 'latin1').replace(
        '\n\nUpstream-Status: Pending',
        '\n\nA marker comment for readers of the fork.\n\nUpstream-Status: Pending',
      ),
      'latin1',
    );
    const after = await runCli(['-C', project, 'verify'], { env });
    expect({ code: after.exitCode, stderr: after.stderr }).toEqual({ code: 0, stderr: '' });
  });

  it('the command prints what it left out and what to add before verify passes', async () => {
    const project = emptyProject('repo-cli');
    const run = await runCli(['-C', project, 'import', 'fork', '--from', fork.dir], {
      env: { MESHFORK_CACHE: SHARED_CACHE, NO_COLOR: '1' },
    });
    expect({ code: run.exitCode, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(run.stdout).toBe(
      [
        `Imported 2 patch(es) into patches/ on upstream 1.1.55; applied to 1.1.55 they reproduce the fork (${fork.second.slice(0, 12)}) byte for byte.`,
        `  1. keep-the-inner-authentication-check-first-in-the-websocket.patch  ${LONG_SUBJECT}`,
        '  2. mark-where-the-fork-starts-the-server.patch  Mark where the fork starts the server',
        "Left out (files upstream 1.1.55 does not have that the fork's base commit already had, such as the git repository's own files): .github/workflows/ci.yml, .gitignore",
        'Before `meshfork verify` passes, add to the header of this patch (above "---" in the file, or reword its commit: `meshfork edit`, `git rebase -i upstream` in .meshfork/work, `meshfork export`):',
        '  mark-where-the-fork-starts-the-server.patch: a description',
        '',
      ].join('\n'),
    );
  });

  it('a fork whose root also changes a release file has no commit to start from: refused (USAGE) with the --squash-by way, nothing written', async () => {
    const edited = await buildRepositoryFork(path.join(tmp, 'fork-edited-root'), true);
    const project = emptyProject('repo-edited-root');
    await expect(importFork({ cwd: project, from: edited.dir, cacheDir: SHARED_CACHE })).rejects.toMatchObject({
      code: 'USAGE',
      message:
        "no commit of the fork has upstream 1.1.55's files byte for byte (alone or with files the release does not have), so its own commits cannot be told apart from upstream's",
      hint: "pass --squash-by all (one patch) or --squash-by file (one patch per file) to import the fork's difference from 1.1.55, or --onto the release the fork is based on",
    });
    expect(readFileSync(path.join(project, 'patches', 'series'), 'utf8')).toBe('');
  });
});
