import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Written into dist/ by `npm run build` (node dist/util/codeStamp.js), after tsc. */
export const BUILD_STAMP_FILE = 'build-stamp';

const CODE_ROOT = path.resolve(__dirname, '..');

/** The path, size, mtime and inode of every file below root (the stamp file itself aside), hashed. */
export function walkStamp(root: string): string {
  const hash = createHash('sha256');
  for (const name of (readdirSync(root, { recursive: true }) as string[]).sort()) {
    if (name === BUILD_STAMP_FILE) continue;
    const stat = statSync(path.join(root, name), { throwIfNoEntry: false });
    if (stat?.isFile()) hash.update(`${name}\0${stat.size}\0${stat.mtimeMs}\0${stat.ino}\n`);
  }
  return hash.digest('hex');
}

/**
 * A stamp of meshfork's own code, so nothing an older or different build remembered is reused: the
 * build's stamp file (one read and two stats), or a walk of the code folder when there is no stamp
 * (src/ under ts-jest) or it is older than cli/main.js (a bare `tsc` rewrote the code after it).
 */
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
