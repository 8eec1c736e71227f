/*
 * A small generated project for tests that run meshfork hundreds of times (the reliability suite):
 * a real git upstream (file:// bare repository) with FILES generated files and releases v1.0.0 and
 * v1.1.0, and a series of three patches made with `git diff` against v1.0.0. v1.1.0 shifts the
 * patched lines (a rebase moves every patch cleanly) and changes unpatched files.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export interface SmallProject {
  /** The project folder: meshfork.config.json (base 1.0.0) and patches/. */
  dir: string;
  upstreamUrl: string;
  /** The non-bare upstream work repository (push to move tags). */
  upstreamWork: string;
}

const IDENTITY = {
  GIT_AUTHOR_NAME: 'Up Stream',
  GIT_AUTHOR_EMAIL: 'up@example.invalid',
  GIT_COMMITTER_NAME: 'Up Stream',
  GIT_COMMITTER_EMAIL: 'up@example.invalid',
};

function git(cwd: string, args: string[], date = '1767225600 +0000'): string {
  const env = {
    ...process.env,
    ...IDENTITY,
    GIT_AUTHOR_DATE: date,
    GIT_COMMITTER_DATE: date,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
  };
  return execFileSync('git', args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function fileText(i: number, release: string): string {
  const lines = Array.from({ length: 40 }, (_, k) => `  line ${k + 1} of file ${i};`);
  if (release === '1.1.0' && i % 3 === 0) lines.unshift('  // added in 1.1.0', '  // and another line');
  return `'use strict';\nfunction f${i}() {\n${lines.join('\n')}\n}\nmodule.exports = f${i};\n`;
}

function writeRelease(work: string, files: number, release: string): void {
  writeFileSync(path.join(work, 'package.json'), `${JSON.stringify({ name: 'meshcentral', version: release }, null, 2)}\n`);
  for (let i = 0; i < files; i++) {
    const dir = path.join(work, `lib${i % 10}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, `file-${i}.js`), fileText(i, release));
  }
}

/** The three patches: [name, subject, files to edit as (text) => text]. */
const PATCHES: [string, string, Record<string, (text: string) => string>][] = [
  [
    'add-a-greeting.patch',
    'Add a greeting',
    {
      'lib0/file-0.js': (t) => t.replace('  line 10 of file 0;', '  line 10 of file 0;\n  console.log("hello");'),
      'greeting.txt': () => 'hello\n',
    },
  ],
  [
    'change-file-three.patch',
    'Change file three',
    { 'lib3/file-3.js': (t) => t.replace('  line 20 of file 3;', '  line 20 of file 3 (changed);') },
  ],
  [
    'remove-a-line.patch',
    'Remove a line',
    {
      'lib6/file-6.js': (t) => t.replace('  line 30 of file 6;\n', ''),
      'lib9/file-9.js': (t) => t.replace('  line 5 of file 9;', '  line 5 of file 9; // fork'),
    },
  ],
];

/** Build the upstream and a project around it under `root`. */
export function buildSmallProject(root: string, files = 400): SmallProject {
  const bare = path.join(root, 'upstream.git');
  const work = path.join(root, 'upstream-work');
  mkdirSync(work, { recursive: true });
  git(root, ['init', '--quiet', '--bare', '--initial-branch=main', bare]);
  git(work, ['init', '--quiet', '--initial-branch=main']);
  ['1.0.0', '1.1.0'].forEach((release, n) => {
    writeRelease(work, files, release);
    git(work, ['add', '--all']);
    git(work, ['commit', '--quiet', '-m', `release ${release}`], `${1767225600 + n * 86400} +0000`);
    git(work, ['tag', `v${release}`]);
  });
  git(work, ['remote', 'add', 'origin', bare]);
  git(work, ['push', '--quiet', 'origin', 'main', '--tags']);

  // The series: each patch is `git diff` of its edits on top of the ones before, on v1.0.0.
  const dir = path.join(root, 'project');
  const patches = path.join(dir, 'patches');
  mkdirSync(patches, { recursive: true });
  git(work, ['checkout', '--quiet', '-b', 'fork', 'v1.0.0']);
  for (const [name, subject, edits] of PATCHES) {
    for (const [file, edit] of Object.entries(edits)) {
      const full = path.join(work, file);
      writeFileSync(full, edit(existsSync(full) ? readFileSync(full, 'utf8') : ''));
    }
    git(work, ['add', '--all']);
    const diff = git(work, ['diff', '--cached', '--no-color', '--no-ext-diff', '--full-index']);
    git(work, ['commit', '--quiet', '-m', subject]);
    const header = [
      'From: Fork Maintainers <maintainers@example.invalid>',
      `Subject: ${subject}`,
      '',
      'Upstream-Status: Inappropriate [test fixture]',
      'Meshfork-Base: 1.0.0',
      '---',
      '',
    ].join('\n');
    writeFileSync(path.join(patches, name), header + diff);
  }
  git(work, ['checkout', '--quiet', 'main']);
  writeFileSync(path.join(patches, 'series'), `${PATCHES.map(([name]) => name).join('\n')}\n`);
  const upstreamUrl = pathToFileURL(bare).href;
  const config = {
    upstream: { source: 'git', url: upstreamUrl, tagPattern: 'v*' },
    base: '1.0.0',
    supports: '>=1.0.0 <2',
    patches: 'patches',
  };
  writeFileSync(path.join(dir, 'meshfork.config.json'), `${JSON.stringify(config, null, 2)}\n`);
  return { dir, upstreamUrl, upstreamWork: work };
}
