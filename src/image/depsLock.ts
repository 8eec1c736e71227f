import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { MeshforkError } from '../errors';
import { npmLockOnly } from '../tools/npm';
import { writeFileAtomic } from '../util/atomic';

/** Only what decides `npm ci` enters the dependency layer, so a patch to other package.json fields keeps it cached. */
export interface DepsManifest {
  name: string;
  version: string;
  private: true;
  dependencies: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

function sortedStrings(value: unknown, where: string): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value) || Object.values(value).some((v) => typeof v !== 'string')) {
    throw new MeshforkError('PATCH_INVALID', `${where}: must be an object of package name -> version`, {
      hint: 'fix the package.json the series produces',
    });
  }
  return Object.fromEntries(Object.entries(value as Record<string, string>).sort(([a], [b]) => (a < b ? -1 : 1)));
}

export function depsManifest(packageJson: string, where: string): DepsManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(packageJson);
  } catch (error) {
    throw new MeshforkError('PATCH_INVALID', `${where}: not valid JSON after the series: ${(error as Error).message}`, {
      hint: 'fix the patch that changes package.json',
    });
  }
  const pkg = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const manifest: DepsManifest = {
    name: typeof pkg.name === 'string' ? pkg.name : 'meshcentral',
    version: typeof pkg.version === 'string' ? pkg.version : '0.0.0',
    private: true,
    dependencies: sortedStrings(pkg.dependencies, `${where}: dependencies`) ?? {},
  };
  const optional = sortedStrings(pkg.optionalDependencies, `${where}: optionalDependencies`);
  if (optional && Object.keys(optional).length) manifest.optionalDependencies = optional;
  return manifest;
}

export function manifestText(manifest: DepsManifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

/** True when the lock was made for exactly this manifest (what `npm ci` would accept). */
export function lockMatches(lockText: string, manifest: DepsManifest): boolean {
  let lock: { lockfileVersion?: unknown; name?: unknown; version?: unknown; packages?: Record<string, Record<string, unknown>> };
  try {
    lock = JSON.parse(lockText);
  } catch {
    return false;
  }
  const root = lock.packages?.[''];
  if (typeof lock.lockfileVersion !== 'number' || lock.lockfileVersion < 2 || !root) return false;
  return (
    lock.name === manifest.name &&
    lock.version === manifest.version &&
    isDeepStrictEqual(root.dependencies ?? {}, manifest.dependencies) &&
    isDeepStrictEqual(root.optionalDependencies ?? {}, manifest.optionalDependencies ?? {})
  );
}

export interface DepsLock {
  file: string;
  text: string;
  updated: boolean; // this run wrote it
}

/** The committed lock when it matches; else (unless `frozen`) `npm install --package-lock-only`, checked, written atomically. */
export async function ensureDepsLock(file: string, manifest: DepsManifest, frozen: boolean): Promise<DepsLock> {
  const current = await fs.readFile(file, 'utf8').catch(() => undefined);
  if (current !== undefined && lockMatches(current, manifest)) return { file, text: current, updated: false };
  if (frozen) {
    throw new MeshforkError(
      'LOCK_MISMATCH',
      `${file}: ${current === undefined ? 'missing' : `made for other dependencies than ${manifest.name}@${manifest.version} with the series`}`,
      {
        hint: 'run `meshfork build --context-only DIR` (without --frozen-lock) to refresh it, then commit it',
      },
    );
  }
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'meshfork-lock-'));
  try {
    await fs.writeFile(path.join(work, 'package.json'), manifestText(manifest));
    await npmLockOnly(work);
    const text = await fs.readFile(path.join(work, 'package-lock.json'), 'utf8');
    if (!lockMatches(text, manifest)) {
      throw new MeshforkError(
        'TOOL_FAILED',
        `npm wrote a lock file that does not match the dependencies it was given (${manifest.name}@${manifest.version})`,
        { hint: 'run `npm install --package-lock-only` by hand in a folder with that package.json' },
      );
    }
    await writeFileAtomic(file, text);
    return { file, text, updated: true };
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}
