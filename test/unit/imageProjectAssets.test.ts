/*
 * The project's image assets (config image.assets) that `meshfork build` copies under /opt/meshfork
 * beside the tool's scripts: every file but sample.env; no folder, no render-config.js, or a name of
 * the tool's own is IMAGE_ASSETS_MISSING (exit 2) naming the field.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LoadedConfig } from '../../src/config/load';
import { parseConfig } from '../../src/config/load';
import { projectAssetFiles } from '../../src/image/assets';

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'meshfork-project-assets-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function loaded(assets: string | undefined, files: string[]): LoadedConfig {
  const root = path.join(tmp, `p${Math.random().toString(16).slice(2)}`);
  mkdirSync(path.join(root, 'image', 'assets'), { recursive: true });
  for (const name of files) writeFileSync(path.join(root, 'image', 'assets', name), '');
  const file = path.join(root, 'meshfork.config.json');
  const config = parseConfig(file, {
    upstream: { source: 'npm', package: 'meshcentral' },
    base: '1.1.55',
    supports: '>=1.1.0 <2',
    ...(assets ? { image: { assets } } : {}),
  });
  return { config, file, root, patchesDir: path.join(root, 'patches') };
}

test('every file of image.assets but sample.env, sorted', async () => {
  const project = loaded('image/assets', ['sample.env', 'render-config.js', 'helper.js']);
  expect(await projectAssetFiles(project)).toEqual(
    ['helper.js', 'render-config.js'].map((name) => path.join(project.root, 'image', 'assets', name)),
  );
});

test('image.assets unset, without render-config.js, or holding a name of the tool: IMAGE_ASSETS_MISSING naming the field', async () => {
  const unset = loaded(undefined, []);
  await expect(projectAssetFiles(unset)).rejects.toMatchObject({
    code: 'IMAGE_ASSETS_MISSING',
    message: `${unset.file}: image.assets: not set; the image needs the project's render-config.js`,
  });
  const empty = loaded('image/assets', ['sample.env']);
  await expect(projectAssetFiles(empty)).rejects.toMatchObject({
    code: 'IMAGE_ASSETS_MISSING',
    message: `${empty.file}: image.assets: cannot read ${path.join(empty.root, 'image', 'assets', 'render-config.js')}`,
  });
  const clash = loaded('image/assets', ['render-config.js', 'entrypoint.js']);
  await expect(projectAssetFiles(clash)).rejects.toMatchObject({
    code: 'IMAGE_ASSETS_MISSING',
    message: `${clash.file}: image.assets: entrypoint.js is one of meshfork's own image files`,
  });
});
