// The fork's added files, plain files in the config's "files" folder, reach the engine as one leading pseudo-patch of creates,
// so everything that applies a series treats them like any patch (a release that has one is a conflict).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { MeshforkError } from '../errors';
import { splitLines } from './lines';
import { unsafePathReason } from './pathSafety';
import type { Hunk, Patch } from './types';

export interface NewFile {
  path: string;
  content: string;
  mode: '100644' | '100755';
}

function walk(root: string, rel: string, found: NewFile[]): void {
  for (const entry of readdirSync(path.join(root, rel), { withFileTypes: true })) {
    const name = rel ? `${rel}/${entry.name}` : entry.name;
    const full = path.join(root, name);
    if (entry.isDirectory()) {
      walk(root, name, found);
      continue;
    }
    const reason = unsafePathReason(name);
    if (!entry.isFile() || reason) {
      throw new MeshforkError('SERIES_INVALID', `${full}: ${reason ?? 'not a regular file (a link or device)'}`, {
        hint: 'the files folder may hold only regular files, at the paths they take in the upstream tree',
      });
    }
    const executable = (statSync(full).mode & 0o111) !== 0;
    found.push({ path: name, content: readFileSync(full).toString('latin1'), mode: executable ? '100755' : '100644' });
  }
}

export function readNewFiles(dir: string): NewFile[] {
  const found: NewFile[] = [];
  if (!statSync(dir, { throwIfNoEntry: false })) return found;
  try {
    walk(dir, '', found);
  } catch (error) {
    if (error instanceof MeshforkError) throw error;
    throw new MeshforkError('IO_FAILED', `${dir}: cannot read the files folder: ${(error as Error).message}`, {
      cause: error,
      hint: 'check the file permissions',
    });
  }
  return found.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function creationHunks(content: string): Hunk[] {
  const lines = splitLines(content);
  if (lines.length === 0) return [];
  return [
    {
      oldStart: 0,
      oldLines: 0,
      newStart: 1,
      newLines: lines.length,
      section: '',
      lines: lines.map((text) => ({ kind: '+', text })),
      headerLine: 0,
    },
  ];
}

/** name is the folder as reports show it ("files/"). */
export function newFilesPatch(name: string, files: NewFile[]): Patch {
  return {
    name,
    header: {
      from: '',
      subject: `Add the files of ${name}`,
      description: `meshfork export writes the files this commit adds back to ${name}, not into a patch.`,
      trailers: [],
    },
    operations: files.map((f) => ({ kind: 'create', path: f.path, mode: f.mode, hunks: creationHunks(f.content) })),
    newFiles: true,
  };
}

export function isNewFilesPatch(patch: Patch): boolean {
  return patch.newFiles === true;
}

export function newFilePaths(files: Patch | undefined): string[] {
  return (files?.operations ?? []).map((op) => (op.kind === 'create' ? op.path : '')).filter(Boolean);
}
