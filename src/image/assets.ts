import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import type { LoadedConfig } from '../config/load';
import { MeshforkError } from '../errors';

/**
 * The tool's generic image assets (Dockerfile template, entrypoint, health check, identity keeper)
 * live in src/image/assets and are used as they are, from dist/ and from src/ alike. The payload's own
 * (render-config.js and sample.env) live in the project's `image.assets` folder.
 */
export const ASSETS_DIR =
  [path.join(__dirname, 'assets'), path.resolve(__dirname, '..', '..', 'src', 'image', 'assets')].find((dir) =>
    existsSync(path.join(dir, 'Dockerfile.template')),
  ) ?? path.resolve(__dirname, '..', '..', 'src', 'image', 'assets');

/** The tool's files copied into the image under /opt/meshfork. */
export const RUNTIME_ASSETS = ['entrypoint.js', 'healthcheck.js', 'identity.js'];

export const DOCKERFILE_TEMPLATE = path.join(ASSETS_DIR, 'Dockerfile.template');

/** The project's renderer the entrypoint requires, and the sample environment verify renders it with (not shipped). */
export const RENDER_CONFIG = 'render-config.js';
export const SAMPLE_ENV = 'sample.env';

/** The project's asset files that go into the image beside the tool's: every file of `image.assets` but sample.env. */
export async function projectAssetFiles(loaded: LoadedConfig): Promise<string[]> {
  const configured = loaded.config.image.assets;
  const configName = path.basename(loaded.file);
  if (configured === undefined)
    throw new MeshforkError(
      'IMAGE_ASSETS_MISSING',
      `${loaded.file}: image.assets: not set; the image needs the project's ${RENDER_CONFIG}`,
      {
        hint: `add "assets": "image/assets" to "image" in ${configName}, a folder holding ${RENDER_CONFIG} and ${SAMPLE_ENV}; see README "The image"`,
      },
    );
  const dir = path.resolve(loaded.root, configured);
  const missing = new MeshforkError('IMAGE_ASSETS_MISSING', `${loaded.file}: image.assets: cannot read ${path.join(dir, RENDER_CONFIG)}`, {
    hint: `add ${RENDER_CONFIG} (exporting renderConfig(env) and databaseCa(env)) to ${configured}, or point "image.assets" in ${configName} at the folder holding it`,
  });
  let names: string[];
  try {
    names = (await fs.readdir(dir, { withFileTypes: true })).filter((e) => e.isFile() && e.name !== SAMPLE_ENV).map((e) => e.name);
  } catch {
    throw missing;
  }
  if (!names.includes(RENDER_CONFIG)) throw missing;
  const clash = names.find((name) => RUNTIME_ASSETS.includes(name));
  if (clash)
    throw new MeshforkError('IMAGE_ASSETS_MISSING', `${loaded.file}: image.assets: ${clash} is one of meshfork's own image files`, {
      hint: `rename ${path.join(configured, clash)}`,
    });
  return names.sort().map((name) => path.join(dir, name));
}
