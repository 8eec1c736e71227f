import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { sha256, type BlobMode } from './blobStore';

/** One file of a release in the cache. */
export interface ManifestEntry {
  hash: string;
  size: number;
  mode: BlobMode;
}

/** Every file of one release, keyed by its identity (npm integrity or git commit). */
export interface Manifest {
  identity: string;
  version: string;
  files: Record<string, ManifestEntry>;
}

interface ManifestFile extends Manifest {
  format: 1;
  digest: string;
}

const MODES: readonly string[] = ['100644', '100755', '120000'];

/**
 * The manifest file's shape, checked by hand: meshfork writes these files itself (and their digest
 * catches any change), so a validation library would only add start-up time to every warm command.
 */
function asManifestFile(raw: unknown): ManifestFile | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const { format, digest, identity, version, files } = raw as Record<string, unknown>;
  if (format !== 1 || typeof digest !== 'string' || typeof identity !== 'string' || typeof version !== 'string') return undefined;
  if (typeof files !== 'object' || files === null || Array.isArray(files)) return undefined;
  for (const entry of Object.values(files) as Partial<Record<string, unknown>>[]) {
    if (typeof entry !== 'object' || entry === null) return undefined;
    const { hash, size, mode } = entry;
    if (typeof hash !== 'string' || !/^[0-9a-f]{64}$/.test(hash) || !Number.isSafeInteger(size) || (size as number) < 0 || !MODES.includes(mode as string)) return undefined;
  }
  return raw as ManifestFile;
}

function digestOf(manifest: Manifest): string {
  return sha256(JSON.stringify([manifest.identity, manifest.version, Object.entries(manifest.files).sort(([a], [b]) => (a < b ? -1 : 1))]));
}

/** <root>/<sha256(identity)>.json; written last when a release is cached, so its presence means complete. */
export class ManifestStore {
  constructor(readonly root: string) {}

  pathOf(identity: string): string {
    return path.join(this.root, `${sha256(identity)}.json`);
  }

  /** The manifest if present and intact; a truncated or altered one is deleted and reported absent. */
  async read(identity: string): Promise<Manifest | undefined> {
    const file = this.pathOf(identity);
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch {
      return undefined;
    }
    let parsed: ManifestFile | undefined;
    try {
      parsed = asManifestFile(JSON.parse(text));
    } catch {
      parsed = undefined;
    }
    const manifest = parsed && { identity: parsed.identity, version: parsed.version, files: parsed.files };
    if (!parsed || !manifest || parsed.identity !== identity || digestOf(manifest) !== parsed.digest) {
      await fs.rm(file, { force: true });
      return undefined;
    }
    return manifest;
  }

  async write(manifest: Manifest): Promise<void> {
    const file = this.pathOf(manifest.identity);
    await fs.mkdir(this.root, { recursive: true });
    const body = JSON.stringify({ format: 1, digest: digestOf(manifest), ...manifest });
    const tmp = `${file}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
    try {
      await fs.writeFile(tmp, body);
      await fs.rename(tmp, file);
    } catch (error) {
      await fs.rm(tmp, { force: true });
      throw error;
    }
  }
}
