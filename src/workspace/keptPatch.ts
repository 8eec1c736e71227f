// Export keeps a foreign patch's bytes while its commit is unchanged, and its header bytes above a rewritten diff.
import { applyBinary } from '../engine/binary';
import { applyHunks } from '../engine/hunks';
import { splitLines } from '../series/lines';
import type { FileOperation, Patch } from '../series/types';
import { formatHeader, type FileChange } from '../series/writer';
import { commitMessage, parseCommitMessage } from './commitMessage';
import type { PatchCommit } from './commits';

/** The writer would not give back its bytes: a header the writer does not make, or format-patch's index lines and signature. */
export function isForeign(patch: Patch): boolean {
  const source = patch.source;
  if (!source) return false;
  if (
    source.format !== 'mail' ||
    (patch.options?.strip ?? 1) !== 1 ||
    !source.text.slice(source.headerText.length).startsWith('diff --git ')
  )
    return true;
  return source.headerText !== formatHeader(patch.header);
}

export function sameMessage(commit: PatchCommit, patch: Patch): boolean {
  return JSON.stringify(parseCommitMessage(commitMessage(patch.header))) === JSON.stringify(commit.message);
}

function produces(op: FileOperation, change: FileChange, ignoreTrailingWhitespace: boolean): boolean {
  const apply = (old: string | null): string | undefined => {
    if (op.binary) {
      const result = applyBinary(op.binary, old);
      return 'content' in result ? result.content : undefined;
    }
    const result = applyHunks(old === null ? [] : splitLines(old), op.hunks, 0, { ignoreTrailingWhitespace });
    return result.failed.length ? undefined : result.lines.join('');
  };
  switch (op.kind) {
    case 'create':
      return change.oldPath === null && change.newPath === op.path && apply(null) === change.newContent;
    case 'delete':
      return change.newPath === null && change.oldPath === op.path && change.oldContent !== null && apply(change.oldContent) === '';
    case 'modify':
      return (
        change.oldPath === op.path &&
        change.newPath === op.path &&
        change.oldContent !== null &&
        apply(change.oldContent) === change.newContent
      );
    case 'rename':
      return (
        change.oldPath === op.from &&
        change.newPath === op.to &&
        change.oldContent !== null &&
        apply(change.oldContent) === change.newContent
      );
    case 'copy':
      return false; // the workspace sees a copy as a new file: write it anew
  }
}

export function sameChanges(commit: PatchCommit, patch: Patch): boolean {
  if (commit.changes.length !== patch.operations.length) return false;
  const ignore = patch.options?.ignoreTrailingWhitespace ?? false;
  const used = new Set<number>();
  return patch.operations.every((op) => {
    const i = commit.changes.findIndex((change, k) => !used.has(k) && produces(op, change, ignore));
    if (i === -1) return false;
    used.add(i);
    return true;
  });
}
