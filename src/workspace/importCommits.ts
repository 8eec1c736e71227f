// One git fast-import stream instead of add, diff --cached, commit and rev-parse per patch; the objects are those git commit
// makes (trees as git add stages them, identities from git var).
import { lstatSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import type { PatchHeader } from '../series/types';
import { GIT_IDENTITY } from '../tools/git';
import { commitMessage } from './commitMessage';
import { patchCommitEnv } from './commitPatch';
import { FIXED_DATE, wsGit, wsGitText } from './workspaceGit';

export interface StagedPath {
  path: string;
  entry: { mode: '100644' | '100755' | '120000'; content: Buffer } | null;
}

export interface ImportCommit {
  header: PatchHeader;
  paths: StagedPath[];
}

export async function stagedState(dir: string, file: string): Promise<StagedPath['entry']> {
  const full = path.join(dir, file);
  // synchronously, like the workspace writes (files.ts): twice per path of every patch
  let stat;
  try {
    stat = lstatSync(full);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return null;
    throw error;
  }
  if (stat.isSymbolicLink()) return { mode: '120000', content: Buffer.from(readlinkSync(full, { encoding: 'buffer' })) };
  return { mode: stat.mode & 0o100 ? '100755' : '100644', content: readFileSync(full) };
}

export function sameEntry(a: StagedPath['entry'], b: StagedPath['entry']): boolean {
  return a === null || b === null ? a === b : a.mode === b.mode && a.content.equals(b.content);
}

/** fast-import takes a path as the rest of the line; one that starts with a quote or holds a newline is C-quoted. */
function importPath(file: string): string {
  if (!file.startsWith('"') && !file.includes('\n')) return file;
  return `"${file.replace(/[\\"]/g, (c) => `\\${c}`).replace(/\n/g, '\\n')}"`;
}

function data(bytes: Buffer): Buffer[] {
  return [Buffer.from(`data ${bytes.length}\n`), bytes, Buffer.from('\n')];
}

async function identities(workDir: string, commits: ImportCommit[]): Promise<{ committer: string; authors: string[] }> {
  const committerEnv = { ...GIT_IDENTITY, GIT_COMMITTER_DATE: FIXED_DATE };
  const pending = new Map<string, Promise<string>>();
  const authors = commits.map((c) => {
    const env = patchCommitEnv(c.header);
    const key = JSON.stringify([env.GIT_AUTHOR_NAME, env.GIT_AUTHOR_EMAIL]);
    if (!pending.has(key)) pending.set(key, wsGitText(workDir, ['var', 'GIT_AUTHOR_IDENT'], { env }));
    return pending.get(key)!;
  });
  const [committer, ...resolved] = await Promise.all([
    wsGitText(workDir, ['var', 'GIT_COMMITTER_IDENT'], { env: committerEnv }),
    ...authors,
  ]);
  return { committer, authors: resolved };
}

/** The files on disk already hold the last commit's content: only the index is pointed at the new HEAD. */
export async function importCommits(workDir: string, branch: string, parent: string, commits: ImportCommit[]): Promise<void> {
  if (commits.length === 0) return;
  const { committer, authors } = await identities(workDir, commits);
  const stream: Buffer[] = [];
  commits.forEach((commit, i) => {
    stream.push(Buffer.from(`commit refs/heads/${branch}\nmark :${i + 1}\nauthor ${authors[i]}\ncommitter ${committer}\n`));
    stream.push(...data(Buffer.from(commitMessage(commit.header), 'latin1')));
    stream.push(Buffer.from(`from ${i === 0 ? parent : `:${i}`}\n`));
    for (const { path: file, entry } of commit.paths) {
      // paths in UTF-8, as node's fs wrote them to the disk that git add read
      if (entry === null) stream.push(Buffer.from(`D ${importPath(file)}\n`));
      else stream.push(Buffer.from(`M ${entry.mode} inline ${importPath(file)}\n`), ...data(entry.content));
    }
    stream.push(Buffer.from('\n'));
  });
  stream.push(Buffer.from('done\n'));
  await wsGit(workDir, ['fast-import', '--quiet', '--done'], { input: Buffer.concat(stream) });
  await wsGit(workDir, ['reset', '-q']);
}
