import { promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';

export async function readTree(dir: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  const walk = async (rel: string): Promise<void> => {
    for (const entry of await fs.readdir(path.join(dir, rel), { withFileTypes: true })) {
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(child);
      // synchronously, as loadSeries reads them: hundreds of small files
      else if (entry.isFile()) files.set(child, readFileSync(path.join(dir, child)));
    }
  };
  try {
    await walk('');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return files;
    throw error;
  }
  return files;
}
