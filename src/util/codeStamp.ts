import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const BUILD_STAMP_FILE = 'build-stamp';

const CODE_ROOT = path.resolve(__dirname, '..');

export function walkStamp(root: string): string {
  const hash = createHash('sha256');
  for (const name of (readdirSync(root, { recursive: true }) as string[]).sort()) {
    if (name === BUILD_STAMP_FILE) continue;
    const stat = statSync(path.join(root, name), { throwIfNoEntry: false });
    if (stat?.isFile()) hash.update(`${name}\0${stat.size}\0${stat.mtimeMs}\0${stat.ino}\n`);
  }
  return hash.digest('hex');
}

/** A stamp of meshfork's own code, so nothing an older build remembered is reused: the stamp file, else a walk (src/ under ts-jest, or a bare tsc after the build). */
export function codeStamp(root = CODE_ROOT): string {
  const stampFile = path.join(root, BUILD_STAMP_FILE);
  const stamped = statSync(stampFile, { throwIfNoEntry: false });
  const main = statSync(path.join(root, 'cli', 'main.js'), { throwIfNoEntry: false });
  if (stamped && (!main || stamped.mtimeMs >= main.mtimeMs)) {
    try {
      return readFileSync(stampFile, 'utf8').trim();
    } catch {
      // unreadable: walk
    }
  }
  return walkStamp(root);
}

if (require.main === module) writeFileSync(path.join(CODE_ROOT, BUILD_STAMP_FILE), `${walkStamp(CODE_ROOT)}\n`);
