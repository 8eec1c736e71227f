import { promises as fs } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

/** A temporary sibling name in the same directory, so rename() is atomic on the same filesystem. */
export function siblingTempPath(target: string): string {
  const dir = path.dirname(target);
  return path.join(dir, `.${path.basename(target)}.meshfork-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
}

export async function writeFileAtomic(target: string, data: string | Buffer): Promise<void> {
  await fs.mkdir(path.dirname(target), { recursive: true });
  const tmp = siblingTempPath(target);
  try {
    const handle = await fs.open(tmp, 'w');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, target);
  } catch (error) {
    await fs.rm(tmp, { force: true });
    throw error;
  }
}
