/*
 * The npm upstream against the real registry (meshcentral 1.1.51 and 1.1.55): list, fetch with
 * integrity verified, read files, apply to a folder, and the error cases. The shared cache under
 * .cache/ keeps reruns fast; tests that need a cold or private cache make their own.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { apply, type ApplyResult } from '../../src/commands/apply';
import { upstreamFetch } from '../../src/commands/upstreamFetch';
import { upstreamList } from '../../src/commands/upstreamList';
import { loadConfig } from '../../src/config/load';
import { openUpstream } from '../../src/upstream';
import { formatLock, parseLock } from '../../src/upstream/lockFile';
import { releaseFile, releaseTarball } from '../support/release';
import { fixturePatches, makeProject, referenceTree, runCli, SHARED_CACHE, treeDifferences, treeListing } from './upstreamFixtures';

function registryIntegrity(version: string): string {
  return JSON.parse(execFileSync('npm', ['view', `meshcentral@${version}`, 'dist.integrity', '--json'], { encoding: 'utf8' })) as string;
}

function sha512Of(file: string): string {
  return `sha512-${createHash('sha512').update(readFileSync(file)).digest('base64')}`;
}

describe('npm upstream (real registry)', () => {
  let tmp: string;
  let project: string;
  beforeAll(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'meshfork-npm-'));
    project = makeProject(path.join(tmp, 'project'));
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('lists releases ascending with dates, marking base, newest and supports', async () => {
    const result = await upstreamList({ cwd: project, cacheDir: SHARED_CACHE });
    const versions = result.releases.map((r) => r.version);
    expect(versions).toEqual(expect.arrayContaining(['1.1.51', '1.1.55']));
    expect(versions.indexOf('1.1.51')).toBeLessThan(versions.indexOf('1.1.55'));
    const r55 = result.releases.find((r) => r.version === '1.1.55')!;
    expect(r55).toMatchObject({ base: true, supported: true });
    expect(r55.date).toMatch(/^\d{4}-\d\d-\d\d/);
    expect(result.releases.filter((r) => r.newest)).toHaveLength(1);
    const old = result.releases.find((r) => r.version === '0.7.99');
    if (old) expect(old.supported).toBe(false);
  });

  it('fetches with the registry integrity verified and records it in a deterministic lock file', async () => {
    const result = await upstreamFetch({ cwd: project, versions: ['1.1.51', '1.1.55'], cacheDir: SHARED_CACHE });
    for (const version of ['1.1.51', '1.1.55']) {
      const identity = result.releases.find((r) => r.version === version)!.identity;
      expect(identity).toBe(registryIntegrity(version));
      // independent check: the tarball npm pack gave the test support has the same sha512
      expect(identity).toBe(sha512Of(releaseTarball(version)));
    }
    const text = readFileSync(path.join(project, 'meshfork.lock.json'), 'utf8');
    expect(formatLock(parseLock('meshfork.lock.json', text))).toBe(text);
    expect(text.endsWith('}\n')).toBe(true);
    expect(Object.keys(JSON.parse(text).upstreams['npm:meshcentral'])).toEqual(['1.1.51', '1.1.55']);
  });

  it('reads files of a release byte for byte (CRLF kept), and undefined for absent files', async () => {
    const upstream = await openUpstream(await loadConfig(project), { cacheDir: SHARED_CACHE });
    for (const version of ['1.1.51', '1.1.55']) {
      const webserver = await upstream.readFile(version, 'webserver.js');
      expect(webserver).toBe(releaseFile(version, 'webserver.js'));
      expect(webserver).toContain('\r\n');
      expect(await upstream.readFile(version, 'package.json')).toBe(releaseFile(version, 'package.json'));
    }
    expect(await upstream.readFile('1.1.55', 'no/such/file.js')).toBeUndefined();
    // Repeated reads come from the filled cache: same bytes, and nothing in the cache is rewritten.
    const cacheState = (): string[] =>
      ['manifests', 'blobs']
        .flatMap((sub) =>
          readdirSync(path.join(SHARED_CACHE, sub)).map((name) => `${sub}/${name}:${statSync(path.join(SHARED_CACHE, sub, name)).ctimeMs}`),
        )
        .sort();
    const before = cacheState();
    const meshcentral = releaseFile('1.1.55', 'meshcentral.js');
    for (let i = 0; i < 20; i++) expect(await upstream.reader('1.1.55')('meshcentral.js')).toBe(meshcentral);
    expect(cacheState()).toEqual(before);
    upstream.close();
  });

  it('applies the series to a folder: the tarball content plus the patch changes, file for file', async () => {
    const out = path.join(tmp, 'out-55');
    const result = await apply({ cwd: project, out, cacheDir: SHARED_CACHE });
    expect(result).toMatchObject({ version: '1.1.55', status: 'clean', exitCode: 0, written: true });
    expect(result.changedFiles).toEqual(['bin/meshfork-check.sh', 'meshfork-health.js', 'package.json', 'readme.md', 'webserver.js']);
    const expected = treeListing(referenceTree('1.1.55', path.join(tmp, 'reference-55')));
    expect(treeDifferences(treeListing(out), expected)).toEqual([]);
    // unchanged files are hard links into the cache; patched ones are fresh files
    expect(statSync(path.join(out, 'meshcentral.js')).nlink).toBeGreaterThanOrEqual(2);
    expect(statSync(path.join(out, 'webserver.js')).nlink).toBe(1);
    expect(statSync(path.join(out, 'bin', 'meshfork-check.sh')).mode & 0o111).not.toBe(0);
    expect(existsSync(path.join(out, 'readme.md'))).toBe(false);
    // the cached blob of the patched file is untouched
    const upstream = await openUpstream(await loadConfig(project), { cacheDir: SHARED_CACHE });
    expect(await upstream.readFile('1.1.55', 'webserver.js')).toBe(releaseFile('1.1.55', 'webserver.js'));
    upstream.close();
  });

  it('applies a patch to 1.1.51 at shifted lines (exit 0, status offset)', async () => {
    const [first] = fixturePatches();
    const dir = makeProject(path.join(tmp, 'first-only'));
    writeFileSync(path.join(dir, 'patches', 'series'), `${first}\n`);
    rmSync(path.join(dir, 'patches', fixturePatches()[1]));
    const out = path.join(tmp, 'out-51');
    const result = await apply({ cwd: dir, out, to: '1.1.51', cacheDir: SHARED_CACHE });
    expect(result).toMatchObject({ status: 'offset', exitCode: 0, written: true });
    const webserver = result.patches[0].files.find((f) => f.path === 'webserver.js')!;
    expect(webserver.hunks.map((h) => h.status)).toEqual(['exact', 'offset']);
    expect(webserver.hunks[1].offset).toBeLessThan(0);
    const expected = treeListing(referenceTree('1.1.51', path.join(tmp, 'reference-51'), [first]));
    expect(treeDifferences(treeListing(out), expected)).toEqual([]);
  });

  it('copies instead of hard-linking when DIR is on another filesystem than the cache', async () => {
    // /dev/shm is a tmpfs on Linux, so links from the on-disk cache fail with EXDEV there
    const other = mkdtempSync(path.join(existsSync('/dev/shm') ? '/dev/shm' : tmp, 'meshfork-xdev-'));
    try {
      // The test needs the second filesystem to mean anything: /dev/shm must not be on the cache's disk.
      expect({ other, sameFilesystemAsCache: statSync(other).dev === statSync(SHARED_CACHE).dev }).toEqual({
        other,
        sameFilesystemAsCache: false,
      });
      const out = path.join(other, 'out');
      await apply({ cwd: project, out, cacheDir: SHARED_CACHE });
      expect(treeDifferences(treeListing(out), treeListing(referenceTree('1.1.55', path.join(tmp, 'reference-55'))))).toEqual([]);
      expect(statSync(path.join(out, 'meshcentral.js')).nlink).toBe(1);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('writes nothing on a conflict (exit 1) and reports the differing lines per hunk', async () => {
    const out = path.join(tmp, 'out-51-conflict');
    const cli = await runCli(['--json', 'apply', '--to', '1.1.51', '--out', out], { cwd: project, env: { MESHFORK_CACHE: SHARED_CACHE } });
    expect(cli.code).toBe(1);
    const report = JSON.parse(cli.stdout) as ApplyResult;
    expect(report).toMatchObject({ status: 'conflict', exitCode: 1, written: false });
    const readme = report.patches[1].files.find((f) => f.path === 'readme.md')!;
    expect(readme).toMatchObject({ kind: 'delete', status: 'conflict' });
    expect(readme.hunks[0].differingLines![0]).toMatchObject({ line: 34, actual: 'Installing MeshCentral on Windows, Linux and macOS.' });
    expect(existsSync(out)).toBe(false);
    const text = await runCli(['apply', '--to', '1.1.51', '--out', out], { cwd: project, env: { MESHFORK_CACHE: SHARED_CACHE } });
    expect(text.stdout).toMatch(/offset\s+add-a-health-endpoint\.patch/);
    expect(text.stdout).toContain('hunk 2 offset -');
    expect(text.stdout).toContain('nothing written');
  });

  it('refuses an existing DIR without --force and replaces it with --force', async () => {
    const out = path.join(tmp, 'out-force');
    await apply({ cwd: project, out, cacheDir: SHARED_CACHE });
    writeFileSync(path.join(out, 'stray.txt'), 'left over');
    await expect(apply({ cwd: project, out, cacheDir: SHARED_CACHE })).rejects.toMatchObject({ code: 'OUTPUT_EXISTS', exitCode: 2 });
    expect(existsSync(path.join(out, 'stray.txt'))).toBe(true);
    await apply({ cwd: project, out, force: true, cacheDir: SHARED_CACHE });
    expect(existsSync(path.join(out, 'stray.txt'))).toBe(false);
    expect(existsSync(path.join(out, 'meshfork-health.js'))).toBe(true);
  });

  it('refuses an output folder that holds the project, even with --force', async () => {
    await expect(apply({ cwd: project, out: '.', force: true, cacheDir: SHARED_CACHE })).rejects.toMatchObject({
      code: 'USAGE',
      exitCode: 2,
    });
    await expect(apply({ cwd: project, out: '..', force: true, cacheDir: SHARED_CACHE })).rejects.toMatchObject({ code: 'USAGE' });
    expect(existsSync(path.join(project, 'meshfork.config.json'))).toBe(true);
  });

  it('fails with exit 2 on an unknown version, naming it', async () => {
    const out = path.join(tmp, 'out-unknown');
    const cli = await runCli(['--json', 'apply', '--to', '1.1.99', '--out', out], { cwd: project, env: { MESHFORK_CACHE: SHARED_CACHE } });
    expect(cli.code).toBe(2);
    expect(JSON.parse(cli.stdout).error).toMatchObject({ code: 'VERSION_UNKNOWN' });
    expect(cli.stderr).toContain('1.1.99');
    expect(existsSync(out)).toBe(false);
  });

  it('refuses a version outside supports (exit 2, range named) unless --ignore-range', async () => {
    const out = path.join(tmp, 'out-old');
    const refused = await runCli(['apply', '--to', '0.7.99', '--out', out], { cwd: project, env: { MESHFORK_CACHE: SHARED_CACHE } });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('error[VERSION_OUT_OF_RANGE]');
    expect(refused.stderr).toContain('>=1.1.0 <2');
    expect(refused.stderr).toContain('--ignore-range');
    const forced = await runCli(['--json', 'apply', '--to', '0.7.99', '--out', out, '--ignore-range'], {
      cwd: project,
      env: { MESHFORK_CACHE: SHARED_CACHE },
    });
    const report = JSON.parse(forced.stdout) as { version: string; status: string; exitCode: number; written: boolean };
    expect(report.version).toBe('0.7.99');
    // The independent answer: does `git apply` (offsets allowed, no fuzz, like apply) take the series on 0.7.99?
    let reference: string | undefined;
    try {
      reference = referenceTree('0.7.99', path.join(tmp, 'reference-0.7.99'));
    } catch {
      reference = undefined;
    }
    if (reference) {
      expect({ code: forced.code, written: report.written }).toEqual({ code: 0, written: true });
      expect(treeDifferences(treeListing(out), treeListing(reference))).toEqual([]);
    } else {
      expect({ code: forced.code, status: report.status, written: report.written, exists: existsSync(out) }).toEqual({
        code: 1,
        status: 'conflict',
        written: false,
        exists: false,
      });
    }
  });

  it('reports an unreachable registry as exit 4', async () => {
    const env = {
      MESHFORK_CACHE: path.join(tmp, 'cold-cache'),
      npm_config_registry: 'http://127.0.0.1:9/',
      npm_config_fetch_retries: '0',
      npm_config_cache: path.join(tmp, 'npm-cache'),
    };
    const cli = await runCli(['--json', 'upstream', 'list'], { cwd: project, env });
    expect(cli.code).toBe(4);
    expect(JSON.parse(cli.stdout).error).toMatchObject({ code: 'UPSTREAM_UNREACHABLE' });
    const fetch = await runCli(['upstream', 'fetch', '1.1.51'], { cwd: makeProject(path.join(tmp, 'offline')), env });
    expect(fetch.code).toBe(4);
    expect(fetch.stderr).toContain('error[UPSTREAM_UNREACHABLE]');
  });

  it('reports npm missing from PATH as exit 4', async () => {
    const cli = await runCli(['--json', 'upstream', 'list'], {
      cwd: project,
      env: { MESHFORK_CACHE: SHARED_CACHE, PATH: path.join(tmp, 'empty-bin') },
    });
    expect(cli.code).toBe(4);
    expect(JSON.parse(cli.stdout).error).toMatchObject({ code: 'TOOL_MISSING', message: expect.stringContaining('npm') });
  });

  it('fails with LOCK_MISMATCH when the registry serves a different identity, and --update-lock accepts it', async () => {
    const dir = makeProject(path.join(tmp, 'mismatch'));
    const bogus = `sha512-${Buffer.alloc(64, 7).toString('base64')}`;
    writeFileSync(
      path.join(dir, 'meshfork.lock.json'),
      formatLock({ lockfileVersion: 1, upstreams: { 'npm:meshcentral': { '1.1.55': { identity: bogus } } } }),
    );
    const cli = await runCli(['apply', '--out', path.join(dir, 'out')], { cwd: dir, env: { MESHFORK_CACHE: SHARED_CACHE } });
    expect(cli.code).toBe(2);
    expect(cli.stderr).toContain('error[LOCK_MISMATCH]');
    expect(cli.stderr).toContain('--update-lock');
    expect(existsSync(path.join(dir, 'out'))).toBe(false);
    const accepted = await runCli(['apply', '--out', path.join(dir, 'out'), '--update-lock'], {
      cwd: dir,
      env: { MESHFORK_CACHE: SHARED_CACHE },
    });
    expect(accepted.code).toBe(0);
    expect(readFileSync(path.join(dir, 'meshfork.lock.json'), 'utf8')).toContain(registryIntegrity('1.1.55'));
  });
});
