import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import * as semver from '../util/semver';
import { MeshforkError } from '../errors';
import { npmCacheDir, npmPack, npmViewDist, npmViewPackage } from '../tools/npm';
import { silentProgress, type ProgressSink } from '../util/progress';
import type { BlobStore } from './blobStore';
import { isoDate } from './source';
import type { ManifestEntry } from './manifest';
import { removeLeftovers } from './processLock';
import type { Release, ReleaseSource } from './source';

async function fileDigest(file: string, algorithm: string): Promise<string> {
  const hash = createHash(algorithm);
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('base64');
}

async function bytesWritten(dirs: string[], since: number): Promise<number> {
  let bytes = 0;
  for (const dir of dirs) {
    const names = await fs.readdir(dir).catch(() => [] as string[]);
    for (const name of names) {
      const stat = await fs.stat(path.join(dir, name)).catch(() => undefined);
      if (stat?.isFile() && stat.mtimeMs >= since) bytes += stat.size;
    }
  }
  return bytes;
}

/** An SRI string may hold several hashes, space-separated. */
export async function verifyIntegrity(file: string, integrity: string, spec: string): Promise<void> {
  const wanted = integrity.split(/\s+/).filter((h) => /^sha(256|384|512)-/.test(h));
  const strongest = wanted.find((h) => h.startsWith('sha512-')) ?? wanted[0];
  if (!strongest) throw new MeshforkError('INTEGRITY_MISMATCH', `${spec}: integrity "${integrity}" names no sha256/384/512 digest`);
  const dash = strongest.indexOf('-');
  const algorithm = strongest.slice(0, dash);
  const actual = `${algorithm}-${await fileDigest(file, algorithm)}`;
  if (actual !== strongest.replace(/\?.*$/, '')) {
    throw new MeshforkError('INTEGRITY_MISMATCH', `${spec}: the downloaded tarball is ${actual}, expected ${strongest}`, {
      hint: 'the download was corrupted or tampered with; run `npm cache verify` and try again',
      details: { expected: strongest, actual },
    });
  }
}

export class NpmSource implements ReleaseSource {
  readonly kind = 'npm' as const;
  readonly immutable = true;

  constructor(
    private readonly pkg: string,
    private readonly cwd: string,
    private readonly tmpRoot: string,
    private readonly progress: ProgressSink,
  ) {}

  get packageName(): string {
    return this.pkg;
  }

  async listReleases(): Promise<Release[]> {
    const info = await npmViewPackage(this.pkg, this.cwd);
    // Integrity is per version (a request each); resolve() supplies it, listing only needs versions.
    return info.versions
      .filter((v) => semver.valid(v))
      .sort(semver.compare)
      .map((version) => ({ version, date: isoDate(info.time[version]), identity: '' }));
  }

  async identify(version: string): Promise<Release> {
    const dist = await npmViewDist(this.pkg, version, this.cwd);
    return { version, identity: dist.integrity };
  }

  async populate(release: Release, blobs: BlobStore): Promise<Record<string, ManifestEntry>> {
    const spec = `${this.pkg}@${release.version}`;
    await removeLeftovers(this.tmpRoot, 'npm-');
    const tmp = path.join(this.tmpRoot, `npm-${process.pid}-${randomBytes(4).toString('hex')}`);
    await fs.mkdir(tmp, { recursive: true });
    try {
      const name = await this.download(release.version, tmp, spec);
      const tarball = path.join(tmp, name);
      await verifyIntegrity(tarball, release.identity, spec);
      const { extractTarball } = await import('./extractTarball');
      return await extractTarball(tarball, blobs, this.progress, `unpacking ${spec}`);
    } finally {
      await fs.rm(tmp, { recursive: true, force: true });
    }
  }

  /** npm pack reports nothing while it downloads: watch its _cacache/tmp and the destination grow instead. */
  private async download(version: string, dir: string, spec: string): Promise<string> {
    // Nobody sees progress (not a terminal, CI, --json): no watching, and no extra npm process.
    if (this.progress === silentProgress) return npmPack(this.pkg, version, dir);
    const watched = [dir];
    void npmCacheDir(this.cwd)
      .then((npmCache) => npmCache && watched.push(path.join(npmCache, '_cacache', 'tmp')))
      .catch(() => undefined);
    const since = Date.now() - 1000;
    let polling = false;
    this.progress.start(`downloading ${spec}`);
    const timer = setInterval(() => {
      if (polling) return;
      polling = true;
      void bytesWritten(watched, since)
        .then((bytes) => this.progress.advance(bytes))
        .finally(() => (polling = false));
    }, 200);
    try {
      return await npmPack(this.pkg, version, dir);
    } finally {
      clearInterval(timer);
      this.progress.finish();
    }
  }

  close(): void {}
}
