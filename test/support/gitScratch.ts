/*
 * Throw-away git repositories for tests that compare meshfork with git itself: write files,
 * commit, diff, format-patch, apply. Files are given and returned as Buffers (byte-exact).
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runGit, type GitResult } from '../../src/tools/git';

const FIXED = {
  GIT_AUTHOR_NAME: 'T',
  GIT_AUTHOR_EMAIL: 't@example.invalid',
  GIT_COMMITTER_NAME: 'T',
  GIT_COMMITTER_EMAIL: 't@example.invalid',
  GIT_AUTHOR_DATE: '2000-01-01T00:00:00Z',
  GIT_COMMITTER_DATE: '2000-01-01T00:00:00Z',
};

export class GitScratch {
  readonly dir: string;
  constructor(prefix = 'meshfork-git-') {
    this.dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  }
  async init(): Promise<this> {
    await this.git(['init', '-q', '-b', 'main']);
    return this;
  }
  git(args: string[], okExitCodes = [0], input?: string | Buffer): Promise<GitResult> {
    return runGit(args, { cwd: this.dir, env: FIXED, okExitCodes, input });
  }
  write(files: Record<string, string | Buffer | null>): void {
    for (const [rel, content] of Object.entries(files)) {
      const full = path.join(this.dir, rel);
      if (content === null) rmSync(full, { force: true });
      else {
        mkdirSync(path.dirname(full), { recursive: true });
        writeFileSync(full, content);
      }
    }
  }
  async commit(message: string): Promise<string> {
    await this.git(['add', '-A']);
    await this.git(['commit', '-q', '--allow-empty', '-m', message]);
    return (await this.git(['rev-parse', 'HEAD'])).stdout.toString().trim();
  }
  /** Every file of the work tree (not .git), relative path -> bytes. */
  files(): Map<string, Buffer> {
    const out = new Map<string, Buffer>();
    const walk = (rel: string) => {
      for (const name of readdirSync(path.join(this.dir, rel))) {
        if (rel === '' && name === '.git') continue;
        const r = rel ? `${rel}/${name}` : name;
        if (statSync(path.join(this.dir, r)).isDirectory()) walk(r);
        else out.set(r, readFileSync(path.join(this.dir, r)));
      }
    };
    walk('');
    return out;
  }
  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
