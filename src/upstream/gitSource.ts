import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import * as semver from '../util/semver';
import { isMeshforkError, MeshforkError } from '../errors';
import { gitText, runGit } from '../tools/git';
import { GitCatFile } from '../tools/gitCatFile';
import { runGitWithProgress } from '../tools/gitProgress';
import type { ProgressSink } from '../util/progress';
import type { BlobMode, BlobStore } from './blobStore';
import { sha256 } from './blobStore';
import { GitBlobIndex } from './gitBlobIndex';
import type { ManifestEntry } from './manifest';
import { removeLeftovers, withProcessLock } from './processLock';
import { isoDate, type Release, type ReleaseSource } from './source';
import { tracePhase } from '../util/tracePhase';

export { isoDate } from './source';

/** Blobs read from git at once while filling the cache: bounds memory on a 400 MB release. */
const BATCH = 64;

/** "v1.1.55" -> "1.1.55", if that is a semver version. */
export function versionOfTag(tag: string): string | undefined {
  const version = tag.replace(/^[^0-9]*/, '');
  return semver.valid(version) === version ? version : undefined;
}

/** One bare mirror per URL, fetched at most once per run and only when tags differ; read with `cat-file --batch`. */
export class GitSource implements ReleaseSource {
  readonly kind = 'git' as const;
  readonly immutable = false;
  readonly mirrorDir: string;
  private synced: Promise<void> | undefined;
  private catFile: GitCatFile | undefined;
  private tags: Promise<Map<string, Release>> | undefined;
  /** The mirror's release tags, read beside the moved-tag check: current when no fetch followed. */
  private tagsBeforeSync: Promise<Map<string, Release>> | undefined;

  constructor(
    private readonly url: string,
    private readonly tagPattern: string,
    private readonly cacheDir: string,
    private readonly progress: ProgressSink,
  ) {
    this.mirrorDir = path.join(cacheDir, 'git', `${sha256(url).slice(0, 24)}.git`);
  }

  sync(): Promise<void> {
    this.synced ??= this.tagsCurrent().then((current) =>
      current
        ? undefined
        : withProcessLock(path.join(this.cacheDir, 'locks', `git-${path.basename(this.mirrorDir)}`), () => this.cloneOrFetch()),
    );
    return this.synced;
  }

  // One `ls-remote` (no pack negotiation, no lock) instead of a fetch that would change no release; a moved, added
  // or deleted tag still shows. Any failure means "fetch", which reports what is wrong as it always did.
  private async tagsCurrent(): Promise<boolean> {
    if (!existsSync(path.join(this.mirrorDir, 'HEAD'))) return false;
    const lines = (text: string) => text.split('\n').filter(Boolean).sort().join('\n');
    this.tagsBeforeSync = this.readTags();
    this.tagsBeforeSync.catch(() => undefined); // read again after the fetch when it failed
    try {
      const [remote, local] = await Promise.all([
        gitText(['--git-dir', this.mirrorDir, 'ls-remote', '--tags', '--refs', 'origin'], { cwd: this.cacheDir }),
        gitText(['--git-dir', this.mirrorDir, 'for-each-ref', '--format=%(objectname)%09%(refname)', 'refs/tags'], { cwd: this.cacheDir }),
      ]);
      if (lines(remote) === lines(local)) return true;
    } catch {
      // fetch
    }
    this.tagsBeforeSync = undefined;
    return false;
  }

  private async cloneOrFetch(): Promise<void> {
    tracePhase('cache:mirror');
    try {
      if (existsSync(path.join(this.mirrorDir, 'HEAD'))) {
        await runGitWithProgress(
          ['--git-dir', this.mirrorDir, 'fetch', '--prune', '--force', '--progress', 'origin'],
          this.cacheDir,
          this.progress,
          `fetching ${this.url}`,
        );
        return;
      }
      await fs.mkdir(path.dirname(this.mirrorDir), { recursive: true });
      // under the mirror lock: any other temp clone of this mirror belongs to a killed run
      await removeLeftovers(path.dirname(this.mirrorDir), `${path.basename(this.mirrorDir)}.tmp-`);
      const tmp = `${this.mirrorDir}.tmp-${process.pid}-${Date.now()}`;
      try {
        await runGitWithProgress(
          ['clone', '--mirror', '--progress', '--', this.url, tmp],
          this.cacheDir,
          this.progress,
          `cloning ${this.url}`,
        );
        await fs.rename(tmp, this.mirrorDir);
      } finally {
        await fs.rm(tmp, { recursive: true, force: true });
      }
    } catch (error) {
      if (isMeshforkError(error) && error.code === 'TOOL_FAILED') {
        throw new MeshforkError('UPSTREAM_UNREACHABLE', `git upstream ${this.url} unreachable: ${error.message}`, {
          hint: 'check the URL in meshfork.config.json (upstream.url), the network and your git credentials, then run again',
          cause: error,
          details: error.details,
        });
      }
      throw error;
    }
  }

  private releases(): Promise<Map<string, Release>> {
    this.tags ??= this.sync().then(() => this.tagsBeforeSync ?? this.readTags());
    return this.tags;
  }

  private async readTags(): Promise<Map<string, Release>> {
    const format =
      '%(refname:strip=2)%00%(objecttype)%00%(objectname)%00%(*objecttype)%00%(*objectname)%00%(committerdate:iso-strict)%00%(*committerdate:iso-strict)';
    const out = await gitText(['--git-dir', this.mirrorDir, 'for-each-ref', `--format=${format}`, `refs/tags/${this.tagPattern}`], {
      cwd: this.cacheDir,
    });
    const found = new Map<string, Release>();
    for (const line of out.split('\n').filter(Boolean)) {
      const [tag, type, oid, peeledType, peeledOid, date, peeledDate] = line.split('\0');
      const version = versionOfTag(tag);
      const commit = type === 'commit' ? oid : peeledType === 'commit' ? peeledOid : undefined;
      if (!version || !commit || found.has(version)) continue;
      found.set(version, { version, date: isoDate(type === 'commit' ? date : peeledDate), identity: commit });
    }
    return found;
  }

  async listReleases(): Promise<Release[]> {
    return [...(await this.releases()).values()].sort((a, b) => semver.compare(a.version, b.version));
  }

  async identify(version: string): Promise<Release> {
    const release = (await this.releases()).get(version);
    if (!release) {
      throw new MeshforkError('VERSION_UNKNOWN', `${version}: no tag matching "${this.tagPattern}" names this release in ${this.url}`, {
        hint: 'run `meshfork upstream list` to see the releases upstream has',
      });
    }
    return release;
  }

  async commitOf(version: string): Promise<string> {
    return (await this.identify(version)).identity;
  }

  private reader(): GitCatFile {
    this.catFile ??= new GitCatFile(this.mirrorDir);
    return this.catFile;
  }

  async readDirect(release: Release, file: string): Promise<Buffer | undefined> {
    await this.sync();
    const object = await this.reader().read(`${release.identity}:${file}`);
    return object?.type === 'blob' ? object.content : undefined;
  }

  async populate(release: Release, blobs: BlobStore): Promise<Record<string, ManifestEntry>> {
    await this.sync();
    const listing = await runGit(['--git-dir', this.mirrorDir, 'ls-tree', '-r', '-z', '--full-tree', release.identity], {
      cwd: this.cacheDir,
    });
    const entries: { mode: BlobMode; oid: string; path: string }[] = [];
    for (const record of listing.stdout.toString('utf8').split('\0')) {
      const match = /^(\d+) (\w+) ([0-9a-f]+)\t([\s\S]+)$/.exec(record);
      if (!match || match[2] !== 'blob') continue;
      const mode = match[1] === '100755' ? '100755' : match[1] === '120000' ? '120000' : '100644';
      entries.push({ mode, oid: match[3], path: match[4] });
    }
    const index = new GitBlobIndex(`${this.mirrorDir}.blobs.json`);
    await index.load();
    const files: Record<string, ManifestEntry> = {};
    const toRead: typeof entries = [];
    for (const entry of entries) {
      const known = index.get(entry.oid);
      if (known && (await blobs.ensureSound(known.hash, entry.mode, known.size))) files[entry.path] = { ...known, mode: entry.mode };
      else toRead.push(entry);
    }
    let bytes = 0;
    this.progress.start(`reading ${release.version} from the mirror`);
    try {
      for (let i = 0; i < toRead.length; i += BATCH) {
        const batch = toRead.slice(i, i + BATCH);
        const objects = await Promise.all(batch.map((e) => this.reader().read(e.oid)));
        for (const [j, entry] of batch.entries()) {
          const object = objects[j];
          if (!object)
            throw new MeshforkError('CACHE_CORRUPT', `${this.mirrorDir}: blob ${entry.oid} (${entry.path}) is missing from the mirror`, {
              hint: `delete ${this.mirrorDir} and run again`,
            });
          const blob = { hash: await blobs.put(object.content, entry.mode), size: object.content.length };
          files[entry.path] = { ...blob, mode: entry.mode };
          index.set(entry.oid, blob);
          bytes += object.content.length;
        }
        this.progress.advance(bytes);
      }
    } finally {
      this.progress.finish();
    }
    if (toRead.length > 0) await index.save();
    return files;
  }

  close(): void {
    this.catFile?.close();
  }
}
