import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { MeshforkError } from '../errors';
import { writeFileAtomic } from '../util/atomic';
import { replacePatchesDir } from '../series/patchesSwap';
import { readTree } from '../workspace/readTree';

export { readTree } from '../workspace/readTree';

/** The project files a rebase may change, and that `sync abort` puts back byte for byte. */
export interface ProjectFiles {
  patchesDir: string;
  configFile: string;
  lockFile: string;
}

const manifestSchema = z.object({
  patchesDir: z.string(),
  configFile: z.string(),
  lockFile: z.string(),
  /** Whether each existed (a file absent before the rebase is removed again by abort). */
  hadPatches: z.boolean(),
  hadLock: z.boolean(),
});
type Manifest = z.infer<typeof manifestSchema>;

async function readIfExists(file: string): Promise<Buffer | undefined> {
  try {
    return await fs.readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Built aside, then renamed in, so a backup is whole or absent. */
export async function takeBackup(backupDir: string, files: ProjectFiles): Promise<void> {
  const tmp = `${backupDir}.tmp`;
  await fs.rm(tmp, { recursive: true, force: true });
  await fs.mkdir(path.join(tmp, 'patches'), { recursive: true });
  const patches = await readTree(files.patchesDir);
  for (const [rel, data] of patches) {
    await fs.mkdir(path.dirname(path.join(tmp, 'patches', rel)), { recursive: true });
    await fs.writeFile(path.join(tmp, 'patches', rel), data);
  }
  const config = await readIfExists(files.configFile);
  if (!config) throw new MeshforkError('CONFIG_MISSING', `${files.configFile}: cannot read config file`);
  await fs.writeFile(path.join(tmp, 'config'), config);
  const lock = await readIfExists(files.lockFile);
  if (lock) await fs.writeFile(path.join(tmp, 'lock'), lock);
  let hadPatches = true;
  try {
    await fs.stat(files.patchesDir);
  } catch {
    hadPatches = false;
  }
  const manifest: Manifest = { ...files, hadPatches, hadLock: lock !== undefined };
  await fs.writeFile(path.join(tmp, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  await fs.rm(backupDir, { recursive: true, force: true });
  await fs.rename(tmp, backupDir);
}

async function readManifest(backupDir: string): Promise<Manifest> {
  const file = path.join(backupDir, 'manifest.json');
  const parsed = manifestSchema.safeParse(JSON.parse(await fs.readFile(file, 'utf8').catch(() => 'null')));
  if (!parsed.success) {
    throw new MeshforkError('STATE_INVALID', `${file}: the rebase backup is missing or damaged`, {
      hint: 'restore patches/, the config and the lock from version control (git checkout -- patches meshfork.config.json meshfork.lock.json)',
    });
  }
  return parsed.data;
}

export function backupPatchesDir(backupDir: string): string {
  return path.join(backupDir, 'patches');
}

export async function restoreBackup(backupDir: string): Promise<void> {
  const manifest = await readManifest(backupDir);
  const patches = await readTree(backupPatchesDir(backupDir));
  if (manifest.hadPatches) await replacePatchesDir(manifest.patchesDir, patches);
  else await fs.rm(manifest.patchesDir, { recursive: true, force: true });
  await writeFileAtomic(manifest.configFile, await fs.readFile(path.join(backupDir, 'config')));
  if (manifest.hadLock) await writeFileAtomic(manifest.lockFile, await fs.readFile(path.join(backupDir, 'lock')));
  else await fs.rm(manifest.lockFile, { force: true });
}
