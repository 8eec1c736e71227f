import { existsSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../config/load';
import { MeshforkError } from '../errors';
import { prepareBuild, stableContextDir, type PreparedBuild } from '../image/prepare';
import { runBuild } from '../image/runBuild';
import { dockerBinary } from '../tools/docker';
import { defaultCacheDir } from '../upstream';
import { withProcessLock } from '../upstream/processLock';
import type { ProgressSink } from '../util/progress';

export interface BuildCommandOptions {
  cwd: string;
  configFile?: string;
  to?: string;
  tags?: string[];
  baseImage?: string;
  /** Push the --tag tags (without any: the default tag, when image.repository names a registry). */
  push?: boolean;
  contextOnly?: string;
  force?: boolean;
  /** A PEM bundle, passed as a build secret; default $NODE_EXTRA_CA_CERTS, "" for none. */
  caFile?: string;
  network?: string;
  noCache?: boolean;
  frozenLock?: boolean;
  onOutput?: (line: string) => void;
  progress?: ProgressSink;
  cacheDir?: string;
  env?: NodeJS.ProcessEnv;
}

export interface BuildResult {
  upstream: PreparedBuild['upstream'];
  series: PreparedBuild['series'];
  baseImage: string;
  tags: string[];
  labels: Record<string, string>;
  context: string;
  /** The exact build command (argv; run it with DOCKER_BUILDKIT=1), also written as build.sh in the context. */
  buildCommand: string[];
  depsLock: PreparedBuild['depsLock'];
  built: boolean;
  imageId: string | null;
  steps: { total: number; cached: number } | null;
  /** Manifest digest of the pushed image (the same for every tag of one build), with --push. */
  digest: string | null;
  pushed: { tag: string; digest: string }[];
}

/** As docker decides it: ghcr.io/..., 127.0.0.1:5000/..., localhost/... */
export function namesRegistry(repository: string): boolean {
  const first = repository.split('/')[0];
  return repository.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
}

export async function build(options: BuildCommandOptions): Promise<BuildResult> {
  const env = options.env ?? process.env;
  const loaded = await loadConfig(options.cwd, options.configFile);
  const cacheDir = options.cacheDir ?? defaultCacheDir(env);
  const docker = dockerBinary(loaded.config.image.docker, env);
  const contextDir =
    options.contextOnly !== undefined ? path.resolve(options.cwd, options.contextOnly) : stableContextDir(cacheDir, loaded.root);
  if (options.contextOnly !== undefined) {
    const inside = (dir: string) => dir === contextDir || dir.startsWith(contextDir + path.sep);
    if (inside(loaded.root) || inside(path.resolve(options.cwd))) {
      throw new MeshforkError(
        'USAGE',
        `--context-only ${contextDir} holds the project (or the current folder); the context replaces the whole folder`,
        { hint: 'choose a folder of its own, e.g. --context-only build/image' },
      );
    }
    if (existsSync(contextDir) && !options.force)
      throw new MeshforkError('OUTPUT_EXISTS', `${contextDir} already exists`, {
        hint: 'pass --force to replace it, or choose another --context-only folder',
      });
    if (options.push)
      throw new MeshforkError('USAGE', '--push and --context-only exclude each other: nothing is built to push', {
        hint: 'leave out one of them',
      });
  }
  const pushDefault = options.push === true && (options.tags ?? []).length === 0;
  if (pushDefault && !namesRegistry(loaded.config.image.repository)) {
    throw new MeshforkError(
      'USAGE',
      `--push without --tag would push ${loaded.config.image.repository}, which names no registry (Docker Hub is never pushed to implicitly)`,
      {
        hint: 'name the image: meshfork build --push --tag ghcr.io/OWNER/meshcentral:1.1.55-jwt.1 (or set image.repository to registry/name)',
      },
    );
  }
  const work = async (): Promise<BuildResult> => {
    const prepared = await prepareBuild({
      loaded,
      version: options.to ?? loaded.config.base,
      contextDir,
      extraTags: options.tags ?? [],
      baseImage: options.baseImage,
      caFile: options.caFile ? path.resolve(options.cwd, options.caFile) : options.caFile,
      network: options.network,
      noCache: options.noCache,
      frozenLock: options.frozenLock,
      docker,
      cacheDir,
      env,
      progress: options.progress,
    });
    const base = {
      upstream: prepared.upstream,
      series: prepared.series,
      baseImage: prepared.baseImage,
      tags: prepared.tags,
      labels: prepared.labels,
      context: prepared.context,
      buildCommand: [docker, ...prepared.plan.args],
      depsLock: prepared.depsLock,
    };
    if (options.contextOnly !== undefined) return { ...base, built: false, imageId: null, steps: null, digest: null, pushed: [] };
    const pushTags = !options.push ? [] : pushDefault ? [prepared.tags[0]] : [...new Set(options.tags)];
    const image = await runBuild(prepared, { pushTags, onLine: options.onOutput });
    return {
      ...base,
      built: true,
      imageId: image.imageId,
      steps: image.steps,
      digest: image.pushed[0]?.digest ?? null,
      pushed: image.pushed,
    };
  };
  // One build at a time per stable context folder; --context-only folders are the caller's own.
  return options.contextOnly !== undefined ? work() : withProcessLock(contextDir, work);
}
