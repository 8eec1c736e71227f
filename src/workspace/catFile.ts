import { MeshforkError } from '../errors';
import { wsGit } from './workspaceGit';

export async function readObjects(workDir: string, ids: string[]): Promise<Map<string, string>> {
  const unique = [...new Set(ids)];
  const result = new Map<string, string>();
  if (unique.length === 0) return result;
  const { stdout } = await wsGit(workDir, ['cat-file', '--batch'], { input: `${unique.join('\n')}\n` });
  let pos = 0;
  for (const id of unique) {
    const eol = stdout.indexOf(10, pos);
    const header = stdout.subarray(pos, eol).toString('latin1');
    const match = /^([0-9a-f]+) (\w+) (\d+)$/.exec(header);
    if (!match) throw new MeshforkError('TOOL_FAILED', `git cat-file: cannot read object ${id}: ${header}`);
    const size = Number(match[3]);
    result.set(id, stdout.subarray(eol + 1, eol + 1 + size).toString('latin1'));
    pos = eol + 1 + size + 1;
  }
  return result;
}
