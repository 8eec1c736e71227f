/*
 * The frozen JWT series (test/fixtures/jwt-series-1.1.55): the tool's tests use it instead of the
 * repository's live patches/, config and lock, so moving the live series to another release (or
 * changing the payload) never moves a tool test. See the fixture's README.
 */
import { cpSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './release';

/** The fixture project folder: meshfork.config.json, meshfork.lock.json, patches/, files/, image/package-lock.json. */
export const JWT_SERIES_FIXTURE = path.join(REPO_ROOT, 'test', 'fixtures', 'jwt-series-1.1.55');
/** The fixture's patches/ folder. */
export const JWT_SERIES_PATCHES = path.join(JWT_SERIES_FIXTURE, 'patches');
/** The fixture's new files (config "files"): jwt-auth.js. */
export const JWT_SERIES_FILES = path.join(JWT_SERIES_FIXTURE, 'files');
/** The release the fixture's series is based on (its config's `base`). */
export const JWT_SERIES_BASE = '1.1.55';

/** Copy `entries` of the fixture project (all of it by default) into `dir`. */
export function copyJwtSeriesProject(
  dir: string,
  entries: readonly string[] = ['meshfork.config.json', 'meshfork.lock.json', 'patches', 'files', 'image'],
): void {
  for (const entry of entries) cpSync(path.join(JWT_SERIES_FIXTURE, entry), path.join(dir, entry), { recursive: true });
}
