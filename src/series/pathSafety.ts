import { promises as fs } from 'node:fs';
import path from 'node:path';
import { MeshforkError } from '../errors';

/** Why a repository-relative path is unsafe, or undefined when it is fine. */
export function unsafePathReason(p: string): string | undefined {
  if (p.length === 0) return 'empty path';
  if (p.includes('\0')) return 'path contains a NUL byte';
  if (p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p)) return 'absolute path';
  if (p.includes('\\')) return 'path contains a backslash';
  const segments = p.split('/');
  if (segments.some((s) => s === '..')) return 'path leaves the tree with ".."';
  if (segments.some((s) => s === '' || s === '.')) return 'path has an empty or "." segment';
  if (segments.some((s) => s.toLowerCase() === '.git')) return 'path points into .git/';
  return undefined;
}

/** Refuse absolute paths, `..`, `.git/` (where names the patch file and line). */
export function assertSafePath(p: string, where: string): void {
  const reason = unsafePathReason(p);
  if (reason) {
    throw new MeshforkError('PATH_UNSAFE', `${where}: refusing to touch "${p}": ${reason}`, {
      hint: 'patches may only touch relative paths inside the upstream tree; fix or remove this patch',
    });
  }
}

/**
 * Refuse a path that resolves through a symlink to somewhere outside root, before writing it on disk.
 * Checks the deepest existing ancestor (and the file itself when it is a link).
 */
export async function assertInsideTree(root: string, relPath: string, where: string): Promise<void> {
  assertSafePath(relPath, where);
  const realRoot = await fs.realpath(root);
  let probe = path.join(root, relPath);
  for (;;) {
    try {
      const real = await fs.realpath(probe);
      if (real !== realRoot && !real.startsWith(realRoot + path.sep)) {
        throw new MeshforkError('PATH_UNSAFE', `${where}: refusing to touch "${relPath}": it resolves through a symlink to ${real}, outside the tree`, {
          hint: 'remove the symlink from the tree or the path from the patch',
        });
      }
      return;
    } catch (error) {
      if (error instanceof MeshforkError) throw error;
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') throw error;
      // A dangling link is as dangerous as a live one: check where it points.
      const link = await fs.readlink(probe).catch(() => undefined);
      if (link !== undefined) {
        const target = path.resolve(path.dirname(probe), link);
        if (target !== realRoot && !target.startsWith(realRoot + path.sep)) {
          throw new MeshforkError('PATH_UNSAFE', `${where}: refusing to touch "${relPath}": it is a symlink to ${target}, outside the tree`, {
            hint: 'remove the symlink from the tree or the path from the patch',
          });
        }
      }
      const parent = path.dirname(probe);
      if (parent === probe) return;
      probe = parent;
    }
  }
}
