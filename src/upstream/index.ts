import path from 'node:path';
import * as semver from '../util/semver';
import type { LoadedConfig } from '../config/load';
import type { FileReader } from '../engine/tree';
import { MeshforkError } from '../errors';
import { silentProgress, type ProgressSink } from '../util/progress';
import { BlobStore, sha256 } from './blobStore';
import { defaultCacheDir } from './cacheDir';
import type { GitSource } from './gitSource';
import { LOCK_FILE, LockBook, upstreamKey } from './lockFile';
import { ManifestStore, type Manifest } from './manifest';
import { BlobStamps } from './blobStamps';
import { linkTree, linksPerBlob, stampRelease, unsoundFiles } from './materialize';
import type { NpmSource } from './npmSource';
import { withProcessLock } from './processLock';
import { tracePhase } from '../util/tracePhase';
import type { Release, ReleaseSource } from './source';

export type { Release } from './source';
export { assertInRange, inRange } from './range';
export { defaultCacheDir } from './cacheDir';
export { LOCK_FILE } from './lockFile';

/** Upstream releases of one project, read through the verified, content-addressed cache. */
export interface Upstream {
  readonly kind: 'npm' | 'git';
  listReleases(): Promise<Release[]>; // identity is empty for npm listings
  resolve(version: string): Promise<Release>;
  readFile(version: string, path: string): Promise<string | undefined>;
  reader(version: string): FileReader;
  materialize(version: string, dir: string): Promise<void>;
  stampBlobs(version: string): Promise<void>; // after links to them were removed (see BlobStamps)
  fetch(version: string): Promise<Release>;
  git?: { mirrorDir: string; commitOf(version: string): Promise<string> };
  close(): void;
}

export interface OpenUpstreamOptions {
  progress?: ProgressSink;
  updateLock?: boolean;
  cacheDir?: string;
}

class CachedUpstream implements Upstream {
  readonly kind: 'npm' | 'git';
  readonly git?: { mirrorDir: string; commitOf(version: string): Promise<string> };
  private readonly blobs: BlobStore;
  private readonly manifests: ManifestStore;
  private readonly resolved = new Map<string, Promise<Release>>();
  private readonly loadedManifests = new Map<string, Promise<Manifest>>();
  private readonly repairs = new Map<string, Promise<Manifest>>();
  private readonly unconfirmed = new Set<string>();

  constructor(
    private readonly source: ReleaseSource,
    private readonly lock: LockBook,
    private readonly cacheDir: string,
    private readonly updateLock: boolean,
  ) {
    this.kind = source.kind;
    this.blobs = new BlobStore(path.join(cacheDir, 'blobs'));
    this.manifests = new ManifestStore(path.join(cacheDir, 'manifests'));
    if (source.kind === 'git')
      this.git = { mirrorDir: (source as GitSource).mirrorDir, commitOf: (v) => this.resolve(v).then((r) => r.identity) };
  }

  listReleases(): Promise<Release[]> {
    return this.source.listReleases();
  }

  resolve(input: string): Promise<Release> {
    const version = semver.clean(input) ?? input;
    let pending = this.resolved.get(version);
    if (!pending) {
      pending = this.resolveNow(version);
      this.resolved.set(version, pending);
      pending.catch(() => this.resolved.delete(version));
    }
    return pending;
  }

  private async resolveNow(version: string): Promise<Release> {
    const locked = await this.lock.identityOf(version);
    // npm never republishes a version: a locked release already cached needs no registry round trip.
    const cached = this.source.immutable && locked ? await this.manifests.read(locked) : undefined;
    if (locked && cached) {
      const problem = await this.identityProblem(version, cached);
      if (problem === undefined) {
        this.loadedManifests.set(locked, Promise.resolve(cached));
        return { version, identity: locked };
      }
      // --update-lock: the registry's identity replaces the entry that named another release
      if (!this.updateLock) {
        throw new MeshforkError(
          'LOCK_MISMATCH',
          `${this.lock.file}: release ${version} is locked to ${locked}, but the release with that identity is ${problem}`,
          {
            hint: `the lock entry names another release's bytes: record what upstream serves for ${version} with \`meshfork upstream fetch ${version} --update-lock\`, review the diff of meshfork.lock.json and commit it`,
            details: { version, locked, release: problem },
          },
        );
      }
    }
    // Locked but not cached: the download is checked against the locked integrity anyway, so one npm pack
    // does; the registry is asked only when the fill fails (confirmLocked), for the same error codes.
    if (locked && this.source.immutable && !this.updateLock) {
      this.unconfirmed.add(locked);
      return { version, identity: locked };
    }
    return this.identify(version);
  }

  /** A lock entry is trusted without a registry round trip: a copied or edited one must not hand out another release. */
  private async identityProblem(version: string, manifest: Manifest): Promise<string | undefined> {
    const entry = manifest.files['package.json'];
    const bytes = entry && (await this.blobs.read(entry.hash, entry.mode));
    // An unreadable blob tells nothing: the repair that follows checks against the locked integrity anyway.
    if (entry && bytes === undefined)
      return manifest.version === version ? undefined : `${this.source.packageName ?? 'release'}@${manifest.version}`;
    let own: { name?: unknown; version?: unknown } = {};
    try {
      own = bytes ? (JSON.parse(bytes.toString('utf8')) as typeof own) : {};
    } catch {
      own = {};
    }
    const name = typeof own.name === 'string' ? own.name : '(no name)';
    const ownVersion = typeof own.version === 'string' ? own.version : manifest.version;
    const wantedName = this.source.packageName ?? name;
    if (name === wantedName && ownVersion === version && manifest.version === version) return undefined;
    return `${name}@${ownVersion}`;
  }

  private async identify(version: string): Promise<Release> {
    const release = await this.source.identify(version);
    await this.lock.record(version, release.identity, this.updateLock, (was) =>
      this.kind === 'git'
        ? `release ${version} is locked to commit ${was}, but its tag now points to ${release.identity} (the tag was moved)`
        : `release ${version} is locked to ${was}, but the registry now serves ${release.identity}`,
    );
    return release;
  }

  private manifest(release: Release): Promise<Manifest> {
    let pending = this.loadedManifests.get(release.identity);
    if (!pending) {
      pending = this.loadManifest(release, false);
      this.loadedManifests.set(release.identity, pending);
      pending.catch(() => this.loadedManifests.delete(release.identity));
    }
    return pending;
  }

  private async loadManifest(release: Release, rebuild: boolean): Promise<Manifest> {
    if (!rebuild) {
      const cached = await this.manifests.read(release.identity);
      if (cached) return cached;
    }
    try {
      return await this.fill(release, rebuild);
    } catch (error) {
      await this.confirmLocked(release);
      throw error;
    }
  }

  /** A release taken from the lock file whose fill failed: what the registry says decides the error. */
  private async confirmLocked(release: Release): Promise<void> {
    if (!this.unconfirmed.delete(release.identity)) return;
    await this.identify(release.version);
  }

  private fill(release: Release, rebuild: boolean): Promise<Manifest> {
    return withProcessLock(path.join(this.cacheDir, 'locks', `release-${sha256(release.identity).slice(0, 24)}`), async () => {
      if (!rebuild) {
        const cached = await this.manifests.read(release.identity);
        if (cached) return cached;
      }
      await this.blobs.removeLeftovers();
      tracePhase('cache:populate');
      const files = await this.source.populate(release, rebuild ? new BlobStore(this.blobs.root, true) : this.blobs);
      const manifest: Manifest = { identity: release.identity, version: release.version, files };
      tracePhase('cache:manifest');
      await this.manifests.write(manifest);
      tracePhase('cache:filled');
      return manifest;
    });
  }

  private repair(release: Release, what: string): Promise<Manifest> {
    // one rebuild per release at a time, however many reads found it corrupt
    let pending = this.repairs.get(release.identity);
    if (!pending) {
      pending = this.repairNow(release, what).finally(() => this.repairs.delete(release.identity));
      this.repairs.set(release.identity, pending);
    }
    return pending;
  }

  private async repairNow(release: Release, what: string): Promise<Manifest> {
    const pending = this.loadManifest(release, true);
    this.loadedManifests.set(release.identity, pending);
    const manifest = await pending;
    const still = await unsoundFiles(manifest, this.blobs);
    if (still.length > 0) {
      throw new MeshforkError(
        'CACHE_CORRUPT',
        `cache entry for ${release.version} is still corrupt after a rebuild (${what}; e.g. ${still[0]})`,
        {
          hint: `check the disk, then delete the cache (${this.cacheDir}) and run again`,
        },
      );
    }
    // A rebuild hashed every blob it kept (moving their ctimes): stamp them, so the next apply need not.
    const stamps = this.stampsOf(release);
    stampRelease(manifest, this.blobs, stamps);
    stamps.save();
    return manifest;
  }

  async readFile(version: string, file: string): Promise<string | undefined> {
    const release = await this.resolve(version);
    if (this.source.readDirect) return (await this.source.readDirect(release, file))?.toString('latin1');
    let manifest = await this.manifest(release);
    let entry = manifest.files[file];
    if (!entry) return undefined;
    let content = await this.blobs.read(entry.hash, entry.mode);
    if (content === undefined) {
      manifest = await this.repair(release, `blob of ${file} failed verification`);
      entry = manifest.files[file];
      content = entry && (await this.blobs.read(entry.hash, entry.mode));
      if (!content)
        throw new MeshforkError('CACHE_CORRUPT', `cache blob of ${version}:${file} is corrupt after a rebuild`, {
          hint: `delete ${this.cacheDir} and run again`,
        });
    }
    return content.toString('latin1');
  }

  reader(version: string): FileReader {
    return (file) => this.readFile(version, file);
  }

  async fetch(version: string): Promise<Release> {
    const { release, stamps } = await this.verified(version);
    stamps.save();
    return release;
  }

  private async verified(version: string): Promise<{ release: Release; stamps: BlobStamps }> {
    const release = await this.resolve(version);
    const manifest = await this.manifest(release);
    const stamps = this.stampsOf(release);
    const bad = await unsoundFiles(manifest, this.blobs, stamps);
    if (bad.length > 0) {
      const rebuilt = await this.repair(release, `${bad.length} blob(s) failed verification`);
      // the rebuild stamped every blob: read those stamps (a stat each, nothing hashed)
      const fresh = this.stampsOf(release);
      await unsoundFiles(rebuilt, this.blobs, fresh);
      return { release, stamps: fresh };
    }
    return { release, stamps };
  }

  private stampsOf(release: Release): BlobStamps {
    return new BlobStamps(path.join(this.cacheDir, 'stamps', `${sha256(release.identity)}.json`));
  }

  async materialize(version: string, dir: string): Promise<void> {
    const { release, stamps } = await this.verified(version);
    const manifest = await this.manifest(release);
    const from = Date.now();
    await linkTree(manifest, this.blobs, dir);
    stamps.linked(linksPerBlob(manifest, this.blobs), from, Date.now());
    stamps.save();
  }

  async stampBlobs(version: string): Promise<void> {
    const release = await this.resolve(version);
    const stamps = this.stampsOf(release);
    stampRelease(await this.manifest(release), this.blobs, stamps);
    stamps.save();
  }

  close(): void {
    this.source.close();
  }
}

export async function openUpstream(loaded: LoadedConfig, options: OpenUpstreamOptions = {}): Promise<Upstream> {
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  const progress = options.progress ?? silentProgress;
  const upstream = loaded.config.upstream;
  // only the configured kind's code is loaded (start-up time)
  /* eslint-disable @typescript-eslint/no-require-imports */
  const source: ReleaseSource =
    upstream.source === 'npm'
      ? new (require('./npmSource') as { NpmSource: typeof NpmSource }).NpmSource(
          upstream.package,
          loaded.root,
          path.join(cacheDir, 'tmp'),
          progress,
        )
      : new (require('./gitSource') as { GitSource: typeof GitSource }).GitSource(upstream.url, upstream.tagPattern, cacheDir, progress);
  /* eslint-enable @typescript-eslint/no-require-imports */
  const lock = new LockBook(path.join(loaded.root, LOCK_FILE), upstreamKey(upstream), path.join(cacheDir, 'locks'));
  return new CachedUpstream(source, lock, cacheDir, options.updateLock ?? false);
}
