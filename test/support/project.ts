/* A throw-away meshfork project for tests: a config file plus a copy of a series folder. */
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { UpstreamConfig } from '../../src/config/schema';

export const NPM_UPSTREAM: UpstreamConfig = { source: 'npm', package: 'meshcentral' };

/**
 * Write `dir`/meshfork.config.json (base 1.1.55, supports >=1.1.0 <2) and copy `seriesDir` to `dir`/patches;
 * with `filesDir`, copy it to `dir`/files and name it in the config ("files": "files").
 */
export function writeProject(dir: string, seriesDir: string, upstream: UpstreamConfig = NPM_UPSTREAM, filesDir?: string): string {
  mkdirSync(dir, { recursive: true });
  const config = { upstream, base: '1.1.55', supports: '>=1.1.0 <2', patches: 'patches', ...(filesDir ? { files: 'files' } : {}) };
  writeFileSync(path.join(dir, 'meshfork.config.json'), `${JSON.stringify(config, null, 2)}\n`);
  cpSync(seriesDir, path.join(dir, 'patches'), { recursive: true });
  if (filesDir) cpSync(filesDir, path.join(dir, 'files'), { recursive: true });
  return dir;
}
