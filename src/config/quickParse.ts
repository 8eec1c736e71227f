/*
 * The common case without zod: a config that is plainly valid is turned into exactly what
 * configSchema.parse would return (same values, defaults, key order). Anything unusual returns
 * undefined and goes through zod, which alone words the errors. Loading zod costs more than a
 * warm `sync check` does otherwise.
 */
import type { Config } from './schema';
import * as semver from '../util/semver';

type Plain = Record<string, unknown>;

function plainObject(value: unknown, keys: readonly string[]): value is Plain {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || Object.getPrototypeOf(value) !== Object.prototype)
    return false;
  return Object.keys(value).every((k) => keys.includes(k));
}

function text(value: unknown, minLength = 0): value is string {
  return typeof value === 'string' && value.length >= minLength;
}

function upstreamOf(raw: unknown): Config['upstream'] | undefined {
  if (plainObject(raw, ['source', 'package']) && raw.source === 'npm' && text(raw.package, 1))
    return { source: 'npm', package: raw.package };
  if (
    !plainObject(raw, ['source', 'url', 'tagPattern']) ||
    raw.source !== 'git' ||
    !text(raw.url) ||
    !/^(https:\/\/|file:\/\/|ssh:\/\/|git@)/.test(raw.url)
  )
    return undefined;
  if (raw.tagPattern !== undefined && !text(raw.tagPattern)) return undefined;
  return { source: 'git', url: raw.url, tagPattern: raw.tagPattern ?? 'v*' };
}

const IMAGE_KEYS = ['repository', 'tag', 'nodeVersion', 'baseImage', 'docker', 'lockFile', 'source', 'assets'] as const;

function imageOf(raw: unknown): Config['image'] | undefined {
  const given = raw === undefined ? {} : raw;
  if (!plainObject(given, IMAGE_KEYS)) return undefined;
  const defaults: Plain = {
    repository: 'meshfork/meshcentral',
    tag: '{version}-{series}',
    nodeVersion: '20',
    lockFile: 'image/package-lock.json',
  };
  // Same key order as zod's output: the schema's order, optional keys only when given.
  const image: Plain = {};
  for (const key of IMAGE_KEYS) {
    const value = given[key] ?? defaults[key];
    if (value === undefined) continue;
    if (!text(value, 1)) return undefined;
    image[key] = value;
  }
  return image as Config['image'];
}

function policyOf(raw: unknown): Config['policy'] | undefined {
  if (raw === undefined) return { allowGenerated: [] };
  if (!plainObject(raw, ['allowGenerated'])) return undefined;
  const allowGenerated = raw.allowGenerated ?? [];
  return Array.isArray(allowGenerated) && allowGenerated.every((g) => text(g, 1)) ? { allowGenerated: [...allowGenerated] } : undefined;
}

function smokeOf(raw: unknown): Config['smoke'] | 'invalid' | undefined {
  if (raw === undefined) return undefined;
  return plainObject(raw, ['script']) && text(raw.script, 1) ? { script: raw.script } : 'invalid';
}

/** configSchema.parse(raw) for a plainly valid config; undefined when zod must look at it. */
export function quickParseConfig(raw: unknown): Config | undefined {
  if (!plainObject(raw, ['$schema', 'upstream', 'base', 'supports', 'patches', 'files', 'image', 'policy', 'smoke'])) return undefined;
  const { $schema, base, supports, patches = 'patches', files } = raw;
  const upstream = upstreamOf(raw.upstream);
  const image = imageOf(raw.image);
  const policy = policyOf(raw.policy);
  const smoke = smokeOf(raw.smoke);
  if (
    !upstream ||
    !image ||
    !policy ||
    smoke === 'invalid' ||
    ($schema !== undefined && !text($schema)) ||
    !text(patches, 1) ||
    (files !== undefined && !text(files, 1))
  )
    return undefined;
  if (!text(base) || semver.valid(base) === null || !text(supports) || !semver.isRange(supports)) return undefined;
  return {
    ...($schema !== undefined ? { $schema } : {}),
    upstream,
    base,
    supports,
    patches,
    ...(files !== undefined ? { files } : {}),
    image,
    policy,
    ...(smoke !== undefined ? { smoke } : {}),
  };
}
