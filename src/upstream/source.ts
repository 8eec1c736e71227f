import type { BlobStore } from './blobStore';
import type { ManifestEntry } from './manifest';

export function isoDate(text: string | undefined): string | undefined {
  const time = text ? Date.parse(text) : NaN;
  return Number.isNaN(time) ? undefined : new Date(time).toISOString();
}

/** One upstream release and the identity that proves which content it is. */
export interface Release {
  version: string;
  date?: string;
  identity: string; // npm sha512 integrity, or git commit
}

/** npm registry or git repository; the cache sits in front of it. */
export interface ReleaseSource {
  readonly kind: 'npm' | 'git';
  /** npm never republishes a version: a locked release already in the cache needs no network round trip. */
  readonly immutable: boolean;
  readonly packageName?: string; // every release must name it in package.json (npm only)
  listReleases(): Promise<Release[]>; // ascending semver
  identify(version: string): Promise<Release>;
  populate(release: Release, blobs: BlobStore): Promise<Record<string, ManifestEntry>>;
  readDirect?(release: Release, path: string): Promise<Buffer | undefined>;
  close(): void;
}
