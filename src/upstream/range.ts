import * as semver from '../util/semver';
import type { Config } from '../config/schema';
import { MeshforkError } from '../errors';

export function assertInRange(config: Config, version: string, ignoreRange = false): void {
  if (ignoreRange || semver.satisfies(version, config.supports)) return;
  throw new MeshforkError(
    'VERSION_OUT_OF_RANGE',
    `${version} is outside the supported range "${config.supports}" (meshfork.config.json: supports)`,
    {
      hint: 'pass --ignore-range to use it anyway, or widen "supports" in meshfork.config.json',
      details: { version, supports: config.supports },
    },
  );
}

export function inRange(config: Config, version: string): boolean {
  return semver.satisfies(version, config.supports);
}
