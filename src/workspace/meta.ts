import path from 'node:path';
import { MeshforkError } from '../errors';
import { writeFileAtomic } from '../util/atomic';
import { readJsonState } from '../util/jsonState';

/** Kept inside the workspace's .git, so it goes away with it. */
export interface WorkspaceMeta {
  version: string;
  baseCommit: string;
  /** HEAD when the workspace last matched patches/ (after it was built, or after an export). */
  syncedHead: string;
  syncedSeries?: string;
}

/** Three or four strings, checked by hand: every edit and export reads this record, and zod costs more to load than the rest of an export. */
function checkMeta(raw: unknown): WorkspaceMeta | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const { version, baseCommit, syncedHead, syncedSeries } = raw as Record<string, unknown>;
  if (typeof version !== 'string' || typeof baseCommit !== 'string' || typeof syncedHead !== 'string') return undefined;
  if (syncedSeries !== undefined && typeof syncedSeries !== 'string') return undefined;
  return syncedSeries === undefined ? { version, baseCommit, syncedHead } : { version, baseCommit, syncedHead, syncedSeries };
}

function metaFile(workDir: string): string {
  return path.join(workDir, '.git', 'meshfork-workspace.json');
}

export async function readMeta(workDir: string): Promise<WorkspaceMeta | undefined> {
  return readJsonState(
    metaFile(workDir),
    checkMeta,
    () =>
      new MeshforkError('STATE_INVALID', `${metaFile(workDir)}: not a meshfork workspace record`, {
        hint: 'remove .meshfork/work and run `meshfork edit` again',
      }),
  );
}

export async function writeMeta(workDir: string, meta: WorkspaceMeta): Promise<void> {
  await writeFileAtomic(metaFile(workDir), `${JSON.stringify(meta, null, 2)}\n`);
}

export async function requireMeta(workDir: string): Promise<WorkspaceMeta> {
  const meta = await readMeta(workDir);
  if (!meta) {
    throw new MeshforkError('STATE_INVALID', `no workspace at ${workDir}`, { hint: 'run `meshfork edit` first' });
  }
  return meta;
}
