import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { sha256 } from './blobStore';

export interface IndexedBlob {
  hash: string;
  size: number;
}

/** git blob id -> sha256, per mirror, so a new release reads only changed blobs; a damaged index is ignored. */
export class GitBlobIndex {
  private entries = new Map<string, IndexedBlob>();

  constructor(readonly file: string) {}

  async load(): Promise<void> {
    try {
      const parsed = JSON.parse(await fs.readFile(this.file, 'utf8')) as { digest?: unknown; entries?: unknown };
      const entries = parsed.entries;
      if (!Array.isArray(entries) || parsed.digest !== sha256(JSON.stringify(entries))) return;
      for (const item of entries as unknown[]) {
        if (Array.isArray(item) && typeof item[0] === 'string' && typeof item[1] === 'string' && typeof item[2] === 'number') {
          this.entries.set(item[0], { hash: item[1], size: item[2] });
        }
      }
    } catch {
      // absent or unreadable: start empty
    }
  }

  get(oid: string): IndexedBlob | undefined {
    return this.entries.get(oid);
  }

  set(oid: string, blob: IndexedBlob): void {
    this.entries.set(oid, blob);
  }

  async save(): Promise<void> {
    const entries = [...this.entries.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([oid, b]) => [oid, b.hash, b.size]);
    const tmp = `${this.file}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
    await fs.writeFile(tmp, JSON.stringify({ digest: sha256(JSON.stringify(entries)), entries }));
    await fs.rename(tmp, this.file);
  }
}
