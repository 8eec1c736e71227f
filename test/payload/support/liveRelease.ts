/*
 * An unpatched release of the live project's upstream, whatever its source: after `sync rebase --commit`
 * moved the project to a release only a git upstream has (UPSTREAM_SYNC.md, "What a rebase moves"), the
 * payload's tests must read that release, not an npm tarball of the same number.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureBuilt, MESHFORK_BIN } from '../../support/cli';
import type { ReleaseTrees } from '../../support/gitUpstream';
import { REPO_ROOT, releaseDir, SHARED_CACHE } from '../../support/release';

interface LiveUpstream {
  source: string;
  package?: string;
}

const CONFIG = JSON.parse(readFileSync(path.join(REPO_ROOT, 'meshfork.config.json'), 'utf8')) as { upstream: LiveUpstream };
const FROM_NPM = CONFIG.upstream.source === 'npm' && CONFIG.upstream.package === 'meshcentral';
/** Names the live upstream in cache paths: empty for npm's meshcentral (the trees every test shares). */
const UPSTREAM_KEY = FROM_NPM ? '' : createHash('sha256').update(JSON.stringify(CONFIG.upstream)).digest('hex').slice(0, 12);

/**
 * The release's tree; read or copy it, never write into it (its files are hard links into the cache).
 * npm's meshcentral: the shared unpacked tarball; another upstream: what `meshfork apply` writes with an
 * empty series, in a scratch copy of the config and lock (the live lock is never written), once per
 * upstream and version under .cache/live-releases.
 */
export function liveReleaseDir(version: string): string {
  if (FROM_NPM) return releaseDir(version);
  const dir = path.join(REPO_ROOT, '.cache', 'live-releases', UPSTREAM_KEY, version);
  if (existsSync(dir)) return dir;
  ensureBuilt();
  const project = mkdtempSync(path.join(os.tmpdir(), 'meshfork-live-release-'));
  try {
    writeFileSync(path.join(project, 'meshfork.config.json'), JSON.stringify({ ...CONFIG, patches: 'patches', files: undefined }));
    mkdirSync(path.join(project, 'patches'));
    writeFileSync(path.join(project, 'patches', 'series'), '');
    const lock = path.join(REPO_ROOT, 'meshfork.lock.json');
    if (existsSync(lock)) copyFileSync(lock, path.join(project, 'meshfork.lock.json'));
    const out = path.join(project, 'release');
    const env: NodeJS.ProcessEnv = { ...process.env, MESHFORK_CACHE: SHARED_CACHE };
    delete env.CI;
    execFileSync(process.execPath, [MESHFORK_BIN, 'apply', '--to', version, '--out', out, '--quiet'], { cwd: project, env, stdio: 'pipe' });
    mkdirSync(path.dirname(dir), { recursive: true });
    try {
      renameSync(out, dir);
    } catch (error) {
      // another jest worker made the same tree first
      if (!existsSync(dir)) throw error;
    }
  } finally {
    rmSync(project, { recursive: true, force: true });
  }
  return dir;
}

/** The live upstream's trees for buildGitUpstream: the same template as the tool's tests when it is npm's. */
export const LIVE_TREES: ReleaseTrees = { label: UPSTREAM_KEY, treeOf: liveReleaseDir };

/** One file of that release as a binary (latin1) string. */
export function liveReleaseFile(version: string, file: string): string {
  return readFileSync(path.join(liveReleaseDir(version), file)).toString('latin1');
}
