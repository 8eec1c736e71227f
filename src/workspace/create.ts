import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { FileReader } from '../engine/tree';
import { UPSTREAM_IDENTITY, WORKSPACE_CONFIG, wsGit, wsGitText } from './workspaceGit';
import { setConfigValues } from './gitConfigText';
import { writeMeta, type WorkspaceMeta } from './meta';

/** The part of an upstream the workspace needs (an `Upstream` fits). */
export interface ReleaseSource {
  materialize(version: string, dir: string): Promise<void>;
  reader(version: string): FileReader;
}

export const WORK_BRANCH = 'series';
export const UPSTREAM_TAG = 'upstream';

/** The release is checked out from git, so the workspace's files are its own: the cache may hard-link its copies. */
export async function createWorkspace(workDir: string, source: ReleaseSource, version: string): Promise<WorkspaceMeta> {
  const stage = `${workDir}.stage-${process.pid}`;
  // A killed earlier run may have left its staging folder: it is only ever scratch.
  const prefix = `${path.basename(workDir)}.stage-`;
  const siblings = await fs.readdir(path.dirname(workDir)).catch(() => [] as string[]);
  for (const name of siblings.filter((n) => n.startsWith(prefix)))
    await fs.rm(path.join(path.dirname(workDir), name), { recursive: true, force: true });
  await fs.mkdir(stage, { recursive: true });
  await fs.mkdir(workDir, { recursive: true });
  try {
    await source.materialize(version, stage);
    await wsGit(workDir, ['init', '-q', '-b', WORK_BRANCH]);
    const configFile = path.join(workDir, '.git', 'config');
    const config = setConfigValues(await fs.readFile(configFile, 'utf8'), WORKSPACE_CONFIG);
    if (config !== undefined) await fs.writeFile(configFile, config);
    else for (const [key, value] of WORKSPACE_CONFIG) await wsGit(workDir, ['config', key, value]);
    // Highest-priority attributes: no end-of-line or filter conversion, whatever the release ships.
    await fs.writeFile(path.join(workDir, '.git', 'info', 'attributes'), '* -text -filter -ident -eol -working-tree-encoding\n');
    const gitDir = path.join(workDir, '.git');
    const staged = ['--git-dir', gitDir, '--work-tree', stage];
    await wsGit(stage, [...staged, 'add', '-A', '-f', '.']);
    await wsGit(stage, [...staged, 'commit', '-q', '--no-verify', '--allow-empty', '-m', `upstream ${version}`], {
      env: UPSTREAM_IDENTITY,
    });
    await wsGit(workDir, ['tag', UPSTREAM_TAG]);
    await wsGit(workDir, ['reset', '-q', '--hard', 'HEAD']);
    const head = await wsGitText(workDir, ['rev-parse', 'HEAD']);
    const meta: WorkspaceMeta = { version, baseCommit: head, syncedHead: head };
    await writeMeta(workDir, meta);
    return meta;
  } catch (error) {
    await fs.rm(workDir, { recursive: true, force: true });
    throw error;
  } finally {
    await fs.rm(stage, { recursive: true, force: true });
  }
}
