import { z } from 'zod';
import * as semver from '../util/semver';

const version = z.string().refine((v) => semver.valid(v) !== null, { message: 'must be a semver version such as 1.1.55' });

const npmUpstream = z
  .object({
    source: z.literal('npm'),
    package: z.string().min(1).describe('npm package name of the upstream'),
  })
  .strict();

const gitUpstream = z
  .object({
    source: z.literal('git'),
    url: z.string().regex(/^(https:\/\/|file:\/\/|ssh:\/\/|git@)/, { message: 'must be an https://, ssh:// or file:// URL' }),
    tagPattern: z
      .string()
      .default('v*')
      .describe('glob of the release tags, e.g. "v*"; the version is the tag with its non-numeric prefix removed'),
  })
  .strict();

const image = z
  .object({
    repository: z.string().min(1).default('meshfork/meshcentral').describe('image repository name'),
    tag: z
      .string()
      .min(1)
      .default('{version}-{series}')
      .describe('image tag; {version} is replaced by the upstream version, {series} by the first 12 hex digits of the series hash'),
    nodeVersion: z.string().min(1).default('20').describe('major Node.js version of the default base image'),
    baseImage: z.string().min(1).optional().describe('base image (default node:{nodeVersion}-bookworm-slim); needs node and useradd'),
    docker: z
      .string()
      .min(1)
      .optional()
      .describe('docker client to run (default /usr/bin/docker when present, else docker on PATH); $MESHFORK_DOCKER overrides'),
    lockFile: z
      .string()
      .min(1)
      .default('image/package-lock.json')
      .describe("lock file of the image's production dependencies, relative to the project root (commit it)"),
    source: z.string().min(1).optional().describe('org.opencontainers.image.source label (default: the git remote origin URL)'),
    assets: z
      .string()
      .min(1)
      .optional()
      .describe(
        "folder of the project's image assets, relative to the project root: render-config.js (renderConfig(env), databaseCa(env)) and sample.env; its files but sample.env go into the image under /opt/meshfork",
      ),
  })
  .strict();

const policy = z
  .object({
    allowGenerated: z
      .array(z.string().min(1))
      .default([])
      .describe('globs (* and **) of generated or vendored upstream files the series may change anyway (meshfork verify)'),
  })
  .strict();

const smoke = z
  .object({
    script: z
      .string()
      .min(1)
      .describe(
        'the project\'s smoke check that meshfork verify --smoke runs against the started patched MeshCentral (node SCRIPT settings, then node SCRIPT login; README "The smoke script"), relative to the project root',
      ),
  })
  .strict();

/** meshfork.config.json */
export const configSchema = z
  .object({
    $schema: z.string().optional(),
    upstream: z.discriminatedUnion('source', [npmUpstream, gitUpstream]),
    base: version.describe('the upstream release the series is verified against'),
    supports: z
      .string()
      .refine((r) => semver.isRange(r), { message: 'must be a semver range such as ">=1.1.0 <2"' })
      .describe('semver range of upstream releases the series supports'),
    patches: z.string().min(1).default('patches').describe('folder holding the patch files and the series file'),
    files: z
      .string()
      .min(1)
      .optional()
      .describe(
        'folder of files the fork adds to upstream, kept as ordinary files (applied before the patches); absent: the series has none',
      ),
    image: image.default({
      repository: 'meshfork/meshcentral',
      tag: '{version}-{series}',
      nodeVersion: '20',
      lockFile: 'image/package-lock.json',
    }),
    policy: policy.default({ allowGenerated: [] }).describe('patch policy that meshfork verify enforces'),
    smoke: smoke.optional().describe("the payload's smoke check (meshfork verify --smoke); absent: verify --smoke fails with exit 2"),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
export type UpstreamConfig = Config['upstream'];
