// One remembered report per npm release (<cache>/checks/<sha256(identity)>.json, replaced atomically), keyed by all it depends
// on: codeStamp, config, fuzz, the series and patch bytes, the release's and base's npm integrity. A git upstream's report
// also carries mirror history, so it is never remembered.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { LoadedConfig } from '../config/load';
import { LOCK_FILE, LockBook, upstreamKey } from '../upstream/lockFile';
import { sha256 } from '../upstream/blobStore';
import { seriesDigest } from '../series/digest';
import { writeFileAtomic } from '../util/atomic';
import { codeStamp } from '../util/codeStamp';
import type { ReleaseReport } from './schema';

const FORMAT = 1;

export class CheckMemo {
  private constructor(
    private readonly dir: string,
    private readonly lock: LockBook,
    private readonly patchesDir: string,
    private readonly filesDir: string | undefined,
    private readonly inputs: string,
    private readonly series: string,
    private readonly base: string,
  ) {}

  /** undefined when nothing can be remembered (a git upstream, an unreadable series). */
  static open(loaded: LoadedConfig, cacheDir: string, fuzz: number): CheckMemo | undefined {
    const { config } = loaded;
    if (config.upstream.source !== 'npm') return undefined;
    const series = seriesDigest(loaded.patchesDir, loaded.filesDir);
    if (series === undefined) return undefined;
    const lock = new LockBook(path.join(loaded.root, LOCK_FILE), upstreamKey(config.upstream), path.join(cacheDir, 'locks'));
    const inputs = JSON.stringify({ format: FORMAT, code: codeStamp(), config, fuzz });
    return new CheckMemo(path.join(cacheDir, 'checks'), lock, loaded.patchesDir, loaded.filesDir, inputs, series, config.base);
  }

  private fileOf(identity: string): string {
    return path.join(this.dir, `${sha256(identity)}.json`);
  }

  /** The base's identity as the lock has it now (a check may lock it). */
  private async keyOf(version: string, identity: string): Promise<string> {
    const baseIdentity = (await this.lock.identityOf(this.base)) ?? '';
    return sha256(`${this.inputs}\0${baseIdentity}\0${version}\0${identity}\0${this.series}`);
  }

  identityOf(version: string): Promise<string | undefined> {
    return this.lock.identityOf(version);
  }

  async recall(version: string, identity: string): Promise<ReleaseReport | undefined> {
    let stored: { key?: unknown; release?: ReleaseReport };
    try {
      stored = JSON.parse(readFileSync(this.fileOf(identity), 'utf8')) as typeof stored;
    } catch {
      return undefined;
    }
    if (stored.key !== (await this.keyOf(version, identity)) || typeof stored.release !== 'object' || stored.release === null)
      return undefined;
    return stored.release.version === version && stored.release.identity === identity ? stored.release : undefined;
  }

  /** Skipped when the series changed while it was checked: the report would belong to bytes the key does not describe. */
  async remember(release: ReleaseReport): Promise<void> {
    const { version, identity } = release;
    if (identity === null || seriesDigest(this.patchesDir, this.filesDir) !== this.series) return;
    // A memo that cannot be written (a read-only or full cache) only means the next check is a full one.
    await writeFileAtomic(this.fileOf(identity), JSON.stringify({ key: await this.keyOf(version, identity), release })).catch(
      () => undefined,
    );
  }
}
