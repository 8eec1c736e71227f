import os from 'node:os';
import path from 'node:path';

/** The cache root: $MESHFORK_CACHE, else $XDG_CACHE_HOME/meshfork, else ~/.cache/meshfork. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.MESHFORK_CACHE) return path.resolve(env.MESHFORK_CACHE);
  if (env.XDG_CACHE_HOME) return path.join(path.resolve(env.XDG_CACHE_HOME), 'meshfork');
  return path.join(os.homedir(), '.cache', 'meshfork');
}
