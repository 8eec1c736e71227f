import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
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

const manifestFile = z.object({
  format: z.literal(1),
  digest: z.string(),
  identity: z.string(),
  version: z.string(),
  files: z.record(z.string(), z.object({ hash: z.string().regex(/^[0-9a-f]{64}$/), size: z.number().int().nonnegative(), mode: z.enum(['100644', '100755', '120000']) })),
});

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
    let parsed: z.infer<typeof manifestFile> | undefined;
    try {
      const result = manifestFile.safeParse(JSON.parse(text));
      parsed = result.success ? result.data : undefined;
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
