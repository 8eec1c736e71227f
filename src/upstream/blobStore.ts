import { createHash, randomBytes } from 'node:crypto';
import { promises as fs, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { BlobStamps } from './blobStamps';
import { processAlive } from './processLock';

/** Git-style file modes the cache keeps apart: a blob's mode is its inode's, shared by every hard link. */
export type BlobMode = '100644' | '100755' | '120000';

// npm's fixed tarball time (1985-10-26T08:15:00Z), so linked output looks like an npm extraction; a blob whose size
// or mtime differs was written to since (through a hard link) and is re-hashed, as git's index does.
export const BLOB_MTIME_SECONDS = 499162500;

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Content-addressed files: <root>/<hash[0..2]>/<hash[2..]>[.x|.l], written to a temp file then renamed. */
export class BlobStore {
  private readonly prefix: string;

  /** verifyExisting: re-hash a blob already present before trusting it (when rebuilding a corrupt entry). */
  constructor(
    readonly root: string,
    private readonly verifyExisting = false,
  ) {
    const normal = path.normalize(root);
    this.prefix = normal.endsWith(path.sep) ? normal : normal + path.sep;
  }

  pathOf(hash: string, mode: BlobMode): string {
    return this.prefix + this.keyOf(hash, mode);
  }

  keyOf(hash: string, mode: BlobMode): string {
    const suffix = mode === '100755' ? '.x' : mode === '120000' ? '.l' : '';
    return `${hash.slice(0, 2)}/${hash.slice(2)}${suffix}`;
  }

  async put(content: Buffer, mode: BlobMode): Promise<string> {
    const hash = sha256(content);
    const target = this.pathOf(hash, mode);
    const present = this.verifyExisting ? (await this.read(hash, mode)) !== undefined : await this.looksSound(target, content.length);
    if (present) {
      if (this.verifyExisting) await fs.utimes(target, BLOB_MTIME_SECONDS, BLOB_MTIME_SECONDS);
      return hash;
    }
    await fs.mkdir(path.dirname(target), { recursive: true });
    const tmp = `${target}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
    try {
      await fs.writeFile(tmp, content, { mode: mode === '100755' ? 0o755 : 0o644 });
      await fs.chmod(tmp, mode === '100755' ? 0o755 : 0o644);
      await fs.utimes(tmp, BLOB_MTIME_SECONDS, BLOB_MTIME_SECONDS);
      await fs.rename(tmp, target);
    } catch (error) {
      await fs.rm(tmp, { force: true });
      throw error;
    }
    return hash;
  }

  async looksSound(file: string, size: number): Promise<boolean> {
    try {
      const stat = await fs.stat(file);
      return stat.isFile() && stat.size === size && Math.floor(stat.mtimeMs / 1000) === BLOB_MTIME_SECONDS;
    } catch {
      return false;
    }
  }

  /** Without a promise: thousands of stats in a row, where a thread-pool hop each costs more than the call. */
  looksSoundSync(hash: string, mode: BlobMode, size: number, stamps?: BlobStamps): boolean {
    if (this.verifyExisting) return false;
    const stat = statSync(this.pathOf(hash, mode), { throwIfNoEntry: false });
    if (stat === undefined || !stat.isFile() || stat.size !== size || Math.floor(stat.mtimeMs / 1000) !== BLOB_MTIME_SECONDS) return false;
    return stamps === undefined || stamps.vouchesFor(this.keyOf(hash, mode), stat);
  }

  /** Verified against its hash; a corrupt blob is deleted and undefined returned, so the caller rebuilds it. */
  async read(hash: string, mode: BlobMode): Promise<Buffer | undefined> {
    const file = this.pathOf(hash, mode);
    let content: Buffer;
    try {
      // synchronous: one read of a known size, where the promise API reads a large file in rounds
      content = readFileSync(file);
    } catch {
      return undefined;
    }
    if (sha256(content) === hash) return content;
    await fs.rm(file, { force: true });
    return undefined;
  }

  async removeLeftovers(): Promise<void> {
    const folders = await fs.readdir(this.root).catch(() => [] as string[]);
    for (const folder of folders) {
      const names = await fs.readdir(path.join(this.root, folder)).catch(() => [] as string[]);
      for (const name of names) {
        const pid = /\.(\d+)-[0-9a-f]+\.tmp$/.exec(name)?.[1];
        if (pid !== undefined && !processAlive(Number(pid))) await fs.rm(path.join(this.root, folder, name), { force: true });
      }
    }
  }

  async ensureSound(hash: string, mode: BlobMode, size: number, rehash = false): Promise<boolean> {
    const file = this.pathOf(hash, mode);
    if (!this.verifyExisting && !rehash && (await this.looksSound(file, size))) return true;
    if ((await this.read(hash, mode)) === undefined) return false;
    await fs.utimes(file, BLOB_MTIME_SECONDS, BLOB_MTIME_SECONDS);
    return true;
  }
}
