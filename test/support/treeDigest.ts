import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';

/** A digest of every path, mode, link target and byte under dir: equal digests mean nothing was written. */
export function treeDigest(dir: string): string {
  const hash = createHash('sha256');
  const walk = (rel: string): void => {
    const full = path.join(dir, rel);
    const stat = lstatSync(full);
    if (stat.isSymbolicLink()) hash.update(`L ${rel} ${readlinkSync(full)}\n`);
    else if (stat.isDirectory()) {
      hash.update(`D ${rel}\n`);
      for (const name of readdirSync(full).sort()) walk(path.join(rel, name));
    } else hash.update(`F ${rel} ${stat.mode.toString(8)}\n`).update(readFileSync(full));
  };
  walk('.');
  return hash.digest('hex');
}
