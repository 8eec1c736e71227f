/*
 * What `sync check` remembers: the report of one npm release for one exact set of inputs, so checking
 * an unchanged series against an unchanged release again costs reading the inputs, not the engine.
 *
 * The key covers everything a release's report depends on: meshfork's code (codeStamp), the config,
 * the fuzz factor, the bytes of the series file and of every patch it lists, and the identities of
 * the release and of the base (npm integrity, from the lock file). Any difference is a miss. Only
 * npm releases are remembered: a git upstream's report also carries history read from the mirror.
 * One file per release (<cache>/checks/<sha256(identity)>.json), replaced atomically, so the folder
 * holds at most one report for each release ever checked.
 */
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

  /** The memo of this project's check, or undefined when nothing can be remembered (a git upstream, an unreadable series). */
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

  /** The key of one release's report; the base's identity as the lock file has it now (a check may lock it). */
  private async keyOf(version: string, identity: string): Promise<string> {
    const baseIdentity = (await this.lock.identityOf(this.base)) ?? '';
    return sha256(`${this.inputs}\0${baseIdentity}\0${version}\0${identity}\0${this.series}`);
  }

  /** The identity the lock file gives `version`, if any. */
  identityOf(version: string): Promise<string | undefined> {
    return this.lock.identityOf(version);
  }

  /** The report remembered for exactly these inputs, or undefined. */
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

  /**
   * Remember a report just computed. Skipped when the series changed while it was checked: the
   * report would then belong to bytes the key does not describe.
   */
  async remember(release: ReleaseReport): Promise<void> {
    const { version, identity } = release;
    if (identity === null || seriesDigest(this.patchesDir, this.filesDir) !== this.series) return;
    // A memo that cannot be written (a read-only or full cache) only means the next check is a full one.
    await writeFileAtomic(this.fileOf(identity), JSON.stringify({ key: await this.keyOf(version, identity), release })).catch(
      () => undefined,
    );
  }
}
