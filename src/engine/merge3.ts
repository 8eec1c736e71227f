import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runGit } from '../tools/git';

export interface MergeResult {
  content: string; // binary string, with conflict markers
  conflicts: number;
}

/** git's own merge-file, not a JavaScript diff3: byte-exact what `git am -3` produces, CRLF and markers included. */
export async function mergeFile(
  ours: string,
  base: string,
  theirs: string,
  labels = { ours: 'upstream', base: 'base', theirs: 'patch' },
): Promise<MergeResult> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'meshfork-merge-'));
  try {
    const files = { ours: path.join(dir, 'ours'), base: path.join(dir, 'base'), theirs: path.join(dir, 'theirs') };
    await Promise.all([
      fs.writeFile(files.ours, Buffer.from(ours, 'latin1')),
      fs.writeFile(files.base, Buffer.from(base, 'latin1')),
      fs.writeFile(files.theirs, Buffer.from(theirs, 'latin1')),
    ]);
    const okExitCodes = Array.from({ length: 128 }, (_, i) => i);
    // Read "ours" back as bytes: the process runner would strip stdout's final newline.
    const result = await runGit(
      ['merge-file', '-L', labels.ours, '-L', labels.base, '-L', labels.theirs, files.ours, files.base, files.theirs],
      { cwd: dir, okExitCodes },
    );
    return { content: (await fs.readFile(files.ours)).toString('latin1'), conflicts: result.exitCode };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

export function conflictRegions(lines: string[]): { start: number; end: number }[] {
  const regions: { start: number; end: number }[] = [];
  let open: number | undefined;
  lines.forEach((line, i) => {
    if (line.startsWith('<<<<<<< ')) open = i + 1;
    else if (line.startsWith('>>>>>>> ') && open !== undefined) {
      regions.push({ start: open, end: i + 1 });
      open = undefined;
    }
  });
  return regions;
}
