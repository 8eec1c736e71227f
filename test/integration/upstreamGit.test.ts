/*
 * The git upstream against a real local repository (test/support/gitUpstream.ts: commits made from
 * the 1.1.51 and 1.1.55 tarballs, tagged v1.1.51 / v1.1.55) reached through a file:// URL.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { apply } from '../../src/commands/apply';
import { upstreamList } from '../../src/commands/upstreamList';
import { loadConfig } from '../../src/config/load';
import { gitText, runGit } from '../../src/tools/git';
import { openUpstream } from '../../src/upstream';
import { buildGitUpstream, commitFiles, push, tag, type GitUpstream } from '../support/gitUpstream';
import { releaseFile } from '../support/release';
import { makeProject, referenceTree, runCli, treeDifferences, treeListing } from './upstreamFixtures';

describe('git upstream (local file:// repository)', () => {
  let tmp: string;
  let cache: string;
  let up: GitUpstream;
  let project: string;
  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'meshfork-git-'));
    cache = path.join(tmp, 'cache');
    mkdirSync(path.join(tmp, 'upstream'));
    up = await buildGitUpstream(path.join(tmp, 'upstream'));
    project = makeProject(path.join(tmp, 'project'), { source: 'git', url: up.url, tagPattern: 'v*' });
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('lists the tags as releases, ascending, with commit dates', async () => {
    await tag(up.workDir, 'not-a-release');
    await push(up.workDir);
    const result = await upstreamList({ cwd: project, cacheDir: cache });
    expect(result.upstream).toBe(`git:${up.url}`);
    expect(result.releases).toEqual([
      { version: '1.1.51', date: '2024-01-01T00:00:00.000Z', base: false, newest: false, supported: true },
      { version: '1.1.55', date: '2024-01-02T00:00:00.000Z', base: true, newest: true, supported: true },
    ]);
  });

  it('pins releases to commits and reads files at a tag from the mirror', async () => {
    const upstream = await openUpstream(await loadConfig(project), { cacheDir: cache });
    const commit = await gitText(['rev-parse', 'v1.1.51^{commit}'], { cwd: up.bareDir });
    expect(await upstream.git!.commitOf('1.1.51')).toBe(commit);
    expect(existsSync(path.join(upstream.git!.mirrorDir, 'HEAD'))).toBe(true);
    expect(await upstream.readFile('1.1.51', 'webserver.js')).toBe(releaseFile('1.1.51', 'webserver.js'));
    expect(await upstream.readFile('1.1.55', 'webserver.js')).toBe(releaseFile('1.1.55', 'webserver.js'));
    expect(await upstream.readFile('1.1.55', 'missing.js')).toBeUndefined();
    await expect(upstream.resolve('1.1.52')).rejects.toMatchObject({ code: 'VERSION_UNKNOWN' });
    upstream.close();
    const lock = JSON.parse(readFileSync(path.join(project, 'meshfork.lock.json'), 'utf8'));
    expect(lock.upstreams[`git:${up.url}`]['1.1.51']).toEqual({ identity: commit });
  });

  it('applies the series: the tarball content plus the patch changes, file for file', async () => {
    const out = path.join(tmp, 'out');
    const result = await apply({ cwd: project, out, cacheDir: cache });
    expect(result).toMatchObject({ version: '1.1.55', status: 'clean', exitCode: 0, written: true });
    const expected = treeListing(referenceTree('1.1.55', path.join(tmp, 'reference')));
    expect(treeDifferences(treeListing(out), expected)).toEqual([]);
  });

  it('fails with LOCK_MISMATCH after the tag moves; --update-lock accepts the new commit', async () => {
    const moved = await commitFiles(
      up.workDir,
      { 'webserver.js': `${releaseFile('1.1.55', 'webserver.js')}// retagged\r\n` },
      'Rebuild 1.1.55',
    );
    await tag(up.workDir, 'v1.1.55');
    await push(up.workDir);
    const out = path.join(tmp, 'out-moved');
    const env = { MESHFORK_CACHE: cache };
    const refused = await runCli(['--json', 'apply', '--out', out], { cwd: project, env });
    expect(refused.code).toBe(2);
    const error = JSON.parse(refused.stdout).error;
    expect(error).toMatchObject({ code: 'LOCK_MISMATCH', actual: moved });
    expect(error.message).toContain('tag was moved');
    expect(error.hint).toContain('--update-lock');
    expect(existsSync(out)).toBe(false);
    const accepted = await runCli(['apply', '--out', out, '--update-lock'], { cwd: project, env });
    expect(accepted.code).toBe(0);
    expect(readFileSync(path.join(out, 'webserver.js'), 'latin1').endsWith('// retagged\r\n')).toBe(true);
    expect(JSON.parse(readFileSync(path.join(project, 'meshfork.lock.json'), 'utf8')).upstreams[`git:${up.url}`]['1.1.55'].identity).toBe(
      moved,
    );
  });

  it('merges 3-way with the base release when upstream changed a hunk context (--3way, exit 3)', async () => {
    const webserver = releaseFile('1.1.55', 'webserver.js');
    const changed = webserver.replace(
      '// SerialTunnel object is used to embed TLS within another connection.\r\n',
      '// SerialTunnel embeds TLS within another connection.\r\n',
    );
    expect(changed).not.toBe(webserver);
    await commitFiles(up.workDir, { 'webserver.js': changed }, 'MeshCentral 1.1.56');
    await tag(up.workDir, 'v1.1.56');
    await push(up.workDir);
    const strictOut = path.join(tmp, 'out-56-strict');
    const strict = await apply({ cwd: project, out: strictOut, to: '1.1.56', cacheDir: cache, updateLock: true });
    expect(strict).toMatchObject({ status: 'conflict', exitCode: 1, written: false });
    expect(existsSync(strictOut)).toBe(false);
    const out = path.join(tmp, 'out-56');
    const merged = await apply({ cwd: project, out, to: '1.1.56', threeWay: true, cacheDir: cache });
    expect(merged).toMatchObject({ status: 'needs-refresh', exitCode: 3, written: true });
    const hunks = merged.patches[0].files.find((f) => f.path === 'webserver.js')!.hunks;
    expect(hunks.map((h) => h.status)).toContain('merged');
    // upstream's change and both of the patch's insertions, byte for byte
    const refresh = changed.indexOf('\n', changed.indexOf("obj.app.get(url + 'refresh.ashx'")) + 1;
    const expected = (
      changed.slice(0, refresh) +
      "                obj.app.get(url + 'healthz', function (req, res) { meshforkHealth.handle(req, res); });\r\n" +
      changed.slice(refresh)
    ).replace("'use strict';\r\n", "'use strict';\r\nconst meshforkHealth = require('./meshfork-health.js');\r\n");
    expect(readFileSync(path.join(out, 'webserver.js'), 'latin1')).toBe(expected);
  });

  it('pins an annotated tag to the commit it points at, not to the tag object', async () => {
    const env = { GIT_COMMITTER_NAME: 'Upstream', GIT_COMMITTER_EMAIL: 'upstream@example.invalid', GIT_COMMITTER_DATE: '1710000000 +0000' };
    await runGit(['tag', '-a', '-m', 'MeshCentral 1.1.57', 'v1.1.57', 'HEAD'], { cwd: up.workDir, env });
    await push(up.workDir);
    const head = await gitText(['rev-parse', 'HEAD'], { cwd: up.workDir });
    expect(await gitText(['rev-parse', 'v1.1.57'], { cwd: up.workDir })).not.toBe(head);
    const upstream = await openUpstream(await loadConfig(project), { cacheDir: cache });
    expect((await upstream.resolve('1.1.57')).identity).toBe(head);
    expect((await upstream.listReleases()).find((r) => r.version === '1.1.57')?.date).toBe(
      new Date(Number(await gitText(['log', '-1', '--format=%ct', head], { cwd: up.workDir })) * 1000).toISOString(),
    );
    upstream.close();
    await runGit(['tag', '-d', 'v1.1.57'], { cwd: up.workDir });
    await runGit(['push', '--quiet', 'origin', ':refs/tags/v1.1.57'], { cwd: up.workDir });
  });

  it('fetches ahead of time from the CLI with no progress output when stderr is not a terminal', async () => {
    const env = { MESHFORK_CACHE: path.join(tmp, 'fetch-cache'), CI: '' };
    const fetched = await runCli(['upstream', 'fetch', '1.1.51'], { cwd: project, env });
    expect([fetched.code, fetched.stderr]).toEqual([0, '']);
    expect(fetched.stdout).toContain(`cached 1.1.51 (${await gitText(['rev-parse', 'v1.1.51^{commit}'], { cwd: up.bareDir })})`);
    const listed = await runCli(['--json', 'upstream', 'list'], { cwd: project, env });
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout).releases.map((r: { version: string }) => r.version)).toEqual(['1.1.51', '1.1.55', '1.1.56']);
  });

  it('reports an unreachable URL as exit 4', async () => {
    const dir = makeProject(path.join(tmp, 'unreachable'), {
      source: 'git',
      url: `file://${path.join(tmp, 'no-such-repo.git')}`,
      tagPattern: 'v*',
    });
    const cli = await runCli(['upstream', 'list'], { cwd: dir, env: { MESHFORK_CACHE: cache } });
    expect(cli.code).toBe(4);
    expect(cli.stderr).toContain('error[UPSTREAM_UNREACHABLE]');
    expect(cli.stderr).toContain('no-such-repo.git');
  });

  it('reports git missing from PATH as exit 4', async () => {
    const cli = await runCli(['apply', '--out', path.join(tmp, 'out-nogit')], {
      cwd: project,
      env: { MESHFORK_CACHE: path.join(tmp, 'empty-cache'), PATH: path.join(tmp, 'empty-bin') },
    });
    expect(cli.code).toBe(4);
    expect(cli.stderr).toContain('error[TOOL_MISSING]');
    expect(cli.stderr).toContain('git');
    expect(existsSync(path.join(tmp, 'out-nogit'))).toBe(false);
  });
});
