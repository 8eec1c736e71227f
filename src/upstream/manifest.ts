import { randomBytes } from 'node:crypto';
import { promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import { sha256, type BlobMode } from './blobStore';

export interface ManifestEntry {
  hash: string;
  size: number;
  mode: BlobMode;
}

export interface Manifest {
  identity: string;
  version: string;
  files: Record<string, ManifestEntry>;
}

interface ManifestFile extends Manifest {
  format: 1 | 2;
  digest: string;
}

const MODES: readonly string[] = ['100644', '100755', '120000'];

/** Checked by hand: meshfork writes these itself and the digest catches changes; zod would slow every warm command. */
function asManifestFile(raw: unknown): ManifestFile | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const { format, digest, identity, version, files } = raw as Record<string, unknown>;
  if ((format !== 1 && format !== 2) || typeof digest !== 'string' || typeof identity !== 'string' || typeof version !== 'string')
    return undefined;
  if (typeof files !== 'object' || files === null || Array.isArray(files)) return undefined;
  for (const entry of Object.values(files) as Partial<Record<string, unknown>>[]) {
    if (typeof entry !== 'object' || entry === null) return undefined;
    const { hash, size, mode } = entry;
    if (
      typeof hash !== 'string' ||
      !/^[0-9a-f]{64}$/.test(hash) ||
      !Number.isSafeInteger(size) ||
      (size as number) < 0 ||
      !MODES.includes(mode as string)
    )
      return undefined;
  }
  return raw as ManifestFile;
}

function digestOfContent(manifest: Manifest): string {
  return sha256(JSON.stringify([manifest.identity, manifest.version, Object.entries(manifest.files).sort(([a], [b]) => (a < b ? -1 : 1))]));
}

// Format 2 ends with the sha256 of every byte before `,"digest"`, so a read hashes the bytes it parses, once
// (format 1 re-serialised the content: ~25 ms a read for MeshCentral).
const DIGEST_KEY = ',"digest":"';
const TRAILER_LENGTH = DIGEST_KEY.length + 64 + 2;

function formatTwo(manifest: Manifest): string {
  const body = JSON.stringify({ format: 2, identity: manifest.identity, version: manifest.version, files: manifest.files }).slice(0, -1);
  return `${body}${DIGEST_KEY}${sha256(body)}"}`;
}

function trailerMatches(bytes: Buffer): boolean {
  const at = bytes.length - TRAILER_LENGTH;
  if (at <= 0 || bytes.toString('latin1', at, at + DIGEST_KEY.length) !== DIGEST_KEY || bytes.toString('latin1', bytes.length - 2) !== '"}')
    return false;
  return sha256(bytes.subarray(0, at)) === bytes.toString('latin1', at + DIGEST_KEY.length, bytes.length - 2);
}

/** <root>/<sha256(identity)>.json; written last when a release is cached, so its presence means complete. */
export class ManifestStore {
  constructor(readonly root: string) {}

  pathOf(identity: string): string {
    return path.join(this.root, `${sha256(identity)}.json`);
  }

  /** A truncated or altered manifest is deleted and reported absent; a format-1 file is rewritten as format 2. */
  async read(identity: string): Promise<Manifest | undefined> {
    const file = this.pathOf(identity);
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch {
      return undefined;
    }
    const sealed = trailerMatches(bytes);
    let parsed: ManifestFile | undefined;
    try {
      parsed = asManifestFile(JSON.parse(bytes.toString('utf8')));
    } catch {
      parsed = undefined;
    }
    const manifest = parsed && { identity: parsed.identity, version: parsed.version, files: parsed.files };
    const intact =
      parsed !== undefined &&
      manifest !== undefined &&
      parsed.identity === identity &&
      (parsed.format === 2 ? sealed : digestOfContent(manifest) === parsed.digest);
    if (!intact || !manifest) {
      await fs.rm(file, { force: true });
      return undefined;
    }
    if (parsed?.format === 1) await this.write(manifest).catch(() => undefined);
    return manifest;
  }

  async write(manifest: Manifest): Promise<void> {
    const file = this.pathOf(manifest.identity);
    await fs.mkdir(this.root, { recursive: true });
    const body = formatTwo(manifest);
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
