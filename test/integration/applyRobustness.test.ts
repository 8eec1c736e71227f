/*
 * `meshfork apply` when things go wrong: a corrupted cache, two processes filling an empty cache
 * at once, and SIGKILL at random moments (DIR must be absent or complete, never partial).
 */
import { createHash } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  truncateSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { apply } from '../../src/commands/apply';
import { loadConfig } from '../../src/config/load';
import { openUpstream } from '../../src/upstream';
import { sha256 } from '../../src/upstream/blobStore';
import { releaseFile } from '../support/release';
import { makeProject, referenceTree, runCli, treeDifferences, treeListing } from './upstreamFixtures';

/**
 * path -> executable bit and sha256 of the bytes, like treeListing, but each inode is hashed once
 * (keyed by inode, size and ctime, which any write changes): the files of DIR are hard links into
 * the cache, so checking a 400 MB tree after every kill costs only the files a run wrote fresh.
 */
function byteListing(dir: string, memo: Map<string, string>): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (rel: string): void => {
    for (const name of readdirSync(path.join(dir, rel))) {
      const relPath = rel ? `${rel}/${name}` : name;
      const full = path.join(dir, relPath);
      const stat = lstatSync(full, { bigint: true });
      if (stat.isDirectory()) walk(relPath);
      else if (stat.isSymbolicLink()) files.set(relPath, `link:${readlinkSync(full)}`);
      else {
        const key = `${stat.dev}:${stat.ino}:${stat.size}:${stat.ctimeNs}`;
        let digest = memo.get(key);
        if (!digest) memo.set(key, (digest = createHash('sha256').update(readFileSync(full)).digest('hex')));
        files.set(relPath, `${stat.mode & 0o111n ? 'x' : '-'}${digest}`);
      }
    }
  };
  walk('');
  return files;
}

describe('apply robustness', () => {
  let tmp: string;
  let project: string;
  let cache: string;
  let expected: Map<string, string>;
  let identity: string;
  beforeAll(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'meshfork-robust-'));
    project = makeProject(path.join(tmp, 'project'));
    cache = path.join(tmp, 'cache');
    expected = treeListing(referenceTree('1.1.55', path.join(tmp, 'reference')));
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('two apply processes started at once against an empty cache both succeed with identical output', async () => {
    const env = { MESHFORK_CACHE: cache };
    const [a, b] = await Promise.all([
      runCli(['apply', '--out', path.join(tmp, 'out-a')], { cwd: project, env }),
      runCli(['apply', '--out', path.join(tmp, 'out-b')], { cwd: project, env }),
    ]);
    expect([a.code, a.stderr, b.code, b.stderr]).toEqual([0, '', 0, '']);
    const listingA = treeListing(path.join(tmp, 'out-a'));
    expect(treeDifferences(listingA, treeListing(path.join(tmp, 'out-b')))).toEqual([]);
    expect(treeDifferences(listingA, expected)).toEqual([]);
    identity = JSON.parse(readFileSync(path.join(project, 'meshfork.lock.json'), 'utf8')).upstreams['npm:meshcentral']['1.1.55'].identity;
  });

  function manifestFile(): string {
    return path.join(cache, 'manifests', `${sha256(identity)}.json`);
  }

  function blobOf(file: string): string {
    const manifest = JSON.parse(readFileSync(manifestFile(), 'utf8')) as { files: Record<string, { hash: string; mode: string }> };
    const entry = manifest.files[file];
    return path.join(cache, 'blobs', entry.hash.slice(0, 2), `${entry.hash.slice(2)}${entry.mode === '100755' ? '.x' : ''}`);
  }

  it('detects truncated and overwritten blobs, repairs them, and never uses them', async () => {
    const linked = blobOf('meshcentral.js');
    const patched = blobOf('webserver.js');
    const tampered = blobOf('package.json');
    truncateSync(linked, 1000);
    truncateSync(patched, 0);
    // same size and the original mtime: only the hash check on read can tell
    const { size, mtime } = statSync(tampered);
    writeFileSync(tampered, Buffer.alloc(size, 0x41));
    utimesSync(tampered, mtime, mtime);
    const upstream = await openUpstream(await loadConfig(project), { cacheDir: cache });
    expect(await upstream.readFile('1.1.55', 'package.json')).toBe(releaseFile('1.1.55', 'package.json'));
    upstream.close();
    truncateSync(linked, 10);
    const out = path.join(tmp, 'out-repaired');
    const result = await apply({ cwd: project, out, cacheDir: cache });
    expect(result.status).toBe('clean');
    expect(treeDifferences(treeListing(out), expected)).toEqual([]);
    expect(readFileSync(linked).equals(Buffer.from(releaseFile('1.1.55', 'meshcentral.js'), 'latin1'))).toBe(true);
    expect(readFileSync(patched).toString('latin1')).toBe(releaseFile('1.1.55', 'webserver.js'));
    expect(readFileSync(tampered).toString('latin1')).toBe(releaseFile('1.1.55', 'package.json'));
  });

  it('rebuilds a truncated manifest instead of using it', async () => {
    const manifest = manifestFile();
    truncateSync(manifest, 100);
    const out = path.join(tmp, 'out-manifest');
    await apply({ cwd: project, out, cacheDir: cache });
    expect(treeDifferences(treeListing(out), expected)).toEqual([]);
    expect(JSON.parse(readFileSync(manifest, 'utf8')).identity).toBe(identity);
  });

  it('never leaves a partial DIR when killed with SIGKILL at random moments (24 times)', async () => {
    const out = path.join(tmp, 'out-killed');
    const memo = new Map<string, string>();
    let killed = 0;
    let random = 12345;
    // warm kills land inside a run on a machine of any speed: delays within one warm run's own time
    const started = Date.now();
    const timing = await runCli(['apply', '--out', path.join(tmp, 'out-timing')], { cwd: project, env: { MESHFORK_CACHE: cache } });
    expect(timing.code).toBe(0);
    const warmMs = Math.max(100, Date.now() - started);
    for (let i = 0; i < 24; i++) {
      random = (random * 1103515245 + 12345) % 2 ** 31;
      // the first runs start on an empty cache (killed while filling it); the rest are warm
      const cold = i < 3;
      const delay = cold ? 1500 + (random % 6000) : 20 + (random % Math.round(warmMs * 0.8));
      const env = { MESHFORK_CACHE: cold ? path.join(tmp, 'cold-cache') : cache };
      const force = i % 2 === 1;
      const existed = existsSync(out);
      const run = await runCli(['apply', '--out', out, ...(force ? ['--force'] : [])], { cwd: project, env, killAfterMs: delay });
      if (run.signal === 'SIGKILL') killed += 1;
      // a run that was not killed either refused an existing DIR without --force or succeeded
      else if (existed && !force)
        expect({ i, code: run.code, refused: run.stderr.includes('error[OUTPUT_EXISTS]') }).toEqual({ i, code: 2, refused: true });
      else expect({ i, code: run.code, stderr: run.stderr }).toEqual({ i, code: 0, stderr: '' });
      if (existsSync(out)) expect({ i, differences: treeDifferences(byteListing(out, memo), expected) }).toEqual({ i, differences: [] });
      if (i % 4 === 3) rmSync(out, { recursive: true, force: true });
    }
    expect(killed).toBeGreaterThanOrEqual(12);
    const final = await runCli(['apply', '--out', out, '--force'], { cwd: project, env: { MESHFORK_CACHE: cache } });
    expect(final.code).toBe(0);
    expect(treeDifferences(treeListing(out), expected)).toEqual([]);
    // a cache whose filling was killed (stale lock, half-written entries) still gives the right tree
    const afterKilledFill = path.join(tmp, 'out-after-killed-fill');
    const recovered = await runCli(['apply', '--out', afterKilledFill], {
      cwd: project,
      env: { MESHFORK_CACHE: path.join(tmp, 'cold-cache') },
    });
    expect([recovered.code, recovered.stderr]).toEqual([0, '']);
    expect(treeDifferences(treeListing(afterKilledFill), expected)).toEqual([]);
    // builds of killed runs are cleaned up by the next run
    expect(readdirSync(tmp).filter((n) => n.startsWith('.out-killed.meshfork-'))).toEqual([]);
  });
});
