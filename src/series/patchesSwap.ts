import { promises as fs } from 'node:fs';
import path from 'node:path';
import { tracePhase } from '../util/tracePhase';

/**
 * patches/ is replaced as a set: the new set is written completely in a sibling folder, then two
 * renames swap it in. A process killed at any moment leaves one of the states below, and
 * `recoverPatchesSwap` (run first by every command that reads patches/) turns each into exactly
 * the old set or the new set:
 *   new folder only         -> killed while writing: drop it, the old set stands
 *   old + new, no patches/  -> killed between the renames: the new set is complete, move it in
 *   old folder + patches/   -> killed before cleanup: the new set is in place, drop the old one
 */
export function swapPaths(patchesDir: string): { fresh: string; retired: string } {
  const parent = path.dirname(patchesDir);
  const base = path.basename(patchesDir);
  return { fresh: path.join(parent, `.${base}.meshfork-new`), retired: path.join(parent, `.${base}.meshfork-old`) };
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.lstat(p);
    return true;
  } catch {
    return false;
  }
}

/** Finish or undo an interrupted swap. Returns what it did, for messages ('none' when nothing was pending). */
export async function recoverPatchesSwap(patchesDir: string): Promise<'none' | 'rolled-back' | 'completed'> {
  const { fresh, retired } = swapPaths(patchesDir);
  const hasFresh = await exists(fresh);
  const hasRetired = await exists(retired);
  const hasCurrent = await exists(patchesDir);
  if (!hasFresh && !hasRetired) return 'none';
  if (hasRetired && !hasCurrent) {
    if (hasFresh) {
      await fs.rename(fresh, patchesDir);
      await fs.rm(retired, { recursive: true, force: true });
      return 'completed';
    }
    await fs.rename(retired, patchesDir);
    return 'rolled-back';
  }
  if (hasRetired) {
    await fs.rm(retired, { recursive: true, force: true });
    if (hasFresh) await fs.rm(fresh, { recursive: true, force: true });
    return 'completed';
  }
  await fs.rm(fresh, { recursive: true, force: true });
  return 'rolled-back';
}

async function writeSynced(file: string, data: Buffer): Promise<void> {
  const handle = await fs.open(file, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function syncDir(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Replace the folder `patchesDir` with exactly `files` (relative path -> bytes). Readers see the old set or the new set, never a mix.
 */
export async function replacePatchesDir(patchesDir: string, files: Map<string, Buffer>): Promise<void> {
  await recoverPatchesSwap(patchesDir);
  const { fresh, retired } = swapPaths(patchesDir);
  tracePhase('patches:write');
  await fs.mkdir(fresh, { recursive: true });
  for (const [name, data] of files) {
    const target = path.join(fresh, name);
    await fs.mkdir(path.dirname(target), { recursive: true });
    await writeSynced(target, data);
  }
  await syncDir(fresh);
  tracePhase('patches:swap');
  if (await exists(patchesDir)) await fs.rename(patchesDir, retired);
  await fs.rename(fresh, patchesDir);
  await syncDir(path.dirname(patchesDir));
  tracePhase('patches:cleanup');
  await fs.rm(retired, { recursive: true, force: true });
  tracePhase('patches:done');
}
