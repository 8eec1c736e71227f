/*
 * An independent soundness check of a meshfork cache folder: every blob's bytes hash to its name,
 * and every manifest present (written last, so it means "this release is complete") parses and
 * names only blobs that are there and sound. Temp files of killed runs are counted, not failed:
 * the next run removes them.
 */
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';

export interface CacheCheck {
  blobs: number;
  manifests: number;
  leftovers: string[];
  problems: string[];
}

function blobBytes(file: string): Buffer {
  const stat = lstatSync(file);
  return stat.isSymbolicLink() ? Buffer.from(readlinkSync(file)) : readFileSync(file);
}

export function checkCache(cacheDir: string): CacheCheck {
  const result: CacheCheck = { blobs: 0, manifests: 0, leftovers: [], problems: [] };
  const blobRoot = path.join(cacheDir, 'blobs');
  const sound = new Set<string>();
  if (existsSync(blobRoot)) {
    for (const prefix of readdirSync(blobRoot)) {
      const dir = path.join(blobRoot, prefix);
      if (!/^[0-9a-f]{2}$/.test(prefix) || !lstatSync(dir).isDirectory()) {
        result.leftovers.push(`blobs/${prefix}`);
        continue;
      }
      for (const name of readdirSync(dir)) {
        const match = /^([0-9a-f]{62})(\.x|\.l)?$/.exec(name);
        if (!match) {
          result.leftovers.push(`blobs/${prefix}/${name}`);
          continue;
        }
        result.blobs += 1;
        const actual = createHash('sha256')
          .update(blobBytes(path.join(dir, name)))
          .digest('hex');
        if (actual !== prefix + match[1]) result.problems.push(`blobs/${prefix}/${name} holds bytes hashing to ${actual}`);
        else sound.add(`${prefix}/${name}`);
      }
    }
  }
  const manifestRoot = path.join(cacheDir, 'manifests');
  if (existsSync(manifestRoot)) {
    for (const name of readdirSync(manifestRoot)) {
      if (!/^[0-9a-f]{64}\.json$/.test(name)) {
        result.leftovers.push(`manifests/${name}`);
        continue;
      }
      result.manifests += 1;
      let manifest: { files: Record<string, { hash: string; mode: string }> };
      try {
        manifest = JSON.parse(readFileSync(path.join(manifestRoot, name), 'utf8'));
      } catch (error) {
        result.problems.push(`manifests/${name} is not JSON: ${(error as Error).message}`);
        continue;
      }
      for (const [file, entry] of Object.entries(manifest.files)) {
        const suffix = entry.mode === '100755' ? '.x' : entry.mode === '120000' ? '.l' : '';
        if (!sound.has(`${entry.hash.slice(0, 2)}/${entry.hash.slice(2)}${suffix}`))
          result.problems.push(`manifests/${name}: ${file} has no sound blob`);
      }
    }
  }
  return result;
}
