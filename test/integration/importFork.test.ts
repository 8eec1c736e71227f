/*
 * `meshfork import fork` on a merge fork of MeshCentral built for the test (real npm releases 1.1.51
 * and 1.1.55, the JWT commits, a merge of 1.1.55 whose conflict the maintainer resolved): the series
 * it writes applies exactly to 1.1.55 and reproduces the fork's tree byte for byte.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { importFork } from '../../src/commands/importFork';
import { applySeries, MemoryTree } from '../../src/engine';
import { loadSeries } from '../../src/series/load';
import { runGit } from '../../src/tools/git';
import { buildMergeFork, type MergeFork } from '../support/mergeFork';
import { writeProject } from '../support/project';
import { releaseDir } from '../support/release';
import { SHARED_CACHE } from '../support/cache';
import { ensureBuilt } from '../support/cli';
import { runTraced } from '../support/traced';

jest.setTimeout(900000);

describe('import fork', () => {
  let tmp: string;
  let fork: MergeFork;

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'meshfork-import-fork-'));
    fork = await buildMergeFork(path.join(tmp, 'fork'));
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  function emptyProject(name: string): string {
    const empty = path.join(tmp, `${name}-series`);
    mkdirSync(empty, { recursive: true });
    writeFileSync(path.join(empty, 'series'), '');
    const project = writeProject(path.join(tmp, name), empty);
    // The project starts on the fork's old base: import moves it to the release the fork is merged up to.
    writeFileSync(
      path.join(project, 'meshfork.config.json'),
      readFileSync(path.join(project, 'meshfork.config.json'), 'utf8').replace('"1.1.55"', '"1.1.51"'),
    );
    return project;
  }

  it('the test fork is what it claims: git conflicts merging 1.1.55 into the fork (package.json)', () => {
    expect(fork.conflicted).toEqual(['package.json']);
  });

  it('yields a series that applies exactly to 1.1.55 and reproduces the fork tree byte for byte', async () => {
    const project = emptyProject('history');
    const result = await importFork({ cwd: project, from: fork.dir, cacheDir: SHARED_CACHE });
    expect(result).toMatchObject({ proved: true, differing: [], version: '1.1.55', how: 'history', commit: fork.head, baseChanged: true });
    // The ws pin conflicts on 1.1.55, as in the fork's merge; it carries the fork's resolution.
    expect(result.conflicts).toBe(1);
    expect(JSON.parse(readFileSync(path.join(project, 'meshfork.config.json'), 'utf8')).base).toBe('1.1.55');

    // Independently of the command's own proof: load what it wrote, apply it to the real 1.1.55 files.
    const series = await loadSeries(path.join(project, 'patches'));
    expect(series.patches.map((p) => p.header.subject)).toEqual([
      'Add the JWT single sign-on module',
      'Pin jsonwebtoken and pg for JWT single sign-on',
      'Start JWT single sign-on before the web server is created',
      'Accept JWT logins over HTTP: token URL and Bearer header',
      'Accept JWT logins on WebSocket connections',
      'Pin ws 8.19.0 for the WebSocket login hook',
    ]);
    expect(series.patches).toHaveLength(6);
    expect(readFileSync(path.join(project, 'patches', 'pin-ws-8-19-0-for-the-websocket-login-hook.patch'), 'latin1')).toMatch(
      /^- {4}"ws": "8\.18\.3",\r?\n\+ {4}"ws": "8\.19\.0",\r?$/m,
    );
    const release = releaseDir('1.1.55');
    const tree = new MemoryTree(async (p) => {
      try {
        return readFileSync(path.join(release, p)).toString('latin1');
      } catch {
        return undefined;
      }
    });
    const outcome = await applySeries(series.patches, tree);
    expect(outcome.patches.map((p) => p.status)).toEqual(series.patches.map(() => 'clean'));
    expect(outcome.patches.flatMap((p) => p.files.flatMap((f) => f.hunks.map((h) => h.status))).every((s) => s === 'exact')).toBe(true);
    const changed = tree.changes().map(([p]) => p);
    const forkChanged = (await runGit(['diff', '--name-only', '-z', fork.upstream55, fork.head], { cwd: fork.dir })).stdout
      .toString('utf8')
      .split('\0')
      .filter(Boolean)
      .sort();
    expect(changed).toEqual(forkChanged);
    for (const [p, change] of tree.changes()) {
      const bytes = (await runGit(['show', `${fork.head}:${p}`], { cwd: fork.dir })).stdout;
      expect(Buffer.from(change.content ?? '', 'latin1').equals(bytes)).toBe(true);
    }
  });

  it('with "files" in the config the fork\'s new file arrives as files/jwt-auth.js, byte for byte, and no patch carries it; the proof still holds', async () => {
    const project = emptyProject('with-files');
    const configFile = path.join(project, 'meshfork.config.json');
    writeFileSync(configFile, `${JSON.stringify({ ...JSON.parse(readFileSync(configFile, 'utf8')), files: 'files' }, null, 2)}\n`);
    const result = await importFork({ cwd: project, from: fork.dir, cacheDir: SHARED_CACHE });
    expect(result).toMatchObject({ proved: true, differing: [], version: '1.1.55', files: ['jwt-auth.js'] });
    expect(result.patches.map((p) => p.subject)).toEqual([
      'Pin jsonwebtoken and pg for JWT single sign-on',
      'Start JWT single sign-on before the web server is created',
      'Accept JWT logins over HTTP: token URL and Bearer header',
      'Accept JWT logins on WebSocket connections',
      'Pin ws 8.19.0 for the WebSocket login hook',
    ]);
    const forkModule = (await runGit(['show', `${fork.head}:jwt-auth.js`], { cwd: fork.dir })).stdout;
    expect(readFileSync(path.join(project, 'files', 'jwt-auth.js')).equals(forkModule)).toBe(true);
    const series = await loadSeries(path.join(project, 'patches'));
    expect(series.patches.flatMap((p) => p.operations.map((op) => (op.kind === 'rename' ? op.to : op.path)))).not.toContain('jwt-auth.js');
  });

  it('--squash-by all gives one proven patch; a second import into the now non-empty series is refused, and nothing is overwritten', async () => {
    const project = emptyProject('squashed');
    const result = await importFork({ cwd: project, from: fork.dir, squashBy: 'all', cacheDir: SHARED_CACHE });
    expect(result).toMatchObject({ proved: true, how: 'all', patches: [{ name: 'fork-changes.patch', subject: 'Fork changes' }] });
    const before = readFileSync(path.join(project, 'patches', 'fork-changes.patch'));
    await expect(importFork({ cwd: project, from: fork.dir, cacheDir: SHARED_CACHE })).rejects.toMatchObject({ code: 'USAGE' });
    expect(readFileSync(path.join(project, 'patches', 'fork-changes.patch')).equals(before)).toBe(true);
  });

  it('killed after it moved the base and before it wrote the series: an empty series on the new base, and the same import completes it', async () => {
    ensureBuilt();
    const project = emptyProject('killed');
    const configFile = path.join(project, 'meshfork.config.json');
    const args = ['import', 'fork', '--from', fork.dir];
    const env = { MESHFORK_CACHE: SHARED_CACHE };
    // The kill follows the phase marker at once; a run that outran it (landed in a later phase, or got its
    // series written first, as a loaded machine allows) is tried again: only a kill between counts.
    let between = false;
    const landed: string[] = [];
    for (let attempt = 0; attempt < 8 && !between; attempt++) {
      const run = await runTraced(args, { cwd: project, env, killAt: { phase: 'import:series', delayMs: 0 }, timeoutMs: 200_000 });
      expect(run.killed).toBe(true);
      landed.push(String(run.landed));
      if (run.landed === 'import:series') {
        expect(JSON.parse(readFileSync(configFile, 'utf8')).base).toBe('1.1.55');
        between = readFileSync(path.join(project, 'patches', 'series'), 'utf8') === '';
      }
      if (!between) {
        rmSync(project, { recursive: true, force: true });
        emptyProject('killed');
      }
    }
    expect({ between, landed: landed.at(-1) }).toEqual({ between: true, landed: 'import:series' });
    const again = await runTraced(args, { cwd: project, env, timeoutMs: 200_000 });
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
    expect((await loadSeries(path.join(project, 'patches'))).patches).toHaveLength(6);
  });

  it('a fork the series cannot reproduce (it adds a symlink): nothing written, the differing path named; an unknown --ref is a usage error', async () => {
    const linked = path.join(tmp, 'fork-with-link');
    await runGit(['clone', '-q', '--no-checkout', fork.dir, linked], { cwd: tmp });
    const env = {
      GIT_INDEX_FILE: path.join(linked, '.git', 'scratch-index'),
      GIT_AUTHOR_NAME: 'F',
      GIT_AUTHOR_EMAIL: 'f@example.invalid',
      GIT_COMMITTER_NAME: 'F',
      GIT_COMMITTER_EMAIL: 'f@example.invalid',
    };
    const git = async (args: string[], input?: string) => (await runGit(args, { cwd: linked, env, input })).stdout.toString('utf8').trim();
    await git(['read-tree', 'HEAD']);
    const blob = await git(['hash-object', '-w', '--stdin'], 'meshcentral.js');
    await git(['update-index', '--add', '--cacheinfo', `120000,${blob},start-link.js`]);
    const tip = await git(['commit-tree', await git(['write-tree']), '-p', 'HEAD', '-m', 'Add a link']);
    await git(['update-ref', 'refs/heads/main', tip]);

    const project = emptyProject('with-link');
    const result = await importFork({ cwd: project, from: linked, cacheDir: SHARED_CACHE });
    expect(result).toMatchObject({ proved: false, differing: ['start-link.js'], commit: tip });
    expect(readFileSync(path.join(project, 'patches', 'series'), 'utf8')).toBe('');
    expect(JSON.parse(readFileSync(path.join(project, 'meshfork.config.json'), 'utf8')).base).toBe('1.1.51');

    await expect(importFork({ cwd: project, from: fork.dir, ref: 'no-such-branch', cacheDir: SHARED_CACHE })).rejects.toMatchObject({
      code: 'USAGE',
      message: expect.stringMatching(/--ref no-such-branch/),
    });
  });
});
