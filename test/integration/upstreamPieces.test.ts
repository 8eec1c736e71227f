/*
 * The upstream layer's small parts on real files: lock file format, range check, tag versions, git
 * progress parsing, tarball integrity, the blob store and manifest verification.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfig } from '../../src/config/load';
import { receivedBytes } from '../../src/tools/gitProgress';
import { assertInRange } from '../../src/upstream';
import { BLOB_MTIME_SECONDS, BlobStore, sha256 } from '../../src/upstream/blobStore';
import { versionOfTag } from '../../src/upstream/gitSource';
import { formatLock, LockBook, parseLock } from '../../src/upstream/lockFile';
import { extractTarball } from '../../src/upstream/extractTarball';
import { ManifestStore } from '../../src/upstream/manifest';
import { verifyIntegrity } from '../../src/upstream/npmSource';

describe('upstream pieces', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'meshfork-pieces-'));
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('formats the lock file deterministically (sorted keys, 2 spaces, final newline)', () => {
    const text = formatLock({
      lockfileVersion: 1,
      upstreams: { 'npm:b': { '1.1.55': { identity: 'y' }, '1.1.51': { identity: 'x' } }, 'git:a': {} },
    });
    expect(text).toBe(
      '{\n  "lockfileVersion": 1,\n  "upstreams": {\n    "git:a": {},\n    "npm:b": {\n      "1.1.51": {\n        "identity": "x"\n      },\n      "1.1.55": {\n        "identity": "y"\n      }\n    }\n  }\n}\n',
    );
    expect(formatLock(parseLock('meshfork.lock.json', text))).toBe(text);
  });

  it('rejects a damaged lock file naming the file and field', () => {
    expect(() => parseLock('/p/meshfork.lock.json', '{"lockfileVersion": 1, "upstreams": {"npm:x": {"1.0.0": {}}}}')).toThrow(
      expect.objectContaining({
        code: 'LOCK_INVALID',
        message: expect.stringContaining('/p/meshfork.lock.json: upstreams.npm:x.1.0.0.identity'),
      }),
    );
    expect(() => parseLock('/p/meshfork.lock.json', '{')).toThrow(expect.objectContaining({ code: 'LOCK_INVALID', exitCode: 2 }));
  });

  it('records identities, refuses a different one (LOCK_MISMATCH) unless updateLock', async () => {
    const book = new LockBook(path.join(tmp, 'meshfork.lock.json'), 'npm:meshcentral', path.join(tmp, 'locks'));
    await book.record('1.1.55', 'sha512-a', false, () => 'changed');
    await book.record('1.1.55', 'sha512-a', false, () => 'changed');
    await expect(book.record('1.1.55', 'sha512-b', false, (was) => `was ${was}`)).rejects.toMatchObject({
      code: 'LOCK_MISMATCH',
      message: expect.stringContaining('was sha512-a'),
    });
    await book.record('1.1.55', 'sha512-b', true, () => 'changed');
    expect(await book.identityOf('1.1.55')).toBe('sha512-b');
  });

  it('checks versions against supports', () => {
    const config = parseConfig('meshfork.config.json', {
      upstream: { source: 'npm', package: 'meshcentral' },
      base: '1.1.55',
      supports: '>=1.1.0 <2',
    });
    expect(() => assertInRange(config, '1.1.51')).not.toThrow();
    expect(() => assertInRange(config, '0.7.99')).toThrow(
      expect.objectContaining({ code: 'VERSION_OUT_OF_RANGE', message: expect.stringContaining('">=1.1.0 <2"') }),
    );
    expect(() => assertInRange(config, '0.7.99', true)).not.toThrow();
  });

  it('reads versions from tags and bytes from git progress lines', () => {
    expect(['v1.1.55', '1.1.51', 'release-2.0.0', 'vnext', 'v1.1'].map(versionOfTag)).toEqual([
      '1.1.55',
      '1.1.51',
      '2.0.0',
      undefined,
      undefined,
    ]);
    expect(receivedBytes('Receiving objects:  45% (10/22), 12.00 MiB | 3.00 MiB/s')).toBe(12 * 1024 * 1024);
    expect(receivedBytes('Receiving objects:  10% (1/10), 512 bytes | 0 bytes/s')).toBe(512);
    expect(receivedBytes('Resolving deltas: 100% (3/3), done.')).toBeUndefined();
  });

  it('verifies a tarball against its SRI integrity', async () => {
    const file = path.join(tmp, 'x.tgz');
    writeFileSync(file, 'tarball bytes');
    const good = `sha512-${createHash('sha512').update('tarball bytes').digest('base64')}`;
    await expect(verifyIntegrity(file, good, 'x@1.0.0')).resolves.toBeUndefined();
    await expect(verifyIntegrity(file, `sha1-abc ${good}`, 'x@1.0.0')).resolves.toBeUndefined();
    writeFileSync(file, 'tarball bytez');
    await expect(verifyIntegrity(file, good, 'x@1.0.0')).rejects.toMatchObject({ code: 'INTEGRITY_MISMATCH', exitCode: 4 });
  });

  it('stores blobs content-addressed, and deletes a corrupt one instead of returning it', async () => {
    const store = new BlobStore(path.join(tmp, 'blobs'));
    const content = Buffer.from('line\r\n\xff', 'latin1');
    const hash = await store.put(content, '100755');
    expect(hash).toBe(sha256(content));
    const file = store.pathOf(hash, '100755');
    expect(statSync(file).mode & 0o777).toBe(0o755);
    expect(Math.floor(statSync(file).mtimeMs / 1000)).toBe(BLOB_MTIME_SECONDS);
    expect((await store.read(hash, '100755'))!.equals(content)).toBe(true);
    truncateSync(file, 2);
    expect(await store.ensureSound(hash, '100755', content.length)).toBe(false);
    expect(await store.read(hash, '100755')).toBeUndefined();
    await store.put(content, '100755');
    expect(await store.ensureSound(hash, '100755', content.length)).toBe(true);
  });

  it('removes temp files of killed processes from the blob store, not those of live ones', async () => {
    const store = new BlobStore(path.join(tmp, 'blobs-leftovers'));
    const hash = await store.put(Buffer.from('x'), '100644');
    const folder = path.dirname(store.pathOf(hash, '100644'));
    const deadPid = spawnSync(process.execPath, ['-e', '']).pid;
    const dead = path.join(folder, `${hash.slice(2)}.${deadPid}-abcd1234.tmp`);
    const live = path.join(folder, `${hash.slice(2)}.${process.pid}-abcd1234.tmp`);
    writeFileSync(dead, 'half');
    writeFileSync(live, 'half');
    await store.removeLeftovers();
    expect([existsSync(dead), existsSync(live), existsSync(store.pathOf(hash, '100644'))]).toEqual([false, true, true]);
  });

  it('unpacks a real tar.gz into blobs (modes kept), and names a file that is no gzip or no tar', async () => {
    const src = path.join(tmp, 'tarsrc', 'package');
    mkdirSync(path.join(src, 'bin'), { recursive: true });
    writeFileSync(path.join(src, 'index.js'), 'module.exports = 1;\n');
    writeFileSync(path.join(src, 'bin', 'run'), '#!/bin/sh\n', { mode: 0o755 });
    const tgz = path.join(tmp, 'pkg.tgz');
    execFileSync('tar', ['-czf', tgz, '-C', path.dirname(src), 'package']);
    const silent = { start: () => undefined, advance: () => undefined, finish: () => undefined };
    const blobs = new BlobStore(path.join(tmp, 'tar-blobs'));
    const files = await extractTarball(tgz, blobs, silent, 'unpacking');
    expect(files).toEqual({
      'index.js': { hash: sha256('module.exports = 1;\n'), size: 20, mode: '100644' },
      'bin/run': { hash: sha256('#!/bin/sh\n'), size: 10, mode: '100755' },
    });
    expect((await blobs.read(files['index.js'].hash, '100644'))?.toString()).toBe('module.exports = 1;\n');

    const notGzip = path.join(tmp, 'not-gzip.tgz');
    writeFileSync(notGzip, 'plain text, no gzip header\n');
    await expect(extractTarball(notGzip, blobs, silent, 'unpacking')).rejects.toMatchObject({
      code: 'INTEGRITY_MISMATCH',
      message: expect.stringContaining(`${notGzip}: not a valid gzip file`),
    });
    const notTar = path.join(tmp, 'not-tar.tgz');
    writeFileSync(notTar, gzipSync(Buffer.alloc(1024, 'x')));
    await expect(extractTarball(notTar, blobs, silent, 'unpacking')).rejects.toMatchObject({
      code: 'INTEGRITY_MISMATCH',
      message: expect.stringContaining(`${notTar}: not a valid tarball`),
    });
  });

  it('treats a truncated or edited manifest as absent', async () => {
    const manifests = new ManifestStore(path.join(tmp, 'manifests'));
    const manifest = { identity: 'sha512-x', version: '1.0.0', files: { 'a.js': { hash: sha256('a'), size: 1, mode: '100644' as const } } };
    await manifests.write(manifest);
    expect(await manifests.read('sha512-x')).toEqual(manifest);
    const file = manifests.pathOf('sha512-x');
    writeFileSync(file, readFileSync(file, 'utf8').replace('"size":1', '"size":2'));
    expect(await manifests.read('sha512-x')).toBeUndefined();
    await manifests.write(manifest);
    truncateSync(file, 20);
    expect(await manifests.read('sha512-x')).toBeUndefined();
  });

  it('writes a manifest that ends with the sha256 of the bytes before it; reads a sound format-1 manifest and rewrites it as format 2', async () => {
    const manifests = new ManifestStore(path.join(tmp, 'manifests-2'));
    const manifest = {
      identity: 'sha512-y',
      version: '1.0.1',
      files: {
        'b.js': { hash: sha256('b'), size: 1, mode: '100755' as const },
        'a.js': { hash: sha256('a'), size: 1, mode: '100644' as const },
      },
    };
    await manifests.write(manifest);
    const file = manifests.pathOf('sha512-y');
    const text = readFileSync(file, 'latin1');
    const at = text.lastIndexOf(',"digest":"');
    expect(text.slice(at)).toBe(`,"digest":"${sha256(text.slice(0, at))}"}`);
    expect(JSON.parse(text)).toMatchObject({ format: 2, identity: 'sha512-y', version: '1.0.1' });

    // format 1: the digest of the entries sorted by path, re-serialised (what meshfork wrote before)
    const digest1 = sha256(
      JSON.stringify([manifest.identity, manifest.version, Object.entries(manifest.files).sort(([a], [b]) => (a < b ? -1 : 1))]),
    );
    writeFileSync(file, JSON.stringify({ format: 1, digest: digest1, ...manifest }));
    expect(await manifests.read('sha512-y')).toEqual(manifest);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ format: 2 });
    expect(await manifests.read('sha512-y')).toEqual(manifest);
    writeFileSync(file, JSON.stringify({ format: 1, digest: digest1.replace(/^./, (c) => (c === '0' ? '1' : '0')), ...manifest }));
    expect(await manifests.read('sha512-y')).toBeUndefined();
    expect(existsSync(file)).toBe(false);
  });
});
