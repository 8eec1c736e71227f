import { createHash } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { filesFolder, type LoadedConfig } from '../config/load';
import { applySeries, MemoryTree } from '../engine';
import { MeshforkError } from '../errors';
import { loadSeries } from '../series/load';
import { appliedPatches } from '../series/types';
import { assertInRange, openUpstream } from '../upstream';
import type { ProgressSink } from '../util/progress';
import { DOCKERFILE_TEMPLATE, projectAssetFiles } from './assets';
import { buildPlan, type BuildPlan } from './buildPlan';
import { writeContext } from './context';
import { depsManifest, ensureDepsLock } from './depsLock';
import { assertImageReference, renderDockerfile } from './dockerfile';
import { creationDate, imageLabels, shortSeries } from './labels';
import { npmTarballForBuild } from './npmForBuild';
import { projectProvenance } from './provenance';
import { seriesHash } from './seriesHash';
import { tracePhase } from '../util/tracePhase';

export interface PrepareOptions {
  loaded: LoadedConfig;
  version: string;
  /** The folder the context is written to (replaced as a whole). */
  contextDir: string;
  extraTags: string[];
  baseImage?: string;
  caFile?: string;
  network?: string;
  noCache?: boolean;
  frozenLock?: boolean;
  docker: string;
  cacheDir: string;
  env: NodeJS.ProcessEnv;
  progress?: ProgressSink;
}

/** A written build context and everything about the image it builds, before docker runs. */
export interface PreparedBuild {
  upstream: { version: string; identity: string };
  series: { sha256: string; patches: number };
  baseImage: string;
  tags: string[];
  labels: Record<string, string>;
  context: string;
  plan: BuildPlan;
  depsLock: { file: string; updated: boolean };
}

function defaultTag(loaded: LoadedConfig, version: string, series: string): string {
  const tag = loaded.config.image.tag.replace(/\{version\}/g, version).replace(/\{series\}/g, shortSeries(series));
  return `${loaded.config.image.repository}:${tag}`;
}

function resolveCaFile(options: PrepareOptions): string | undefined {
  const caFile = options.caFile ?? options.env.NODE_EXTRA_CA_CERTS;
  if (!caFile) return undefined;
  const absolute = path.resolve(options.loaded.root, caFile);
  if (!existsSync(absolute)) {
    throw new MeshforkError('USAGE', `${options.caFile !== undefined ? '--ca-file' : 'NODE_EXTRA_CA_CERTS'}: ${absolute} does not exist`, {
      hint: 'pass --ca-file with the PEM bundle npm needs to reach the registry, or --ca-file "" for none',
    });
  }
  return absolute;
}

/** The series applied to the release, the dependency lock checked, the labels made, the context written. */
export async function prepareBuild(options: PrepareOptions): Promise<PreparedBuild> {
  const { loaded, version } = options;
  assertInRange(loaded.config, version);
  const created = creationDate(options.env);
  if (!created)
    throw new MeshforkError('USAGE', `SOURCE_DATE_EPOCH must be whole seconds since 1970, got "${options.env.SOURCE_DATE_EPOCH}"`, {
      hint: 'unset it or set it to e.g. $(git log -1 --format=%ct)',
    });
  const baseImage = options.baseImage ?? loaded.config.image.baseImage ?? `node:${loaded.config.image.nodeVersion}-bookworm-slim`;
  assertImageReference(baseImage, options.baseImage ? '--base-image' : 'image.baseImage');
  const caFile = resolveCaFile(options);

  const projectAssets = await projectAssetFiles(loaded);
  const series = await loadSeries(loaded.patchesDir, filesFolder(loaded));
  const seriesSha256 = await seriesHash(series);
  const tags = [...new Set([defaultTag(loaded, version, seriesSha256), ...options.extraTags])];
  for (const tag of tags) assertImageReference(tag, `tag ${tag}`);

  const upstream = await openUpstream(loaded, { progress: options.progress, cacheDir: options.cacheDir });
  try {
    tracePhase('build:apply');
    const release = await upstream.resolve(version);
    const tree = new MemoryTree(upstream.reader(version));
    const outcome = await applySeries(appliedPatches(series), tree, { fuzz: 0 });
    if (outcome.status !== 'clean' && outcome.status !== 'offset') {
      const stuck = outcome.patches.find((p) => p.status !== 'clean' && p.status !== 'offset');
      throw new MeshforkError(
        'CONFLICT',
        `the series does not apply cleanly to ${version}: ${stuck?.name ?? 'a patch'} is ${stuck?.status ?? outcome.status}`,
        {
          hint: `run \`meshfork sync check --to ${version}\` for the details, then \`meshfork sync rebase --to ${version}\``,
        },
      );
    }
    const packageJson = await tree.read('package.json');
    if (packageJson === undefined)
      throw new MeshforkError('PATCH_INVALID', `${version} with the series has no package.json`, {
        hint: 'check the upstream release and the series',
      });
    const deps = depsManifest(Buffer.from(packageJson, 'latin1').toString('utf8'), `package.json of ${version} with the series`);
    const depsLock = await ensureDepsLock(path.resolve(loaded.root, loaded.config.image.lockFile), deps, Boolean(options.frozenLock));
    const npmTarball = await npmTarballForBuild(options.cacheDir);

    const provenance = await projectProvenance(loaded.root);
    const license = (JSON.parse(Buffer.from(packageJson, 'latin1').toString('utf8')) as { license?: unknown }).license;
    const labels = imageLabels({
      upstreamVersion: version,
      upstreamIdentity: release.identity,
      seriesSha256,
      revision: provenance.revision,
      source: loaded.config.image.source ?? provenance.remote,
      licenses: typeof license === 'string' ? license : undefined,
      baseImage,
      created,
    });
    const plan = buildPlan({
      docker: options.docker,
      context: options.contextDir,
      tags,
      caFile,
      network: options.network,
      noCache: options.noCache,
    });
    const template = await fs.readFile(DOCKERFILE_TEMPLATE, 'utf8');
    await writeContext(options.contextDir, {
      materialize: (dir) => upstream.materialize(version, dir),
      changes: tree.changes(),
      deps,
      depsLock: depsLock.text,
      npmTarball,
      dockerfile: renderDockerfile(template, { baseImage, labels }),
      buildScript: plan.script,
      projectAssets,
    });
    return {
      upstream: { version, identity: release.identity },
      series: { sha256: seriesSha256, patches: series.patches.length },
      baseImage,
      tags,
      labels,
      context: options.contextDir,
      plan,
      depsLock: { file: depsLock.file, updated: depsLock.updated },
    };
  } finally {
    upstream.close();
  }
}

/** Where `meshfork build` keeps a project's context: one stable folder, so BuildKit sends only what changed. */
export function stableContextDir(cacheDir: string, root: string): string {
  return path.join(cacheDir, 'image', 'contexts', createHash('sha256').update(root).digest('hex').slice(0, 16));
}
