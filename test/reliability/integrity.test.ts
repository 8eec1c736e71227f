/*
 * Integrity: each kind of tampering is detected, never used.
 *   - a cached blob overwritten through an output's hard link: apply writes the true bytes and the
 *     blob is repaired, also when the old mtime is put back (the blob's ctime moved);
 *   - a tampered npm tarball (one byte of the real meshcentral 1.1.55 changed): INTEGRITY_MISMATCH
 *     (exit 4) against the integrity the registry publishes;
 *   - a moved tag on a git upstream: LOCK_MISMATCH (exit 2) naming the moved tag, nothing written;
 *   - a changed lock entry (git and npm): LOCK_MISMATCH (exit 2), nothing written.
 */
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
  writeSync,
  closeSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { apply } from '../../src/commands/apply';
import { isMeshforkError } from '../../src/errors';
import { verifyIntegrity } from '../../src/upstream/npmSource';
import { makeProject, treeDifferences, treeListing } from '../integration/upstreamFixtures';
import { ensureBuilt } from '../support/cli';
import { releaseTarball } from '../support/release';
import { buildSmallProject, type SmallProject } from '../support/smallProject';
import { runTraced } from '../support/traced';
import { checkCache } from './support/cacheCheck';
import { smallReference } from './support/reference';
import { writeTally } from './support/tally';

let tmp: string;
let small: SmallProject;
let expected: Map<string, string>;
const detected: Record<string, number> = {
  'tampered cached blob': 0,
  'forged cached blob (mtime kept)': 0,
  'tampered tarball': 0,
  'moved tag': 0,
  'changed lock entry (git)': 0,
  'changed lock entry (npm)': 0,
};

beforeAll(() => {
  ensureBuilt();
  tmp = mkdtempSync(path.join(os.tmpdir(), 'meshfork-integrity-'));
  small = buildSmallProject(path.join(tmp, 'small'), 40);
  expected = treeListing(smallReference(small.dir, small.upstreamUrl, '1.0.0', path.join(tmp, 'reference')));
});

afterAll(() => {
  writeTally(__filename, {
    title: 'tampering detected',
    counts: detected,
    targets: Object.fromEntries(Object.keys(detected).map((k) => [k, 1])),
  });
  rmSync(tmp, { recursive: true, force: true });
});

const GIT_ENV = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };

/** Apply once into a fresh cache and overwrite one byte of an unpatched file's blob (through the output's hard link). */
async function tamperedBlob(name: string, keepMtime: boolean): Promise<{ project: string; cache: string; original: Buffer }> {
  const cache = path.join(tmp, `${name}-cache`);
  const project = path.join(tmp, `${name}-project`);
  execFileSync('cp', ['-a', small.dir, project]);
  expect((await apply({ cwd: project, out: path.join(tmp, `${name}-first`), cacheDir: cache })).status).toBe('clean');
  // lib1/file-1.js is not patched: the output file is a hard link to its blob.
  const blob = path.join(tmp, `${name}-first`, 'lib1', 'file-1.js');
  const { size, mtime } = statSync(blob);
  const original = readFileSync(blob);
  const fd = openSync(blob, 'r+');
  writeSync(fd, Buffer.from('X'), 0, 1, 100);
  closeSync(fd);
  if (keepMtime) utimesSync(blob, mtime, mtime);
  expect(statSync(blob).size).toBe(size);
  expect(checkCache(cache).problems).toEqual([
    expect.stringMatching(/ holds bytes hashing to /),
    expect.stringMatching(/: lib1\/file-1\.js has no sound blob$/),
  ]);
  return { project, cache, original };
}

test('a cached blob written through a hard link is not used: apply writes the true bytes and repairs the blob', async () => {
  const { project, cache, original } = await tamperedBlob('written', false);
  const out = path.join(tmp, 'written-after');
  expect((await apply({ cwd: project, out, cacheDir: cache })).status).toBe('clean');
  expect(treeDifferences(treeListing(out), expected)).toEqual([]);
  expect(readFileSync(path.join(out, 'lib1', 'file-1.js')).equals(original)).toBe(true);
  expect(checkCache(cache).problems).toEqual([]);
  detected['tampered cached blob'] += 1;
});

test('a cached blob changed with its size and mtime put back is not used: its ctime moved, so apply hashes it, writes the true bytes and repairs the blob', async () => {
  const { project, cache, original } = await tamperedBlob('forged', true);
  const out = path.join(tmp, 'forged-after');
  expect((await apply({ cwd: project, out, cacheDir: cache })).status).toBe('clean');
  expect(treeDifferences(treeListing(out), expected)).toEqual([]);
  expect(readFileSync(path.join(out, 'lib1', 'file-1.js')).equals(original)).toBe(true);
  expect(checkCache(cache).problems).toEqual([]);
  detected['forged cached blob (mtime kept)'] += 1;
});

test('a tarball with one byte changed fails INTEGRITY_MISMATCH (exit 4) against the registry integrity; the real one passes', async () => {
  const integrity = JSON.parse(
    execFileSync('npm', ['view', 'meshcentral@1.1.55', 'dist.integrity', '--json'], { encoding: 'utf8' }),
  ) as string;
  const tarball = path.join(tmp, 'meshcentral-1.1.55.tgz');
  copyFileSync(releaseTarball('1.1.55'), tarball);
  await verifyIntegrity(tarball, integrity, 'meshcentral@1.1.55');
  const at = Math.floor(statSync(tarball).size / 2);
  const flipped = Buffer.from([readFileSync(tarball)[at] ^ 0xff]);
  const fd = openSync(tarball, 'r+');
  writeSync(fd, flipped, 0, 1, at);
  closeSync(fd);
  let error: unknown;
  await verifyIntegrity(tarball, integrity, 'meshcentral@1.1.55').catch((e: unknown) => (error = e));
  expect(isMeshforkError(error) && { code: error.code, exitCode: error.exitCode, expected: error.details?.expected }).toEqual({
    code: 'INTEGRITY_MISMATCH',
    exitCode: 4,
    expected: integrity,
  });
  expect((error as Error).message).toMatch(/^meshcentral@1\.1\.55: the downloaded tarball is sha512-\S+, expected sha512-/);
  detected['tampered tarball'] += 1;
});

test('a moved tag: LOCK_MISMATCH (exit 2) saying the tag was moved, nothing written; --update-lock accepts it', async () => {
  const project = path.join(tmp, 'moved-tag');
  execFileSync('cp', ['-a', small.dir, project]);
  const env = { MESHFORK_CACHE: path.join(tmp, 'tag-cache') };
  expect((await runTraced(['-C', project, 'apply', '--out', path.join(tmp, 'out-tag-1')], { cwd: project, env })).code).toBe(0);
  const original = execFileSync('git', ['-C', small.upstreamWork, 'rev-parse', 'v1.0.0'], { encoding: 'utf8', env: GIT_ENV }).trim();
  // Upstream re-tags v1.0.0 on a new commit and force-pushes the tag.
  writeFileSync(path.join(small.upstreamWork, 'retagged.txt'), 'new\n');
  execFileSync('git', ['-C', small.upstreamWork, 'add', 'retagged.txt'], { env: GIT_ENV });
  execFileSync(
    'git',
    ['-C', small.upstreamWork, '-c', 'user.name=U', '-c', 'user.email=u@example.invalid', 'commit', '-q', '-m', 'moved'],
    { env: GIT_ENV },
  );
  execFileSync('git', ['-C', small.upstreamWork, 'tag', '-f', 'v1.0.0'], { env: GIT_ENV, stdio: 'pipe' });
  execFileSync('git', ['-C', small.upstreamWork, 'push', '-q', '-f', 'origin', 'refs/tags/v1.0.0'], { env: GIT_ENV, stdio: 'pipe' });
  try {
    const lockBefore = readFileSync(path.join(project, 'meshfork.lock.json'));
    const out = path.join(tmp, 'out-tag-2');
    const run = await runTraced(['-C', project, 'apply', '--out', out], { cwd: project, env });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /^error\[LOCK_MISMATCH\]: .*release 1\.0\.0 is locked to commit [0-9a-f]{40}, but its tag now points to [0-9a-f]{40} \(the tag was moved\)$/m,
    );
    expect(run.stderr).toMatch(/^hint: .*--update-lock/m);
    expect(existsSync(out)).toBe(false);
    expect(readFileSync(path.join(project, 'meshfork.lock.json')).equals(lockBefore)).toBe(true);
    const accepted = await runTraced(['-C', project, 'apply', '--out', out, '--update-lock'], { cwd: project, env });
    expect(accepted.code).toBe(0);
    expect(existsSync(path.join(out, 'retagged.txt'))).toBe(true);
    detected['moved tag'] += 1;
  } finally {
    // Put the tag back for the other tests.
    execFileSync('git', ['-C', small.upstreamWork, 'tag', '-f', 'v1.0.0', original], { env: GIT_ENV, stdio: 'pipe' });
    execFileSync('git', ['-C', small.upstreamWork, 'push', '-q', '-f', 'origin', 'refs/tags/v1.0.0'], { env: GIT_ENV, stdio: 'pipe' });
  }
});

test('a changed lock entry (git upstream): LOCK_MISMATCH (exit 2), nothing written', async () => {
  const project = path.join(tmp, 'changed-lock');
  execFileSync('cp', ['-a', small.dir, project]);
  const env = { MESHFORK_CACHE: path.join(tmp, 'lock-cache') };
  expect((await runTraced(['-C', project, 'apply', '--out', path.join(tmp, 'out-lock-1')], { cwd: project, env })).code).toBe(0);
  const lockFile = path.join(project, 'meshfork.lock.json');
  const lock = JSON.parse(readFileSync(lockFile, 'utf8'));
  const entries = lock.upstreams[`git:${small.upstreamUrl}`];
  const real = entries['1.0.0'].identity as string;
  entries['1.0.0'].identity = execFileSync('git', ['-C', small.upstreamWork, 'rev-parse', 'v1.1.0'], {
    encoding: 'utf8',
    env: GIT_ENV,
  }).trim();
  writeFileSync(lockFile, `${JSON.stringify(lock, null, 2)}\n`);
  const out = path.join(tmp, 'out-lock-2');
  const run = await runTraced(['-C', project, 'apply', '--out', out], { cwd: project, env });
  expect(run.code).toBe(2);
  expect(run.stderr).toMatch(
    new RegExp(
      `^error\\[LOCK_MISMATCH\\]: .*release 1\\.0\\.0 is locked to commit ${entries['1.0.0'].identity}, but its tag now points to ${real}`,
      'm',
    ),
  );
  expect(existsSync(out)).toBe(false);
  detected['changed lock entry (git)'] += 1;
});

test('a changed lock entry (npm upstream): LOCK_MISMATCH (exit 2), nothing written', async () => {
  const project = makeProject(path.join(tmp, 'npm-lock'));
  const bogus = `sha512-${Buffer.alloc(64, 7).toString('base64')}`;
  writeFileSync(
    path.join(project, 'meshfork.lock.json'),
    `${JSON.stringify({ lockfileVersion: 1, upstreams: { 'npm:meshcentral': { '1.1.55': { identity: bogus } } } }, null, 2)}\n`,
  );
  const out = path.join(tmp, 'out-npm-lock');
  const cache = path.join(tmp, 'npm-lock-cache');
  const run = await runTraced(['-C', project, 'apply', '--out', out], { cwd: project, env: { MESHFORK_CACHE: cache } });
  expect(run.code).toBe(2);
  expect(run.stderr).toMatch(
    new RegExp(
      `^error\\[LOCK_MISMATCH\\]: .*release 1\\.1\\.55 is locked to ${bogus.replace(/[+/=]/g, '\\$&')}, but the registry now serves sha512-`,
      'm',
    ),
  );
  expect(existsSync(out)).toBe(false);
  expect(checkCache(cache).manifests).toBe(0);
  detected['changed lock entry (npm)'] += 1;
});
