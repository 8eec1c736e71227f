import { promises as fs } from 'node:fs';
import path from 'node:path';
import { tracePhase } from '../util/tracePhase';

/**
 * The new set is written aside, then two renames swap it in; recoverPatchesSwap (run first by every reader) turns a kill anywhere
 * into the old or the new set: new folder only -> drop it; old + new, no patches/ -> move the new in; old + patches/ -> drop the old.
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

/** Returns what it did ('none' when nothing was pending). */
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
