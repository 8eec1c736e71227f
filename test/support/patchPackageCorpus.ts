/*
 * Real patch-package patches for the corpus test: packages on the npm registry that ship
 * `patches/<pkg>+<version>.patch` files (the carriers), and the packages those patches are for (the
 * targets), at the exact versions and sha512 integrity test/fixtures/patch-package-corpus.json pins.
 * Every tarball is fetched once with one `npm pack` run into the git-ignored .cache/corpus/npm/,
 * checked against its integrity, and unpacked beside it; later runs reuse both.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { CORPUS_DIR } from './debianCorpus';
import { REPO_ROOT } from './release';

export const NPM_CORPUS = path.join(CORPUS_DIR, 'npm');

/** One patch file inside a carrier package, for a target `name@version`. */
export interface CorpusPatch {
  carrier: string;
  path: string;
  target: string;
}

export interface PatchPackageCorpus {
  carriers: Record<string, string>;
  targets: Record<string, string>;
  patches: CorpusPatch[];
  /** The same patches on a neighbouring release of their target, where lines moved or the change is gone. */
  otherVersions: CorpusPatch[];
}

export function loadCorpus(): PatchPackageCorpus {
  return JSON.parse(readFileSync(path.join(REPO_ROOT, 'test', 'fixtures', 'patch-package-corpus.json'), 'utf8')) as PatchPackageCorpus;
}

/** "@scope/name@1.2.3" -> ["@scope/name", "1.2.3"]. */
export function splitSpec(spec: string): [string, string] {
  const at = spec.lastIndexOf('@');
  return [spec.slice(0, at), spec.slice(at + 1)];
}

const cacheName = (spec: string) => spec.replace(/^@/, '').replace(/\//g, '+');
const tarballPath = (spec: string) => path.join(NPM_CORPUS, `${cacheName(spec)}.tgz`);
const integrityOf = (file: string) => `sha512-${createHash('sha512').update(readFileSync(file)).digest('base64')}`;

/** Download (one `npm pack` for all that are missing) and check every pinned tarball. */
export function ensureTarballs(pinned: Record<string, string>): void {
  const missing = Object.keys(pinned).filter((spec) => !existsSync(tarballPath(spec)));
  if (missing.length > 0) {
    const tmp = path.join(NPM_CORPUS, `.pack-${process.pid}-${Date.now()}`);
    mkdirSync(tmp, { recursive: true });
    try {
      const out = execFileSync('npm', ['pack', ...missing, '--json', '--pack-destination', tmp], {
        stdio: ['ignore', 'pipe', 'pipe'],
        maxBuffer: 64 * 1024 * 1024,
      }).toString();
      const packed = JSON.parse(out) as { name: string; version: string; filename: string }[];
      for (const spec of missing) {
        const entry = packed.find((p) => `${p.name}@${p.version}` === spec);
        if (!entry) throw new Error(`npm pack did not return ${spec}`);
        const file = path.join(tmp, entry.filename);
        const got = integrityOf(file);
        if (got !== pinned[spec]) throw new Error(`${spec}: the registry's tarball has integrity ${got}, the corpus pins ${pinned[spec]}`);
        renameSync(file, tarballPath(spec));
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  for (const spec of Object.keys(pinned)) {
    const got = integrityOf(tarballPath(spec));
    if (got !== pinned[spec]) throw new Error(`${tarballPath(spec)} is damaged (integrity ${got}); delete it and run again`);
  }
}

/** The unpacked content of a cached tarball (the tarball's one top folder removed), unpacked once. */
export function packageDir(spec: string): string {
  const dir = path.join(NPM_CORPUS, cacheName(spec));
  if (existsSync(path.join(dir, 'package.json'))) return dir;
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  mkdirSync(tmp, { recursive: true });
  execFileSync('tar', ['-xzf', tarballPath(spec), '-C', tmp, '--strip-components=1', '--no-same-owner']);
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return dir;
}
