import { createHash } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { MeshforkError } from '../errors';
import { npmPack } from '../tools/npm';

// npm comes in the build context, so a base without npm (Debian's nodejs) builds too and every base gets the
// same npm (10.9: Node 18.17+). Checked against the pinned integrity before use.
export const BUILD_NPM = {
  version: '10.9.2',
  integrity: 'sha512-iriPEPIkoMYUy3F6f3wwSZAU93E0Eg6cHwIR6jzzOXWSy+SD/rOODEs74cVONHKSx2obXtuUoyidVEhISrisgQ==',
};

async function integrityOf(file: string): Promise<string> {
  return `sha512-${createHash('sha512')
    .update(await fs.readFile(file))
    .digest('base64')}`;
}

export async function npmTarballForBuild(cacheDir: string): Promise<string> {
  const dir = path.join(cacheDir, 'image');
  const file = path.join(dir, `npm-${BUILD_NPM.version}.tgz`);
  if (existsSync(file) && (await integrityOf(file)) === BUILD_NPM.integrity) return file;
  await fs.mkdir(dir, { recursive: true });
  const work = await fs.mkdtemp(path.join(dir, '.npm-'));
  try {
    const name = await npmPack('npm', BUILD_NPM.version, work);
    const downloaded = path.join(work, name);
    const actual = await integrityOf(downloaded);
    if (actual !== BUILD_NPM.integrity) {
      throw new MeshforkError(
        'INTEGRITY_MISMATCH',
        `npm@${BUILD_NPM.version} from the registry has integrity ${actual}, expected ${BUILD_NPM.integrity}`,
        {
          hint: 'check the registry and proxy settings (`npm config get registry`); meshfork refuses a tarball that differs',
        },
      );
    }
    await fs.rename(downloaded, file);
    return file;
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}
