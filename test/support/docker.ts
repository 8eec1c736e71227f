/*
 * Real Docker for the image tests and benchmark: the docker client meshfork itself would choose, a
 * local base image made without any registry (debootstrap of Debian bookworm minbase with nodejs,
 * imported once and found again by its tag), a throw-away docker-registry on a loopback port, and a
 * scanner that reads every file of every layer of `docker save`.
 */
import { ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Parse, type ReadEntry } from 'tar';
import { dockerBinary } from '../../src/tools/docker';
import { freePort } from './postgres';
import { REPO_ROOT } from './release';

export const DOCKER = dockerBinary();
const DOCKER_ENV = { ...process.env, DOCKER_BUILDKIT: '1' };

export interface Run {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** `docker ...args`; never rejects on a non-zero exit. `env` is added to the client's environment (for `-e NAME`). */
export function docker(args: string[], options: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(
      DOCKER,
      args,
      { env: { ...DOCKER_ENV, ...options.env }, maxBuffer: 512 * 1024 * 1024, timeout: options.timeoutMs ?? 600_000, encoding: 'utf8' },
      (error, stdout, stderr) => {
        const code = error ? (error as NodeJS.ErrnoException & { code?: unknown }).code : 0;
        if (error && typeof code !== 'number') reject(new Error(`docker ${args.join(' ')} did not run: ${error.message}\n${stderr}`));
        else resolve({ stdout, stderr, exitCode: typeof code === 'number' ? code : 0 });
      },
    );
  });
}

export async function dockerOk(args: string[], options: { env?: Record<string, string> } = {}): Promise<string> {
  const run = await docker(args, options);
  if (run.exitCode !== 0) throw new Error(`docker ${args.join(' ')} exited ${run.exitCode}:\n${run.stderr}`);
  return run.stdout;
}

/** The parts of `docker image inspect` the tests read. */
export interface InspectedImage {
  Id: string;
  Config: Record<string, unknown> & { Labels: Record<string, string>; User: string };
  RootFS: { Layers: string[] };
}

export async function inspectImage(ref: string): Promise<InspectedImage> {
  return JSON.parse(await dockerOk(['image', 'inspect', ref]))[0];
}

/** The Debian mirror apt on this machine uses (deb822 or one-line sources), else deb.debian.org. */
export function debianMirror(): string {
  for (const file of ['/etc/apt/sources.list.d/debian.sources', '/etc/apt/sources.list']) {
    if (!existsSync(file)) continue;
    const text = readFileSync(file, 'utf8');
    const uri = /^URIs:\s*(\S+\/debian)\s*$/m.exec(text)?.[1] ?? /^deb\s+(?:\[[^\]]*\]\s+)?(\S+\/debian)\s+bookworm\b/m.exec(text)?.[1];
    if (uri) return uri;
  }
  return 'http://deb.debian.org/debian';
}

const DEBOOTSTRAP_ARGS = ['--variant=minbase', '--include=nodejs,ca-certificates', 'bookworm'];

/** Run a program to its end without blocking the event loop; rejects with its output on a failure. */
function runToEnd(
  command: string,
  args: string[],
  options: { stdin?: NodeJS.ReadableStream; timeoutMs: number },
): { done: Promise<void>; stdout: NodeJS.ReadableStream } {
  const child = spawn(command, args, { stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'], env: DOCKER_ENV });
  let output = '';
  child.stderr?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-8000)));
  if (options.stdin && child.stdin) {
    options.stdin.pipe(child.stdin);
    // A program that stops reading (docker import with no daemon) is reported by its exit below, not as
    // an unhandled EPIPE that kills the test process.
    child.stdin.on('error', () => undefined);
  }
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
  const done = new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`${command} ${args.join(' ')} ended with ${code ?? signal}:\n${output}`));
    });
  });
  return { done, stdout: child.stdout as NodeJS.ReadableStream };
}

/**
 * A local base image with Debian's nodejs (18) made by debootstrap and `docker import`, tagged by a
 * hash of how it was made: an existing image with that tag is reused, so a CI run makes it once.
 * `$MESHFORK_TEST_BASE_IMAGE` names another image to use instead.
 */
export async function ensureBaseImage(options: { tag?: string } = {}): Promise<string> {
  if (process.env.MESHFORK_TEST_BASE_IMAGE && !options.tag) return process.env.MESHFORK_TEST_BASE_IMAGE;
  const mirror = debianMirror();
  const tag =
    options.tag ??
    `meshfork-test/bookworm-node:${createHash('sha256')
      .update([...DEBOOTSTRAP_ARGS, mirror].join(' '))
      .digest('hex')
      .slice(0, 12)}`;
  if ((await docker(['image', 'inspect', tag])).exitCode === 0) return tag;
  const lock = path.join(REPO_ROOT, '.cache', 'base-image.lock');
  mkdirSync(path.dirname(lock), { recursive: true });
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 1_800_000) rmSync(lock, { recursive: true, force: true });
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  try {
    if ((await docker(['image', 'inspect', tag])).exitCode === 0) return tag;
    const root = mkdtempSync(path.join(os.tmpdir(), 'meshfork-debootstrap-'));
    try {
      await runToEnd('debootstrap', [...DEBOOTSTRAP_ARGS, root, mirror], { timeoutMs: 1_800_000 }).done;
      const tar = runToEnd('tar', ['-C', root, '-c', '.'], { timeoutMs: 600_000 });
      await Promise.all([tar.done, runToEnd(DOCKER, ['import', '-', tag], { stdin: tar.stdout, timeoutMs: 600_000 }).done]);
    } finally {
      rmSync(root, { recursive: true, force: true, maxRetries: 3 });
    }
    return tag;
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** A docker-registry (distribution) listening on 127.0.0.1 with its storage in a temp folder. */
export interface LocalRegistry {
  /** host:port, the prefix of image names pushed to it. */
  address: string;
  stop(): Promise<void>;
}

export async function startRegistry(): Promise<LocalRegistry> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'meshfork-registry-'));
  const port = await freePort();
  const config = path.join(dir, 'config.yml');
  writeFileSync(
    config,
    `version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: ${dir}/data\nhttp:\n  addr: 127.0.0.1:${port}\n`,
  );
  const child: ChildProcess = spawn('docker-registry', ['serve', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const deadline = Date.now() + 20_000;
  for (;;) {
    const up = await fetch(`http://127.0.0.1:${port}/v2/`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (up) break;
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`docker-registry did not start on 127.0.0.1:${port}:\n${output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    address: `127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Where a needle was found: the layer (or "history"/"config") and the file. */
export interface Finding {
  needle: string;
  where: string;
}

function scanBuffer(buffer: Buffer, needles: string[], where: string, found: Finding[]): void {
  for (const needle of needles) if (buffer.includes(needle)) found.push({ needle, where });
}

/** Every file of one layer tar (a stream), each read whole and searched for every needle; also returns the layer's paths. */
function scanLayer(stream: NodeJS.ReadableStream, layer: string, needles: string[], found: Finding[], paths: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const parser = new Parse();
    parser.on('entry', (entry: ReadEntry) => {
      paths.push(`${layer}:${entry.path}`);
      const chunks: Buffer[] = [];
      entry.on('data', (d: Buffer) => chunks.push(d));
      entry.on('end', () => scanBuffer(Buffer.concat(chunks), needles, `${layer}:${entry.path}`, found));
    });
    parser.on('end', () => resolve());
    (parser as unknown as NodeJS.EventEmitter).on('error', reject);
    stream.on('error', reject);
    stream.pipe(parser as unknown as NodeJS.WritableStream);
  });
}

/**
 * `docker save IMAGE`, every file of every layer searched for the needles, plus the image config and
 * `docker history --no-trunc`. Returns the findings and every path of every layer.
 */
export async function scanImage(image: string, needles: string[]): Promise<{ findings: Finding[]; paths: string[]; layers: number }> {
  const found: Finding[] = [];
  const paths: string[] = [];
  let layers = 0;
  const history = await dockerOk(['history', '--no-trunc', '--format', '{{json .}}', image]);
  scanBuffer(Buffer.from(history), needles, 'history', found);
  scanBuffer(Buffer.from(await dockerOk(['image', 'inspect', image])), needles, 'config', found);
  await new Promise<void>((resolve, reject) => {
    const save = spawn(DOCKER, ['save', image], { stdio: ['ignore', 'pipe', 'pipe'], env: DOCKER_ENV });
    const outer = new Parse();
    const pending: Promise<void>[] = [];
    outer.on('entry', (entry: ReadEntry) => {
      if (entry.path.endsWith('layer.tar')) {
        layers++;
        pending.push(scanLayer(entry as unknown as NodeJS.ReadableStream, entry.path, needles, found, paths));
      } else {
        const chunks: Buffer[] = [];
        entry.on('data', (d: Buffer) => chunks.push(d));
        entry.on('end', () => scanBuffer(Buffer.concat(chunks), needles, entry.path, found));
      }
    });
    outer.on('end', () => Promise.all(pending).then(() => resolve(), reject));
    (outer as unknown as NodeJS.EventEmitter).on('error', reject);
    save.once('exit', (code) => code !== 0 && reject(new Error(`docker save exited ${code}`)));
    save.stdout.pipe(outer as unknown as NodeJS.WritableStream);
  });
  return { findings: found, paths, layers };
}
