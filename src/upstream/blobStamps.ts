import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync, type Stats } from 'node:fs';
import path from 'node:path';

/**
 * A blob file's inode, change time and link count when its bytes were last known good; or, after
 * meshfork linked it, the window its ctime was set in (a stat after each of thousands of links would
 * cost as much as the links).
 */
type Stamp = [ino: number, ctimeMs: number, nlink: number] | [ino: number, fromMs: number, toMs: number, nlink: number];

function isStamp(value: unknown): value is Stamp {
  return Array.isArray(value) && (value.length === 3 || value.length === 4) && value.every((n) => typeof n === 'number');
}

/**
 * The kernel stamps ctime from a coarse clock, up to a tick behind Date.now(): the window opens this
 * much earlier. It closes when the links are done (a coarse time is never ahead of Date.now()), so
 * only a forgery within a clock tick of the last link could pass for one.
 */
const CLOCK_SLACK_MS = 50;

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
  /** The last stat of each blob this run checked. */
  private readonly seen = new Map<string, Stats>();
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
    this.seen.set(blob, stat);
    const stamp = this.stamps.get(blob);
    if (!stamp || stamp[0] !== stat.ino) return false;
    const nlink = stamp.length === 3 ? stamp[2] : stamp[3];
    const same = stamp.length === 3 ? stamp[1] === stat.ctimeMs : stamp[1] <= stat.ctimeMs && stat.ctimeMs <= stamp[2];
    if (same && nlink === stat.nlink) return true;
    if (same || nlink === stat.nlink) return false;
    this.note(blob, stat);
    return true;
  }

  /**
   * The blobs seen by the last check were just linked `links[blob]` more times, between fromMs and
   * toMs (Date.now() around the links): each one's ctime is in that window and its link count up by that.
   */
  linked(links: Map<string, number>, fromMs: number, toMs: number): void {
    for (const [blob, count] of links) {
      const stat = this.seen.get(blob);
      if (!stat) continue;
      this.stamps.set(blob, [stat.ino, fromMs - CLOCK_SLACK_MS, toMs, stat.nlink + count]);
      this.changed = true;
    }
  }

  /** Record the blob's current inode state as known good. */
  note(blob: string, stat: Stats): void {
    this.seen.set(blob, stat);
    const stamp: Stamp = [stat.ino, stat.ctimeMs, stat.nlink];
    const was = this.stamps.get(blob);
    if (was && was.length === 3 && was[0] === stamp[0] && was[1] === stamp[1] && was[2] === stamp[2]) return;
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
