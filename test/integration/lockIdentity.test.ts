/*
 * A lock entry that names another release's bytes (issue 22, item 1): 1.1.51's integrity copied into
 * the lock's 1.1.55 entry while 1.1.51 is cached. The release's own package.json (name and version)
 * must match the entry: apply, sync check and upstream fetch refuse with LOCK_MISMATCH (exit 2) and
 * write nothing; `upstream fetch 1.1.55 --update-lock` puts the registry's identity back.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { upstreamFetch } from '../../src/commands/upstreamFetch';
import { formatLock, parseLock } from '../../src/upstream/lockFile';
import { ensureBuilt, runCli } from '../support/cli';
import { makeProject, SHARED_CACHE } from './upstreamFixtures';

describe('a lock entry whose identity is another release', () => {
  let tmp: string;
  let integrity: Record<string, string>;
  beforeAll(async () => {
    ensureBuilt();
    tmp = mkdtempSync(path.join(os.tmpdir(), 'meshfork-lock-identity-'));
    // Both releases cached and their true identities known (from the registry, through a clean project).
    const clean = makeProject(path.join(tmp, 'clean'));
    const fetched = await upstreamFetch({ cwd: clean, versions: ['1.1.51', '1.1.55'], cacheDir: SHARED_CACHE });
    integrity = Object.fromEntries(fetched.releases.map((r) => [r.version, r.identity]));
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  function swappedProject(name: string): string {
    const dir = makeProject(path.join(tmp, name));
    const lock = {
      lockfileVersion: 1 as const,
      upstreams: { 'npm:meshcentral': { '1.1.51': { identity: integrity['1.1.51'] }, '1.1.55': { identity: integrity['1.1.51'] } } },
    };
    writeFileSync(path.join(dir, 'meshfork.lock.json'), formatLock(lock));
    return dir;
  }

  const env = { MESHFORK_CACHE: SHARED_CACHE };

  it('apply refuses with LOCK_MISMATCH, exit 2, and writes no tree', async () => {
    const dir = swappedProject('apply');
    const lockBefore = readFileSync(path.join(dir, 'meshfork.lock.json'), 'utf8');
    const run = await runCli(['apply', '--out', path.join(dir, 'out')], { cwd: dir, env });
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain('error[LOCK_MISMATCH]');
    expect(run.stderr).toContain(
      `release 1.1.55 is locked to ${integrity['1.1.51']}, but the release with that identity is meshcentral@1.1.51`,
    );
    expect(run.stderr).toContain('meshfork upstream fetch 1.1.55 --update-lock');
    expect(existsSync(path.join(dir, 'out'))).toBe(false);
    expect(readFileSync(path.join(dir, 'meshfork.lock.json'), 'utf8')).toBe(lockBefore);
  });

  it('sync check and upstream fetch refuse the same way (--json names the code and both identities)', async () => {
    const dir = swappedProject('check');
    const check = await runCli(['--json', 'sync', 'check', '--to', '1.1.55'], { cwd: dir, env });
    expect(check.exitCode).toBe(2);
    expect(JSON.parse(check.stdout).error).toMatchObject({
      code: 'LOCK_MISMATCH',
      version: '1.1.55',
      locked: integrity['1.1.51'],
      release: 'meshcentral@1.1.51',
    });
    const fetch = await runCli(['upstream', 'fetch', '1.1.55'], { cwd: dir, env });
    expect(fetch.exitCode).toBe(2);
    expect(fetch.stderr).toContain('error[LOCK_MISMATCH]');
  });

  it('upstream fetch --update-lock records what the registry serves, and apply then writes 1.1.55', async () => {
    const dir = swappedProject('repair');
    const fetch = await runCli(['upstream', 'fetch', '1.1.55', '--update-lock'], { cwd: dir, env });
    expect(fetch.exitCode).toBe(0);
    const lock = parseLock('meshfork.lock.json', readFileSync(path.join(dir, 'meshfork.lock.json'), 'utf8'));
    expect(lock.upstreams['npm:meshcentral']['1.1.55'].identity).toBe(integrity['1.1.55']);
    const apply = await runCli(['apply', '--out', path.join(dir, 'out')], { cwd: dir, env });
    expect(apply.exitCode).toBe(0);
    expect(JSON.parse(readFileSync(path.join(dir, 'out', 'package.json'), 'utf8')).version).toBe('1.1.55');
  });
});
