import { chmodSync, constants, copyFileSync, linkSync, mkdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import type { BlobStore } from './blobStore';
import type { BlobStamps } from './blobStamps';
import type { Manifest } from './manifest';

export async function forEachLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]);
  });
  await Promise.all(workers);
}

/** Missing or corrupt (deleted) blobs: one sync stat each; only those that look off, or whose stamp fails, are hashed. */
export async function unsoundFiles(manifest: Manifest, blobs: BlobStore, stamps?: BlobStamps): Promise<string[]> {
  const suspect = Object.entries(manifest.files).filter(([, entry]) => !blobs.looksSoundSync(entry.hash, entry.mode, entry.size, stamps));
  const bad: string[] = [];
  await forEachLimit(suspect, 32, async ([file, entry]) => {
    if (!(await blobs.ensureSound(entry.hash, entry.mode, entry.size, stamps !== undefined))) bad.push(file);
    else if (stamps) stampBlob(blobs, stamps, entry.hash, entry.mode);
  });
  return bad.sort();
}

function stampBlob(blobs: BlobStore, stamps: BlobStamps, hash: string, mode: Manifest['files'][string]['mode']): void {
  const stat = statSync(blobs.pathOf(hash, mode), { throwIfNoEntry: false });
  if (stat) stamps.note(blobs.keyOf(hash, mode), stat);
}

export function stampRelease(manifest: Manifest, blobs: BlobStore, stamps: BlobStamps): void {
  for (const entry of Object.values(manifest.files)) stampBlob(blobs, stamps, entry.hash, entry.mode);
}

export function linksPerBlob(manifest: Manifest, blobs: BlobStore): Map<string, number> {
  const links = new Map<string, number>();
  for (const entry of Object.values(manifest.files)) {
    if (entry.mode === '120000') continue;
    const key = blobs.keyOf(entry.hash, entry.mode);
    links.set(key, (links.get(key) ?? 0) + 1);
  }
  return links;
}

/**
 * Hard links (across filesystems a clone or copy): verify blobs first, replace and never edit a linked file.
 * Synchronous like `cp -al`: for thousands of links a promise each costs more than the links.
 */
export async function linkTree(manifest: Manifest, blobs: BlobStore, dir: string): Promise<void> {
  const entries = Object.entries(manifest.files).sort(([a], [b]) => (a < b ? -1 : 1));
  const folders = new Set<string>();
  for (const [file] of entries)
    for (let d = path.posix.dirname(file); d !== '.' && !folders.has(d); d = path.posix.dirname(d)) folders.add(d);
  mkdirSync(dir, { recursive: true });
  for (const folder of [...folders].sort()) mkdirSync(path.join(dir, folder), { recursive: true });
  let canLink = true;
  for (const [file, entry] of entries) {
    const source = blobs.pathOf(entry.hash, entry.mode);
    const target = path.join(dir, file);
    if (entry.mode === '120000') {
      symlinkSync(readFileSync(source).toString('utf8'), target);
      continue;
    }
    if (canLink) {
      try {
        linkSync(source, target);
        continue;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'EMLINK') throw error;
        canLink = false;
      }
    }
    copyFileSync(source, target, constants.COPYFILE_FICLONE);
    chmodSync(target, entry.mode === '100755' ? 0o755 : 0o644);
  }
}
