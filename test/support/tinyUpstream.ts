/*
 * A synthetic upstream of a few files for tests that need exact control of a release's lines: a bare
 * git repository (file:// URL) with one tagged commit per release, and projects around it whose
 * patches are `git diff`s of edits made on a release (then, where a test needs a broken patch, edited
 * as text). Identity and dates are fixed; git runs with the user's configuration ignored.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const IDENTITY = {
  GIT_AUTHOR_NAME: 'Up Stream',
  GIT_AUTHOR_EMAIL: 'up@example.invalid',
  GIT_COMMITTER_NAME: 'Up Stream',
  GIT_COMMITTER_EMAIL: 'up@example.invalid',
};

export function git(cwd: string, args: string[]): string {
  const env = {
    ...process.env,
    ...IDENTITY,
    GIT_AUTHOR_DATE: '1767225600 +0000',
    GIT_COMMITTER_DATE: '1767225600 +0000',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
  };
  return execFileSync('git', args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** `count` numbered lines, "  <prefix> line N;\n". */
export function numberedLines(prefix: string, count: number): string {
  return Array.from({ length: count }, (_, i) => `  ${prefix} line ${i + 1};\n`).join('');
}

export interface TinyUpstream {
  url: string;
  /** The work repository (checked out on the newest release). */
  work: string;
  /** Each release's files, as given. */
  releases: Record<string, Record<string, string>>;
}

/** Releases in the order given, each a complete file set, tagged v<version>. */
export function buildTinyUpstream(root: string, releases: Record<string, Record<string, string>>): TinyUpstream {
  const bare = path.join(root, 'upstream.git');
  const work = path.join(root, 'upstream-work');
  mkdirSync(work, { recursive: true });
  git(root, ['init', '-q', '--bare', '--initial-branch=main', bare]);
  git(work, ['init', '-q', '--initial-branch=main']);
  for (const [version, files] of Object.entries(releases)) {
    git(work, ['rm', '-q', '-r', '--ignore-unmatch', '.']);
    for (const [file, text] of Object.entries({
      'package.json': `${JSON.stringify({ name: 'meshcentral', version }, null, 2)}\n`,
      ...files,
    })) {
      mkdirSync(path.dirname(path.join(work, file)), { recursive: true });
      writeFileSync(path.join(work, file), text);
    }
    git(work, ['add', '-A']);
    git(work, ['commit', '-q', '--allow-empty', '-m', `release ${version}`]);
    git(work, ['tag', `v${version}`]);
  }
  git(work, ['remote', 'add', 'origin', bare]);
  git(work, ['push', '-q', 'origin', 'main', '--tags']);
  return { url: pathToFileURL(bare).href, work, releases };
}

/** One patch: its file name, subject, and edits of release files (text => text). */
export interface PatchSpec {
  name: string;
  subject: string;
  edits: Record<string, (text: string) => string>;
}

/** Patch texts made by `git diff` of each patch's edits on top of the ones before, on `base`. */
export function makePatches(upstream: TinyUpstream, base: string, specs: PatchSpec[]): Record<string, string> {
  const work = upstream.work;
  git(work, ['checkout', '-q', '--detach', `v${base}`]);
  const texts: Record<string, string> = {};
  try {
    for (const spec of specs) {
      for (const [file, edit] of Object.entries(spec.edits)) {
        const full = path.join(work, file);
        let before = '';
        try {
          before = readFileSync(full, 'latin1');
        } catch {
          before = '';
        }
        mkdirSync(path.dirname(full), { recursive: true });
        writeFileSync(full, edit(before), 'latin1');
      }
      git(work, ['add', '-A']);
      const diff = git(work, ['diff', '--cached', '--no-color', '--no-ext-diff', '--full-index']);
      git(work, ['commit', '-q', '-m', spec.subject]);
      const header = [
        'From: Fork Maintainers <maintainers@example.invalid>',
        `Subject: ${spec.subject}`,
        '',
        `${spec.subject}, for the test.`,
        '',
        'Upstream-Status: Inappropriate [test fixture]',
        `Meshfork-Base: ${base}`,
        '---',
        '',
      ].join('\n');
      texts[spec.name] = header + diff;
    }
  } finally {
    git(work, ['checkout', '-q', 'main']);
  }
  return texts;
}

/** A project (a git repository with one commit) on `base` with these patch files, in this order. */
export function writeTinyProject(
  dir: string,
  upstream: TinyUpstream,
  base: string,
  patches: Record<string, string>,
  supports = '>=1.0.0 <2',
): string {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(path.join(dir, 'patches'), { recursive: true });
  for (const [name, text] of Object.entries(patches)) writeFileSync(path.join(dir, 'patches', name), text, 'latin1');
  writeFileSync(
    path.join(dir, 'patches', 'series'),
    Object.keys(patches)
      .map((name) => `${name}\n`)
      .join(''),
  );
  const config = { upstream: { source: 'git', url: upstream.url, tagPattern: 'v*' }, base, supports, patches: 'patches' };
  writeFileSync(path.join(dir, 'meshfork.config.json'), `${JSON.stringify(config, null, 2)}\n`);
  writeFileSync(path.join(dir, '.gitignore'), '.meshfork/\n');
  git(dir, ['init', '-q', '--initial-branch=main']);
  git(dir, ['add', '-A']);
  git(dir, ['commit', '-q', '-m', 'project']);
  return dir;
}
