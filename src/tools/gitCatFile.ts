import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { MeshforkError } from '../errors';
import { gitEnv, missingGit } from './git';

export interface GitObject {
  oid: string;
  type: string;
  content: Buffer;
}

interface Pending {
  spec: string;
  resolve: (object: GitObject | undefined) => void;
  reject: (error: Error) => void;
}

/** A long-lived git cat-file --batch: objects without a checkout, one request line each, answers in order; close() when done. */
export class GitCatFile {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly queue: Pending[] = [];
  private chunks: Buffer[] = [];
  private unread = 0;
  private expected: { oid: string; type: string; size: number } | undefined;
  private failure: Error | undefined;
  private stderr = '';

  constructor(gitDir: string) {
    this.child = spawn('git', ['--git-dir', gitDir, 'cat-file', '--batch'], { env: gitEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.on('error', (error: NodeJS.ErrnoException) => this.fail(error.code === 'ENOENT' ? missingGit() : error));
    this.child.on('exit', (code) =>
      this.fail(new MeshforkError('TOOL_FAILED', `git cat-file --batch exited (${code}): ${this.stderr.trim()}`)),
    );
    this.child.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString('utf8')));
    this.child.stdout.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.unread += chunk.length;
      this.drain();
    });
    this.child.stdin.on('error', () => undefined);
    this.setActive(false);
  }

  /** Referenced only while answers are awaited, so an idle reader never holds the process open. */
  private setActive(active: boolean): void {
    const handles = [this.child, this.child.stdin, this.child.stdout, this.child.stderr] as unknown as {
      ref?: () => void;
      unref?: () => void;
    }[];
    for (const handle of handles) (active ? handle.ref : handle.unref)?.call(handle);
  }

  read(spec: string): Promise<GitObject | undefined> {
    if (spec.includes('\n'))
      return Promise.reject(new MeshforkError('PATH_UNSAFE', `git object name contains a newline: ${JSON.stringify(spec)}`));
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      if (this.queue.length === 0) this.setActive(true);
      this.queue.push({ spec, resolve, reject });
      this.child.stdin.write(`${spec}\n`);
    });
  }

  /** The handle stays referenced until the child exits, so node reaps it instead of leaving a <defunct> git. */
  close(): void {
    this.failure ??= new Error('git cat-file closed');
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.ref();
    this.child.stdin.end();
  }

  private fail(error: Error): void {
    if (!this.failure) this.failure = error;
    for (const pending of this.queue.splice(0)) pending.reject(this.failure);
  }

  private drain(): void {
    this.answer();
    if (this.queue.length === 0) this.setActive(false);
  }

  /** The unread output as one buffer; concatenated only when needed, so big objects cost O(size). */
  private flatten(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0] ?? Buffer.alloc(0);
  }

  private keep(rest: Buffer): void {
    this.chunks = rest.length ? [rest] : [];
    this.unread = rest.length;
  }

  private answer(): void {
    while (this.queue.length > 0) {
      if (this.expected === undefined) {
        const buffer = this.flatten();
        const eol = buffer.indexOf(10);
        if (eol < 0) return;
        const header = buffer.subarray(0, eol).toString('utf8');
        this.keep(buffer.subarray(eol + 1));
        if (header.endsWith(' missing') || header.endsWith(' ambiguous')) {
          this.queue.shift()!.resolve(undefined);
          continue;
        }
        const [oid, type, sizeText] = header.split(' ');
        const size = Number(sizeText);
        if (!Number.isInteger(size)) {
          this.fail(new MeshforkError('TOOL_FAILED', `git cat-file --batch: unexpected answer "${header}"`));
          return;
        }
        this.expected = { oid, type, size };
      }
      const { oid, type, size } = this.expected;
      if (this.unread < size + 1) return;
      const buffer = this.flatten();
      const content = Buffer.from(buffer.subarray(0, size));
      this.keep(buffer.subarray(size + 1));
      this.expected = undefined;
      this.queue.shift()!.resolve({ oid, type, content });
    }
  }
}
