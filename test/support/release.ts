/*
 * Real MeshCentral releases for tests: `npm pack meshcentral@VERSION` from the npm registry, cached in
 * the git-ignored folder .cache/releases so a test run downloads each tarball once. The unpacked
 * trees keep no bytes of their own: every file is a hard link into the shared meshfork cache's blob
 * store (SHARED_CACHE), which holds the same files for every test that applies a release.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, linkSync, lstatSync, mkdirSync, readFileSync, renameSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { BLOB_MTIME_SECONDS, BlobStore } from '../../src/upstream/blobStore';

/** The checkout's root, found by walking up: this file also runs compiled from dist-bench/ for benchmarks. */
function findRepoRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'src', 'cli', 'main.ts'))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(start, '..', '..');
  }
}

export const REPO_ROOT = findRepoRoot(__dirname);
export const RELEASE_CACHE = path.join(REPO_ROOT, '.cache', 'releases');
/** The one meshfork download cache every test and benchmark shares (re-exported by ./cache). */
export const SHARED_CACHE = path.join(REPO_ROOT, '.cache', 'meshfork');

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

/** Versions whose tree this process has checked (releaseFile calls releaseDir once per file). */
const checked = new Set<string>();

/** Folder holding the extracted `package/` content of meshcentral@version (extracted once). */
export function releaseDir(version: string): string {
  const dir = path.join(RELEASE_CACHE, `meshcentral-${version}`);
  if (existsSync(path.join(dir, 'package.json'))) {
    if (checked.has(version) || treeUntouched(dir)) {
      checked.add(version);
      return dir;
    }
    // A file written to since (through a hard link): unpack the release again.
    rmSync(dir, { recursive: true, force: true });
  }
  const tarball = releaseTarball(version);
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  mkdirSync(tmp, { recursive: true });
  execFileSync('tar', ['-xzf', tarball, '-C', tmp, '--strip-components=1']);
  linkIntoBlobStore(tmp);
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
  checked.add(version);
  return dir;
}

/**
 * The release's unpacked tree when its files can live in the blob store as they are (npm's fixed
 * mtime on every entry: every release since npm 7 packed it), so keeping it costs no disk beside the
 * cache; undefined for an older tarball (meshcentral 0.7.x), which callers unpack for themselves.
 */
export function sharedReleaseDir(version: string): string | undefined {
  const listing = execFileSync('tar', ['-tvzf', releaseTarball(version), '--full-time'], {
    encoding: 'utf8',
    maxBuffer: 1 << 28,
    env: { ...process.env, TZ: 'UTC' },
  });
  const stamp = new Date(BLOB_MTIME_SECONDS * 1000).toISOString().slice(0, 10);
  return listing.split('\n').every((line) => line === '' || line.startsWith('d') || line.includes(` ${stamp} `))
    ? releaseDir(version)
    : undefined;
}

/** Every regular file of `tree`, relative. */
function treeFiles(tree: string, rel = ''): string[] {
  return readdirSync(path.join(tree, rel), { withFileTypes: true }).flatMap((entry) => {
    const relPath = path.join(rel, entry.name);
    return entry.isDirectory() ? treeFiles(tree, relPath) : entry.isFile() ? [relPath] : [];
  });
}

/**
 * npm tarballs stamp every file with the blob store's mtime (1985-10-26), and the blob store re-hashes
 * a blob whose mtime moved (written through a hard link). The same stat check tells whether a tree
 * shared with it is still the release: one linked file written since, and the tree is unpacked again.
 */
function treeUntouched(tree: string): boolean {
  return treeFiles(tree).every((rel) => {
    const stat = lstatSync(path.join(tree, rel));
    return stat.nlink === 1 || Math.floor(stat.mtimeMs / 1000) === BLOB_MTIME_SECONDS;
  });
}

/**
 * Replace each file of a fresh tree by a hard link to its blob in SHARED_CACHE's blob store, adding
 * the blob (the tree's own file, linked in under a temporary name and renamed, as the store writes)
 * when it is not there yet. So the releases and the cache keep each distinct file once, and two
 * releases share every file they have in common. Nothing writes into these trees (tests copy them, or read them).
 */
function linkIntoBlobStore(tree: string): void {
  const blobs = new BlobStore(path.join(SHARED_CACHE, 'blobs'));
  for (const rel of treeFiles(tree)) {
    const mine = path.join(tree, rel);
    const stat = lstatSync(mine);
    const perm = stat.mode & 0o777;
    // Only what the store can hold as it is: its two file modes and its mtime.
    if ((perm !== 0o644 && perm !== 0o755) || Math.floor(stat.mtimeMs / 1000) !== BLOB_MTIME_SECONDS) continue;
    const data = readFileSync(mine);
    const blob = blobs.pathOf(createHash('sha256').update(data).digest('hex'), perm === 0o755 ? '100755' : '100644');
    const existing = lstatSync(blob, { throwIfNoEntry: false });
    const sound =
      existing?.isFile() &&
      existing.size === data.length &&
      Math.floor(existing.mtimeMs / 1000) === BLOB_MTIME_SECONDS &&
      readFileSync(blob).equals(data);
    // The store's own temp name ("<name>.<pid>-<hex>.tmp"), so it removes one a killed worker left.
    const linkTmp = `${sound ? mine : blob}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
    mkdirSync(path.dirname(blob), { recursive: true });
    if (sound) {
      linkSync(blob, linkTmp);
      renameSync(linkTmp, mine);
    } else {
      linkSync(mine, linkTmp);
      renameSync(linkTmp, blob);
    }
  }
}

/** One file of a release as a binary (latin1) string, the engine's content representation. */
export function releaseFile(version: string, file: string): string {
  return readFileSync(path.join(releaseDir(version), file)).toString('latin1');
}
