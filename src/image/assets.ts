import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * The image assets (Dockerfile template, entrypoint, config renderer, health check) live in
 * src/image/assets and are used as they are, from dist/ and from src/ alike.
 */
export const ASSETS_DIR =
  [path.join(__dirname, 'assets'), path.resolve(__dirname, '..', '..', 'src', 'image', 'assets')].find((dir) =>
    existsSync(path.join(dir, 'Dockerfile.template')),
  ) ?? path.resolve(__dirname, '..', '..', 'src', 'image', 'assets');

/** Files copied into the image under /opt/meshfork. */
export const RUNTIME_ASSETS = ['entrypoint.js', 'healthcheck.js', 'identity.js', 'render-config.js'];

export const DOCKERFILE_TEMPLATE = path.join(ASSETS_DIR, 'Dockerfile.template');
