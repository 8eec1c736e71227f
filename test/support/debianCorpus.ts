/*
 * Real Debian "3.0 (quilt)" source packages for the corpus tests, fetched once with `apt-get source
 * --download-only` through a private apt configuration (its own sources list with a deb-src line,
 * its own lists and cache under .cache/corpus/apt), so the machine's apt setup is never touched.
 * Packages land in .cache/corpus/debian/<name>/ (git-ignored) and are reused by later runs.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './release';

export const CORPUS_DIR = path.join(REPO_ROOT, '.cache', 'corpus');
const APT_DIR = path.join(CORPUS_DIR, 'apt');
const MIRROR = process.env.MESHFORK_DEBIAN_MIRROR ?? 'http://deb.debian.org/debian';

function aptOptions(): string[] {
  return [
    '-o',
    `Dir::Etc::SourceList=${path.join(APT_DIR, 'sources.list')}`,
    '-o',
    'Dir::Etc::SourceParts=/dev/null',
    '-o',
    `Dir::State::Lists=${path.join(APT_DIR, 'lists')}`,
    '-o',
    `Dir::Cache=${path.join(APT_DIR, 'cache')}`,
    '-o',
    'APT::Get::List-Cleanup=0',
    '-q',
  ];
}

function ensureLists(): void {
  if (existsSync(path.join(APT_DIR, 'lists', 'ready'))) return;
  mkdirSync(path.join(APT_DIR, 'lists', 'partial'), { recursive: true });
  mkdirSync(path.join(APT_DIR, 'cache', 'archives', 'partial'), { recursive: true });
  writeFileSync(path.join(APT_DIR, 'sources.list'), `deb-src ${MIRROR} bookworm main\n`);
  execFileSync('apt-get', [...aptOptions(), 'update'], { stdio: 'pipe' });
  writeFileSync(path.join(APT_DIR, 'lists', 'ready'), '');
}

/** The .dsc of a source package, downloaded on first use. */
export function debianSource(name: string): string {
  const dir = path.join(CORPUS_DIR, 'debian', name);
  const dsc = () => (existsSync(dir) ? readdirSync(dir).find((f) => f.endsWith('.dsc')) : undefined);
  if (!dsc()) {
    ensureLists();
    const tmp = `${dir}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    execFileSync('apt-get', [...aptOptions(), 'source', '--download-only', name], { cwd: tmp, stdio: 'pipe' });
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
  }
  return path.join(dir, dsc() as string);
}
