// One spelling per release ("v1.1.51" is 1.1.51), so the lock never holds two entries for one.
import * as semver from '../util/semver';
import type { Config } from '../config/schema';
import { MeshforkError } from '../errors';
import type { Upstream } from './index';
import { assertInRange } from './range';
import type { Release } from './source';

export function normalizeVersion(input: string, flag: string): string {
  const version = semver.clean(input);
  if (version === null) {
    throw new MeshforkError('USAGE', `${flag}: "${input}" is not a version such as 1.1.55`, {
      hint: 'run `meshfork upstream list` to see the releases',
    });
  }
  return version;
}

/** An unknown release is VERSION_UNKNOWN, not OUT_OF_RANGE: the --ignore-range hint must not lead to another failure. */
export async function assertReleaseInRange(upstream: Upstream, config: Config, version: string, ignoreRange = false): Promise<void> {
  if (ignoreRange || semver.satisfies(version, config.supports)) return;
  if (!(await upstream.listReleases()).some((r) => r.version === version)) await upstream.resolve(version);
  assertInRange(config, version, ignoreRange);
}

export function releaseOrigin(config: Config): string {
  return config.upstream.source === 'git'
    ? `tags matching "${config.upstream.tagPattern}" in ${config.upstream.url}`
    : `versions of the npm package ${config.upstream.package}`;
}

/** An upstream that yields no release at all is a configuration problem, never "up to date". */
export function requireReleases(config: Config, releases: Release[]): void {
  if (releases.length > 0) return;
  if (config.upstream.source === 'git') {
    throw new MeshforkError(
      'NO_RELEASES',
      `no tag in ${config.upstream.url} matches tagPattern "${config.upstream.tagPattern}" with a version, so nothing can be checked against the base ${config.base} (meshfork.config.json: upstream.tagPattern)`,
      {
        hint: `tagPattern is a git glob such as "v*", not a regular expression; list the tags with \`git ls-remote --tags ${config.upstream.url}\``,
        details: { tagPattern: config.upstream.tagPattern, base: config.base },
      },
    );
  }
  throw new MeshforkError(
    'NO_RELEASES',
    `the npm package ${config.upstream.package} has no published versions, so nothing can be checked against the base ${config.base} (meshfork.config.json: upstream.package)`,
    {
      hint: `check the package name with \`npm view ${config.upstream.package} versions\``,
      details: { package: config.upstream.package, base: config.base },
    },
  );
}

/** The base must be one of upstream's releases: a check against no base proves nothing. */
export function requireBaseRelease(config: Config, releases: Release[]): void {
  requireReleases(config, releases);
  if (releases.some((r) => r.version === config.base)) return;
  throw new MeshforkError(
    'BASE_UNKNOWN',
    `the base ${config.base} (meshfork.config.json: base) is not among the ${releases.length} release(s) upstream has (${releaseOrigin(config)})`,
    {
      hint: 'run `meshfork upstream list` and set "base" to the release the series is made on',
      details: { base: config.base, releases: releases.length },
    },
  );
}
