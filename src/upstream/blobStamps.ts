import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync, type Stats } from 'node:fs';
import path from 'node:path';

/** A blob file's inode, change time and link count when its bytes were last known good. */
type Stamp = [ino: number, ctimeMs: number, nlink: number];

function isStamp(value: unknown): value is Stamp {
  return Array.isArray(value) && value.length === 3 && value.every((n) => typeof n === 'number');
}

/**
 * What each blob of one release looked like on disk when meshfork last verified it (hashed it, or
 * linked it after checking), kept in <cache>/stamps/ beside the manifests.
 *
 * A blob's size and mtime alone do not prove its bytes: a write through an output's hard link
 * followed by `touch -r` or `cp -p` puts the mtime back. That changes the inode's ctime, which no
 * system call can set, so (as git's index does) a blob whose ctime moved since it was stamped is
 * hashed again. Linking and unlinking a blob change its ctime too, but also its link count: a
 * change of ctime together with a change of link count is taken for a link added or removed
 * (outputs are made and deleted all the time; hashing a 400 MB release after each would cost more
 * than the build), and the stamp is renewed. Missing or unreadable stamps mean "hash it".
 */
export class BlobStamps {
  private readonly stamps = new Map<string, Stamp>();
  private changed = false;

  constructor(readonly file: string) {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      return;
    }
    const blobs = typeof raw === 'object' && raw !== null ? (raw as { format?: unknown; blobs?: unknown }) : {};
    if (blobs.format !== 1 || typeof blobs.blobs !== 'object' || blobs.blobs === null) return;
    for (const [blob, stamp] of Object.entries(blobs.blobs)) if (isStamp(stamp)) this.stamps.set(blob, stamp);
  }

  /** Whether the blob at `blob` (its path) is the inode stamped, unchanged but for its link count; renews the stamp when only that changed. */
  vouchesFor(blob: string, stat: Stats): boolean {
    const stamp = this.stamps.get(blob);
    if (!stamp || stamp[0] !== stat.ino) return false;
    if (stamp[1] === stat.ctimeMs) return true;
    if (stamp[2] === stat.nlink) return false;
    this.note(blob, stat);
    return true;
  }

  /** Record the blob's current inode state as known good. */
  note(blob: string, stat: Stats): void {
    const stamp: Stamp = [stat.ino, stat.ctimeMs, stat.nlink];
    const was = this.stamps.get(blob);
    if (was && was[0] === stamp[0] && was[1] === stamp[1] && was[2] === stamp[2]) return;
    this.stamps.set(blob, stamp);
    this.changed = true;
  }

  /**
   * Write the stamps if any changed: a temp file renamed into place. Best effort: stamps that could
   * not be written (a full disk) only mean hashing those blobs next time, never trusting them.
   */
  save(): void {
    if (!this.changed) return;
    const tmp = `${this.file}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
    try {
      mkdirSync(path.dirname(this.file), { recursive: true });
      writeFileSync(tmp, JSON.stringify({ format: 1, blobs: Object.fromEntries(this.stamps) }));
      renameSync(tmp, this.file);
      this.changed = false;
    } catch {
      rmSync(tmp, { force: true });
    }
  }
}
