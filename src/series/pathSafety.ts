import { readlinkSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { MeshforkError } from '../errors';

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

const SYMLINK_LOOP = Symbol('symlink loop');

/** Dangling links followed too. Synchronous: apply checks every written file, and a thread-pool round trip per call costs more than the call. */
function resolveForWrite(p: string, hops = 0): string | typeof SYMLINK_LOOP {
  if (hops > 40) return SYMLINK_LOOP;
  try {
    return realpathSync.native(p);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') return SYMLINK_LOOP;
    if (code !== 'ENOENT') throw error;
  }
  let link: string | undefined;
  try {
    link = readlinkSync(p);
  } catch {
    link = undefined;
  }
  // A dangling link is as dangerous as a live one: a write creates its target.
  if (link !== undefined) {
    const folder = resolveForWrite(path.dirname(p), hops + 1);
    return folder === SYMLINK_LOOP ? folder : resolveForWrite(path.resolve(folder, link), hops + 1);
  }
  const parent = path.dirname(p);
  if (parent === p) return p;
  const folder = resolveForWrite(parent, hops);
  return folder === SYMLINK_LOOP ? folder : path.join(folder, path.basename(p));
}

/** Refuse a path that resolves (through live or dangling links, at any level) outside root, before writing it. */
export function assertInsideTreeSync(root: string, relPath: string, where: string, knownRealRoot?: string): void {
  assertSafePath(relPath, where);
  const realRoot = knownRealRoot ?? realpathSync.native(root);
  const real = resolveForWrite(path.join(root, relPath));
  if (real === SYMLINK_LOOP) {
    throw new MeshforkError('PATH_UNSAFE', `${where}: refusing to touch "${relPath}": too many levels of symbolic links`, {
      hint: 'remove the symlink loop from the tree',
    });
  }
  if (real !== realRoot && !real.startsWith(realRoot + path.sep)) {
    throw new MeshforkError(
      'PATH_UNSAFE',
      `${where}: refusing to touch "${relPath}": it resolves through a symlink to ${real}, outside the tree`,
      {
        hint: 'remove the symlink from the tree or the path from the patch',
      },
    );
  }
}

export async function assertInsideTree(root: string, relPath: string, where: string): Promise<void> {
  assertInsideTreeSync(root, relPath, where);
}
