/*
 * Real MeshCentral releases for tests: `npm pack meshcentral@VERSION` from the npm registry, cached in
 * the git-ignored folder .cache/releases so a test run downloads each tarball once.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, linkSync, lstatSync, mkdirSync, readFileSync, renameSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';

/** The checkout's root, found by walking up: this file also runs compiled from dist-bench/ for benchmarks. */
function findRepoRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'src', 'cli', 'main.ts'))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(start, '..', '..');
  }
}

export const REPO_ROOT = findRepoRoot(__dirname);
export const RELEASE_CACHE = path.join(REPO_ROOT, '.cache', 'releases');

/** Path of the cached tarball of meshcentral@version (downloaded on first use). */
export function releaseTarball(version: string): string {
  const tarball = path.join(RELEASE_CACHE, `meshcentral-${version}.tgz`);
  if (existsSync(tarball)) return tarball;
  mkdirSync(RELEASE_CACHE, { recursive: true });
  const tmp = path.join(RELEASE_CACHE, `.pack-${process.pid}-${Date.now()}`);
  mkdirSync(tmp);
  try {
    execFileSync('npm', ['pack', `meshcentral@${version}`, '--silent', '--pack-destination', tmp], { stdio: ['ignore', 'pipe', 'pipe'] });
    const [file] = readdirSync(tmp).filter((f) => f.endsWith('.tgz'));
    renameSync(path.join(tmp, file), tarball);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return tarball;
}

/** Folder holding the extracted `package/` content of meshcentral@version (extracted once). */
export function releaseDir(version: string): string {
  const dir = path.join(RELEASE_CACHE, `meshcentral-${version}`);
  if (existsSync(path.join(dir, 'package.json'))) return dir;
  const tarball = releaseTarball(version);
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  mkdirSync(tmp, { recursive: true });
  execFileSync('tar', ['-xzf', tarball, '-C', tmp, '--strip-components=1']);
  linkIdenticalFiles(tmp);
  // A complete tree another worker made meanwhile is used as it is (others may be reading it).
  if (existsSync(path.join(dir, 'package.json'))) {
    rmSync(tmp, { recursive: true, force: true });
    return dir;
  }
  rmSync(dir, { recursive: true, force: true });
  try {
    renameSync(tmp, dir);
  } catch {
    // another worker won the race; its copy is identical
    rmSync(tmp, { recursive: true, force: true });
  }
  return dir;
}

/**
 * Releases share most of their files: a file byte-identical to the same path in a release extracted
 * before becomes a hard link to it, so the suite keeps each distinct file once. Nothing writes into
 * these trees (tests copy them, or read them).
 */
function linkIdenticalFiles(tree: string): void {
  const others = readdirSync(RELEASE_CACHE)
    // Finished releases only: never the tree itself (a link to itself makes rename a no-op and leaves
    // the `.link-` name behind) nor another worker's half-made `.tmp-` tree.
    .filter((name) => /^meshcentral-[^/]+$/.test(name) && !name.endsWith('.tgz') && !name.includes('.tmp-') && existsSync(path.join(RELEASE_CACHE, name, 'package.json')))
    .map((name) => path.join(RELEASE_CACHE, name))
    .filter((dir) => dir !== tree);
  const walk = (rel: string): void => {
    for (const entry of readdirSync(path.join(tree, rel), { withFileTypes: true })) {
      const relPath = path.join(rel, entry.name);
      if (entry.isDirectory()) walk(relPath);
      if (!entry.isFile()) continue;
      const mine = path.join(tree, relPath);
      const { size, mode } = lstatSync(mine);
      const twin = others.map((o) => path.join(o, relPath)).find((o) => {
        const other = lstatSync(o, { throwIfNoEntry: false });
        return other?.isFile() && other.size === size && other.mode === mode && readFileSync(o).equals(readFileSync(mine));
      });
      if (!twin) continue;
      const linkTmp = `${mine}.link-${process.pid}`;
      linkSync(twin, linkTmp);
      renameSync(linkTmp, mine);
    }
  };
  walk('');
}

/** One file of a release as a binary (latin1) string, the engine's content representation. */
export function releaseFile(version: string, file: string): string {
  return readFileSync(path.join(releaseDir(version), file)).toString('latin1');
}
