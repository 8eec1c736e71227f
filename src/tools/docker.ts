import { existsSync } from 'node:fs';
import execa from 'execa';
import { MeshforkError } from '../errors';
import { shellCommand } from '../util/shellQuote';

// One door to docker, arguments as arrays. BuildKit (DOCKER_BUILDKIT=1) because the build reads the registry CA as a secret.
/** $MESHFORK_DOCKER, config image.docker, /usr/bin/docker (Debian's 20.10 client runs BuildKit itself; a newer one may need buildx), else PATH. */
export function dockerBinary(configured?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (env.MESHFORK_DOCKER) return env.MESHFORK_DOCKER;
  if (configured) return configured;
  return existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';
}

export interface DockerRunOptions {
  cwd?: string;
  input?: string | Buffer;
  onLine?: (line: string) => void;
  /** Exit codes that are answers, not failures. */
  okExitCodes?: number[];
  /** The caller showed every line already: a failure's message does not repeat them. */
  outputShown?: boolean;
}

export interface DockerResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

function lineSplitter(onLine: (line: string) => void): { push(chunk: Buffer): void; end(): void } {
  let rest = '';
  return {
    push(chunk) {
      const text = rest + chunk.toString('utf8');
      const lines = text.split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) onLine(line.replace(/\r$/, ''));
    },
    end() {
      if (rest) onLine(rest);
      rest = '';
    },
  };
}

function tail(text: string, lines = 15): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** Run `docker ...args`; TOOL_MISSING when the binary is absent, TOOL_FAILED (with stderr) on a failing exit. */
export async function runDocker(docker: string, args: string[], options: DockerRunOptions = {}): Promise<DockerResult> {
  const ok = options.okExitCodes ?? [0];
  const child = execa(docker, args, {
    cwd: options.cwd,
    input: options.input,
    env: { DOCKER_BUILDKIT: '1', DOCKER_CLI_HINTS: 'false' },
    reject: false,
    stripFinalNewline: false,
    maxBuffer: 256 * 1024 * 1024,
  });
  if (options.onLine) {
    const out = lineSplitter(options.onLine);
    const err = lineSplitter(options.onLine);
    child.stdout?.on('data', (d: Buffer) => out.push(d));
    child.stderr?.on('data', (d: Buffer) => err.push(d));
    child.stdout?.on('end', () => out.end());
    child.stderr?.on('end', () => err.end());
  }
  let result;
  try {
    result = await child;
  } catch (error) {
    throw new MeshforkError('TOOL_FAILED', `${docker} could not be started: ${(error as Error).message}`, { cause: error });
  }
  if ((result as { code?: string }).code === 'ENOENT') {
    throw new MeshforkError('TOOL_MISSING', `docker is not installed: ${docker} not found`, {
      hint: 'install Docker (Debian: apt-get install docker.io), or point MESHFORK_DOCKER or "image.docker" in meshfork.config.json at the docker client',
    });
  }
  const exitCode = result.exitCode ?? -1;
  const stdout = String(result.stdout ?? '');
  const stderr = String(result.stderr ?? '');
  if (!ok.includes(exitCode)) {
    const daemonDown = /Cannot connect to the Docker daemon|Is the docker daemon running|docker\.sock: connect/i.test(stderr);
    const shown = options.outputShown ? ': its output is above' : `:\n${tail(stderr || stdout)}`;
    // The hint is the same command, runnable as it is (without the iid file of a temporary folder).
    const iid = args.indexOf('--iidfile');
    const again = iid === -1 ? args : [...args.slice(0, iid), ...args.slice(iid + 2)];
    throw new MeshforkError('TOOL_FAILED', `docker ${args[0]} failed (exit ${exitCode})${shown}`, {
      hint: daemonDown
        ? 'start the Docker daemon (e.g. `dockerd &` or `systemctl start docker`) and run again'
        : `run \`${args[0] === 'build' ? 'DOCKER_BUILDKIT=1 ' : ''}${shellCommand([docker, ...again])}\` by hand to see the whole error`,
      details: { stderr: tail(stderr, 60), exitCode },
    });
  }
  return { stdout, stderr, exitCode };
}

export async function assertDockerReady(docker: string): Promise<void> {
  await runDocker(docker, ['version', '--format', '{{.Server.Version}}']);
}

export interface DockerBuildOptions {
  context: string;
  tags: string[];
  secrets: { id: string; src: string }[];
  network?: string;
  noCache?: boolean;
  iidFile?: string;
  onLine?: (line: string) => void;
  outputShown?: boolean;
}

export function dockerBuildArgs(options: Omit<DockerBuildOptions, 'onLine' | 'outputShown'>): string[] {
  const args = ['build', '--progress', 'plain'];
  for (const secret of options.secrets) args.push('--secret', `id=${secret.id},src=${secret.src}`);
  if (options.network) args.push('--network', options.network);
  if (options.noCache) args.push('--no-cache');
  for (const tag of options.tags) args.push('--tag', tag);
  if (options.iidFile) args.push('--iidfile', options.iidFile);
  args.push(options.context);
  return args;
}

export async function dockerBuild(docker: string, options: DockerBuildOptions): Promise<DockerResult> {
  return runDocker(docker, dockerBuildArgs(options), { onLine: options.onLine, outputShown: options.outputShown });
}

export async function dockerInspectImage(docker: string, ref: string): Promise<DockerImageInfo | undefined> {
  const result = await runDocker(docker, ['image', 'inspect', ref], { okExitCodes: [0, 1] });
  if (result.exitCode !== 0) {
    if (/No such image|no such image/i.test(result.stderr)) return undefined;
    throw new MeshforkError('TOOL_FAILED', `docker image inspect ${ref} failed: ${tail(result.stderr)}`, {
      hint: 'check that the Docker daemon is running',
    });
  }
  const parsed = JSON.parse(result.stdout) as DockerImageInfo[];
  return parsed[0];
}

export interface DockerImageInfo {
  Id: string;
  RepoTags: string[] | null;
  RepoDigests: string[] | null;
  Config: { Labels?: Record<string, string> | null; User?: string; [key: string]: unknown };
  RootFS: { Layers?: string[] };
}

export async function dockerPush(docker: string, tag: string, onLine?: (line: string) => void): Promise<string> {
  const result = await runDocker(docker, ['push', tag], { onLine, outputShown: onLine !== undefined });
  const digest = /digest: (sha256:[0-9a-f]{64})/.exec(result.stdout + result.stderr)?.[1];
  if (!digest)
    throw new MeshforkError('TOOL_FAILED', `docker push ${tag} printed no digest:\n${tail(result.stdout)}`, {
      hint: 'push it by hand to see what the registry answered',
    });
  return digest;
}
