import type { BlobStore } from './blobStore';
import type { ManifestEntry } from './manifest';

/** Dates in one form for both sources: ISO 8601 in UTC. */
export function isoDate(text: string | undefined): string | undefined {
  const time = text ? Date.parse(text) : NaN;
  return Number.isNaN(time) ? undefined : new Date(time).toISOString();
}

/** One upstream release and the identity that proves which content it is. */
export interface Release {
  version: string;
  date?: string;
  /** npm sha512 integrity, or git commit. */
  identity: string;
}

/** Where releases come from (npm registry or git repository); the cache sits in front of it. */
export interface ReleaseSource {
  readonly kind: 'npm' | 'git';
  /**
   * True when a version's identity cannot change upstream (npm never republishes a version), so a
   * locked release already in the cache needs no network round trip.
   */
  readonly immutable: boolean;
  /** The package every release must name in its package.json (npm); undefined where releases need not name one (git). */
  readonly packageName?: string;
  /** Every release, ascending semver. */
  listReleases(): Promise<Release[]>;
  /** What upstream says `version` is now; VERSION_UNKNOWN when it has no such release. */
  identify(version: string): Promise<Release>;
  /** Put every file of the release into the blob store; returns the manifest's files. */
  populate(release: Release, blobs: BlobStore): Promise<Record<string, ManifestEntry>>;
  /** A single file straight from upstream storage, when the source can do that without fetching the whole release. */
  readDirect?(release: Release, path: string): Promise<Buffer | undefined>;
  close(): void;
}
