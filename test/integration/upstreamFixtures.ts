/*
 * Shared pieces of the upstream and apply integration tests: a throwaway project around the fixture
 * series, the built CLI as a child process, and an independent reference tree (tar -xzf + git apply).
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { UpstreamConfig } from '../../src/config/schema';
import { REPO_ROOT, releaseTarball, sharedReleaseDir } from '../support/release';
import { NPM_UPSTREAM, writeProject } from '../support/project';

export const FIXTURE_SERIES = path.join(REPO_ROOT, 'test', 'fixtures', 'upstream-series');
/** The one download cache of the test suite (git-ignored), for tests that only need a warm cache. */
export { SHARED_CACHE } from '../support/cache';
const BIN = path.join(REPO_ROOT, 'bin', 'meshfork');

/** A project folder: meshfork.config.json (base 1.1.55) and the fixture series in patches/. */
export function makeProject(dir: string, upstream: UpstreamConfig = NPM_UPSTREAM): string {
  return writeProject(dir, FIXTURE_SERIES, upstream);
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Run the built `bin/meshfork` (npm test builds dist/ first). */
export function runCli(args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; killAfterMs?: number }): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd, env: { ...process.env, CI: '1', ...options.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const timer = options.killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), options.killAfterMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** What a file in a tree is: content hash and executable bit (or a symlink's target). */
export function treeListing(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (rel: string): void => {
    for (const name of readdirSync(path.join(dir, rel))) {
      const relPath = rel ? `${rel}/${name}` : name;
      const full = path.join(dir, relPath);
      const stat = lstatSync(full);
      if (stat.isDirectory()) walk(relPath);
      else if (stat.isSymbolicLink()) files.set(relPath, `link:${readlinkSync(full)}`);
      else files.set(relPath, `${stat.mode & 0o111 ? 'x' : '-'}${createHash('sha256').update(readFileSync(full)).digest('hex')}`);
    }
  };
  walk('');
  return files;
}

/** Paths whose presence, bytes or executable bit differ between two listings. */
export function treeDifferences(a: Map<string, string>, b: Map<string, string>): string[] {
  const paths = new Set([...a.keys(), ...b.keys()]);
  return [...paths].filter((p) => a.get(p) !== b.get(p)).sort();
}

/** The fixture's patch file names, in series order. */
export function fixturePatches(): string[] {
  return readFileSync(path.join(FIXTURE_SERIES, 'series'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}

/**
 * The independent expectation: the release tarball extracted by tar, plus `git apply` of the fixture
 * series. Where the suite keeps the release unpacked (sharedReleaseDir) the tree is hard links to it,
 * which git apply never writes through (it removes a file it changes and writes a new one), so a
 * reference costs a few files of disk instead of a release.
 */
export function referenceTree(version: string, dir: string, series = fixturePatches()): string {
  if (existsSync(path.join(dir, 'package.json'))) return dir;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(path.dirname(dir), { recursive: true });
  const shared = sharedReleaseDir(version);
  if (shared) execFileSync('cp', ['-al', shared, dir]);
  else {
    mkdirSync(dir);
    execFileSync('tar', ['-xzf', releaseTarball(version), '-C', dir, '--strip-components=1']);
  }
  const env = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };
  execFileSync('git', ['apply', '--whitespace=nowarn', ...series.map((p) => path.join(FIXTURE_SERIES, p))], {
    cwd: dir,
    env,
    stdio: 'pipe',
  });
  return dir;
}
