/*
 * jwt-auth.js exactly as the series creates it: the first patch applied by meshfork's engine to an empty
 * tree, then compiled in-process (its require() resolves jsonwebtoken from this repository's node_modules).
 * No MeshCentral, no PostgreSQL: for the fast unit tests of the module's checks.
 */
import Module from 'node:module';
import path from 'node:path';
import { applySeries, MemoryTree } from '../../src/engine';
import { loadSeries } from '../../src/series/load';
import { REPO_ROOT } from './release';

const MODULE_PATCH = 'add-the-jwt-single-sign-on-module.patch';

/** The text of jwt-auth.js as patches/ creates it. */
export async function jwtAuthSource(patchesDir = path.join(REPO_ROOT, 'patches')): Promise<string> {
  const series = await loadSeries(patchesDir);
  const patch = series.patches.find((p) => p.name === MODULE_PATCH);
  if (!patch) throw new Error(`${MODULE_PATCH} is not in ${patchesDir}/series`);
  const tree = new MemoryTree(async () => undefined);
  const outcome = await applySeries([patch], tree, { fuzz: 0 });
  if (outcome.status !== 'clean') throw new Error(`${MODULE_PATCH} does not apply to an empty tree: ${outcome.status}`);
  const content = await tree.read('jwt-auth.js');
  if (content === undefined) throw new Error(`${MODULE_PATCH} does not create jwt-auth.js`);
  return Buffer.from(content, 'latin1').toString('utf8');
}

/** module.exports of that jwt-auth.js. */
export async function loadJwtAuth(): Promise<Record<string, unknown>> {
  const filename = path.join(REPO_ROOT, 'jwt-auth.js'); // never written: only where require() looks for packages
  const mod = new Module(filename);
  mod.filename = filename;
  mod.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(REPO_ROOT);
  (mod as unknown as { _compile(source: string, filename: string): void })._compile(await jwtAuthSource(), filename);
  return mod.exports as Record<string, unknown>;
}
