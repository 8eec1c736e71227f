import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { JWT_SERIES_FIXTURE } from './jwtSeriesFixture';
import { ASSETS_DIR, RUNTIME_ASSETS } from '../../src/image/assets';

/** The smallest environment the image's entrypoint accepts (render-config.js; proven by the image e2e test). */
export const MINIMAL_IMAGE_ENV: Readonly<Record<string, string>> = {
  MESHCENTRAL_URL: 'https://mesh.example.com',
  JWT_SECRET: 'x'.repeat(32),
  JWT_ISSUER: 'https://dash.example.com',
  JWT_AUDIENCE: 'meshcentral',
  POSTGRES_HOST: 'db.example.com',
  POSTGRES_USER: 'mesh',
  POSTGRES_PASSWORD: 'pw',
  POSTGRES_DB: 'dashboard',
};

/**
 * /opt/meshfork as the image build lays it out, in `dir`: the tool's scripts (src/image/assets) beside the
 * frozen fixture project's renderer (its image.assets). Returns the entrypoint's path.
 */
export function stageImageScripts(dir: string): string {
  mkdirSync(dir, { recursive: true });
  for (const name of RUNTIME_ASSETS) copyFileSync(path.join(ASSETS_DIR, name), path.join(dir, name));
  copyFileSync(path.join(JWT_SERIES_FIXTURE, 'image', 'assets', 'render-config.js'), path.join(dir, 'render-config.js'));
  return path.join(dir, 'entrypoint.js');
}
