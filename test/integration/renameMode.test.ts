/*
 * A renamed or copied executable stays executable (issue 22, item 2), as `git apply` keeps it: a
 * synthetic git upstream whose v1.0.0 has bin/run.sh at 0755, a series made by `git diff -M -C` that
 * renames it (and changes a line) and copies it. `apply --out` writes both targets 0755, the same
 * tree `git apply` makes; `edit` leaves them 0755 in its workspace; `import fork` of a fork that
 * does the same proves and writes that series; and the proof compares modes, not only bytes.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { importFork } from '../../src/commands/importFork';
import { treeOfFolder } from '../../src/import/forkHistory';
import { proveSeries } from '../../src/import/proveFork';
import { parsePatch } from '../../src/series/parse';
import { directoryReader } from '../../src/workspace/files';
import { ensureBuilt, runCli } from '../support/cli';
import { treeDifferences, treeListing } from './upstreamFixtures';

const IDENTITY = {
  GIT_AUTHOR_NAME: 'Up Stream',
  GIT_AUTHOR_EMAIL: 'up@example.invalid',
  GIT_COMMITTER_NAME: 'Up Stream',
  GIT_COMMITTER_EMAIL: 'up@example.invalid',
};

function git(cwd: string, args: string[]): string {
  const env = {
    ...process.env,
    ...IDENTITY,
    GIT_AUTHOR_DATE: '1767225600 +0000',
    GIT_COMMITTER_DATE: '1767225600 +0000',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
  };
  return execFileSync('git', args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

const SCRIPT = `#!/bin/sh\n${Array.from({ length: 12 }, (_, i) => `echo step ${i + 1}`).join('\n')}\n`;

function permissions(file: string): number {
  return statSync(file).mode & 0o777;
}

describe('renamed and copied executables keep their mode', () => {
  let tmp: string;
  let upstreamUrl: string;
  let work: string;
  /** The series: one patch renaming bin/run.sh to bin/start.sh (one line changed) and copying it to bin/copy.sh. */
  let patchText: string;

  beforeAll(() => {
    ensureBuilt();
    tmp = mkdtempSync(path.join(os.tmpdir(), 'meshfork-rename-mode-'));
    const bare = path.join(tmp, 'upstream.git');
    work = path.join(tmp, 'upstream-work');
    mkdirSync(path.join(work, 'bin'), { recursive: true });
    git(tmp, ['init', '-q', '--bare', '--initial-branch=main', bare]);
    git(work, ['init', '-q', '--initial-branch=main']);
    writeFileSync(path.join(work, 'package.json'), `${JSON.stringify({ name: 'meshcentral', version: '1.0.0' }, null, 2)}\n`);
    writeFileSync(path.join(work, 'bin', 'run.sh'), SCRIPT);
    chmodSync(path.join(work, 'bin', 'run.sh'), 0o755);
    git(work, ['add', '-A']);
    git(work, ['commit', '-q', '-m', 'release 1.0.0']);
    git(work, ['tag', 'v1.0.0']);
    git(work, ['remote', 'add', 'origin', bare]);
    git(work, ['push', '-q', 'origin', 'main', '--tags']);
    upstreamUrl = pathToFileURL(bare).href;

    // The fork: rename (with a change) and copy, as a fork maintainer's commit would.
    git(work, ['checkout', '-q', '-b', 'fork']);
    writeFileSync(path.join(work, 'bin', 'copy.sh'), SCRIPT);
    chmodSync(path.join(work, 'bin', 'copy.sh'), 0o755);
    git(work, ['mv', 'bin/run.sh', 'bin/start.sh']);
    writeFileSync(path.join(work, 'bin', 'start.sh'), SCRIPT.replace('echo step 6', 'echo step six'));
    git(work, ['add', '-A']);
    git(work, ['commit', '-q', '-m', 'Rename the start script']);
    const diff = git(work, ['diff', '-M', '-C', '--find-copies-harder', '--full-index', 'v1.0.0', 'HEAD']);
    expect(diff).toContain('rename from bin/run.sh');
    expect(diff).toContain('copy from bin/run.sh');
    expect(diff).not.toContain('mode 100755');
    patchText = ['From: Fork <fork@example.invalid>', 'Subject: Rename the start script', '', 'Meshfork-Base: 1.0.0', '---', diff].join(
      '\n',
    );
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  function project(name: string, series: Record<string, string>): string {
    const dir = path.join(tmp, name);
    mkdirSync(path.join(dir, 'patches'), { recursive: true });
    for (const [file, text] of Object.entries(series)) writeFileSync(path.join(dir, 'patches', file), text);
    writeFileSync(
      path.join(dir, 'patches', 'series'),
      Object.keys(series)
        .map((f) => `${f}\n`)
        .join(''),
    );
    const config = {
      upstream: { source: 'git', url: upstreamUrl, tagPattern: 'v*' },
      base: '1.0.0',
      supports: '>=1.0.0 <2',
      patches: 'patches',
    };
    writeFileSync(path.join(dir, 'meshfork.config.json'), `${JSON.stringify(config, null, 2)}\n`);
    return dir;
  }

  it('apply --out writes the rename and copy targets 0755, the tree git apply makes', async () => {
    const dir = project('apply', { 'rename-the-start-script.patch': patchText });
    const env = { MESHFORK_CACHE: path.join(tmp, 'cache') };
    const run = await runCli(['apply', '--out', path.join(dir, 'out')], { cwd: dir, env });
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    expect(permissions(path.join(dir, 'out', 'bin', 'start.sh'))).toBe(0o755);
    expect(permissions(path.join(dir, 'out', 'bin', 'copy.sh'))).toBe(0o755);
    expect(readFileSync(path.join(dir, 'out', 'bin', 'start.sh'), 'utf8')).toContain('echo step six');

    const reference = path.join(tmp, 'reference');
    git(tmp, ['clone', '-q', '--branch', 'v1.0.0', upstreamUrl.replace('file://', ''), reference]);
    writeFileSync(path.join(tmp, 'reference.patch'), patchText);
    git(reference, ['apply', path.join(tmp, 'reference.patch')]);
    rmSync(path.join(reference, '.git'), { recursive: true, force: true });
    expect(treeDifferences(treeListing(path.join(dir, 'out')), treeListing(reference))).toEqual([]);
  });

  it('edit writes them 0755 in its workspace', async () => {
    const dir = project('edit', { 'rename-the-start-script.patch': patchText });
    git(dir, ['init', '-q', '--initial-branch=main']);
    git(dir, ['add', '-A']);
    git(dir, ['commit', '-q', '-m', 'project']);
    const run = await runCli(['--json', 'edit'], { cwd: dir, env: { MESHFORK_CACHE: path.join(tmp, 'cache') } });
    expect(run.exitCode).toBe(0);
    const workspace = JSON.parse(run.stdout).workDir as string;
    expect(permissions(path.join(workspace, 'bin', 'start.sh'))).toBe(0o755);
    expect(permissions(path.join(workspace, 'bin', 'copy.sh'))).toBe(0o755);
    expect(
      git(workspace, ['ls-files', '-s', 'bin/start.sh', 'bin/copy.sh'])
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split(' ')[0]),
    ).toEqual(['100755', '100755']);
  });

  it('import fork proves and writes the series of a fork that renames and copies an executable', async () => {
    const dir = project('import', {});
    const result = await importFork({ cwd: dir, from: work, ref: 'fork', cacheDir: path.join(tmp, 'cache') });
    expect(result).toMatchObject({ proved: true, differing: [], version: '1.0.0' });
    const run = await runCli(['apply', '--out', path.join(dir, 'out')], { cwd: dir, env: { MESHFORK_CACHE: path.join(tmp, 'cache') } });
    expect(run.exitCode).toBe(0);
    expect(permissions(path.join(dir, 'out', 'bin', 'start.sh'))).toBe(0o755);
  });

  it('the fork proof names a path whose bytes match but whose mode the series does not give', async () => {
    // A fork commit that makes package.json executable and changes it; a series with the change only.
    const clone = path.join(tmp, 'mode-fork');
    git(tmp, ['clone', '-q', '--branch', 'v1.0.0', work, clone]);
    writeFileSync(
      path.join(clone, 'package.json'),
      `${JSON.stringify({ name: 'meshcentral', version: '1.0.0', private: true }, null, 2)}\n`,
    );
    chmodSync(path.join(clone, 'package.json'), 0o755);
    git(clone, ['commit', '-q', '-am', 'Make package.json private (and executable)']);
    const contentOnly = git(clone, ['diff', 'HEAD~1', 'HEAD']).replace(/^old mode 100644\nnew mode 100755\n/m, '');
    expect(contentOnly).not.toContain('mode');
    const release = path.join(tmp, 'mode-release');
    git(tmp, ['clone', '-q', '--branch', 'v1.0.0', work, release]);
    rmSync(path.join(release, '.git'), { recursive: true, force: true });
    const releaseTree = await treeOfFolder(clone, release);
    const head = git(clone, ['rev-parse', 'HEAD']).trim();
    const patch = parsePatch('private.patch', `From: Fork <fork@example.invalid>\nSubject: Private\n\n---\n${contentOnly}`);
    const proof = await proveSeries(clone, [patch], directoryReader(release), releaseTree, head);
    expect(proof.outcome.status).toBe('clean');
    expect(proof.differing).toEqual(['package.json']);
    // With the mode change the series reproduces the fork.
    const withMode = parsePatch(
      'private.patch',
      `From: Fork <fork@example.invalid>\nSubject: Private\n\n---\n${git(clone, ['diff', 'HEAD~1', 'HEAD'])}`,
    );
    expect((await proveSeries(clone, [withMode], directoryReader(release), releaseTree, head)).differing).toEqual([]);
  });
});
