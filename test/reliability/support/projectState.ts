/* A project's state as kill tests compare it: patches/ (every file), the config and the lock, saved and put back between runs. */
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { readTree } from '../../../src/rebase/backup';

export type Snapshot = Record<string, string>;

/** The project files besides patches/ that a command may write (present ones are compared). */
const PROJECT_FILES = ['meshfork.config.json', 'meshfork.lock.json', 'image/package-lock.json'];

/** patches/ (every file), the config and the lock files, as base64 by path. */
export async function projectState(dir: string): Promise<Snapshot> {
  const out: Snapshot = {};
  for (const [name, data] of await readTree(path.join(dir, 'patches'))) out[`patches/${name}`] = data.toString('base64');
  for (const file of PROJECT_FILES) if (existsSync(path.join(dir, file))) out[file] = readFileSync(path.join(dir, file)).toString('base64');
  return out;
}

export const sameState = (a: Snapshot, b: Snapshot): boolean => JSON.stringify(a) === JSON.stringify(b);

export function saveState(dir: string, saved: string): void {
  mkdirSync(saved, { recursive: true });
  cpSync(path.join(dir, 'patches'), path.join(saved, 'patches'), { recursive: true });
  for (const file of PROJECT_FILES) if (existsSync(path.join(dir, file))) cpSync(path.join(dir, file), path.join(saved, file));
}

/** Put the saved state back, and drop .meshfork/ (state of a killed run) and swap folders of patches/. */
export function restoreState(dir: string, saved: string): void {
  for (const name of ['patches', '.patches.meshfork-new', '.patches.meshfork-old', '.meshfork'])
    rmSync(path.join(dir, name), { recursive: true, force: true });
  cpSync(path.join(saved, 'patches'), path.join(dir, 'patches'), { recursive: true });
  for (const file of PROJECT_FILES) {
    if (existsSync(path.join(saved, file))) cpSync(path.join(saved, file), path.join(dir, file));
    else rmSync(path.join(dir, file), { force: true });
  }
}
