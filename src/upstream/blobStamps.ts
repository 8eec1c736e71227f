import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync, type Stats } from 'node:fs';
import path from 'node:path';

// Known-good inode, ctime, links; after meshfork links a blob, the window its ctime fell in (a stat per link costs as much).
type Stamp = [ino: number, ctimeMs: number, nlink: number] | [ino: number, fromMs: number, toMs: number, nlink: number];

function isStamp(value: unknown): value is Stamp {
  return Array.isArray(value) && (value.length === 3 || value.length === 4) && value.every((n) => typeof n === 'number');
}

// ctime comes from a coarse clock, up to a tick behind Date.now(): only a forgery within a tick could pass.
const CLOCK_SLACK_MS = 50;

// Size and mtime do not prove a blob's bytes (`touch -r` puts mtime back), but no system call sets ctime: as
// git's index does, a moved ctime means re-hash, unless the link count moved with it (a link made or removed).
/** What each blob of one release looked like when last verified, kept in <cache>/stamps/. */
export class BlobStamps {
  private readonly stamps = new Map<string, Stamp>();
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

  linked(links: Map<string, number>, fromMs: number, toMs: number): void {
    for (const [blob, count] of links) {
      const stat = this.seen.get(blob);
      if (!stat) continue;
      this.stamps.set(blob, [stat.ino, fromMs - CLOCK_SLACK_MS, toMs, stat.nlink + count]);
      this.changed = true;
    }
  }

  note(blob: string, stat: Stats): void {
    this.seen.set(blob, stat);
    const stamp: Stamp = [stat.ino, stat.ctimeMs, stat.nlink];
    const was = this.stamps.get(blob);
    if (was && was.length === 3 && was[0] === stamp[0] && was[1] === stamp[1] && was[2] === stamp[2]) return;
    this.stamps.set(blob, stamp);
    this.changed = true;
  }

  /** Best effort: stamps not written (a full disk) only mean hashing those blobs next time, never trusting them. */
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
