/* The writer's self-check lives here, not in the writer: applying is the engine's work, and series sits below it. */
import { splitLines } from '../series/lines';
import type { Patch, PatchHeader } from '../series/types';
import { writePatch, type FileChange, type WrittenPatch } from '../series/writer';
import { applyBinary } from './binary';
import { applyHunks } from './hunks';

/** The canonical text of a patch, proven to reproduce every changed file; `readBack` is the patch it replaces. */
export function formatPatch(header: PatchHeader, changes: FileChange[], readBack?: Patch): string {
  const written = writePatch(header, changes, readBack);
  replay(header.subject, written);
  return written.text;
}

function replay(subject: string, { patch, files }: WrittenPatch): void {
  patch.operations.forEach((op, i) => {
    const change = files[i];
    if (op.binary) {
      const result = applyBinary(op.binary, change.oldContent);
      const produced = op.kind === 'delete' ? null : 'content' in result ? result.content : undefined;
      if (produced !== change.newContent)
        throw new Error(`writer self-check failed for "${subject}", binary file ${change.newPath ?? change.oldPath} (a bug in meshfork)`);
      return;
    }
    const old = change.oldContent === null ? [] : splitLines(change.oldContent);
    const result = applyHunks(old, op.hunks, 0);
    const produced = op.kind === 'delete' ? null : result.lines.join('');
    if (result.failed.length || produced !== change.newContent) {
      throw new Error(
        `writer self-check failed for "${subject}", file ${change.newPath ?? change.oldPath}: the generated patch does not reproduce the new file (a bug in meshfork)`,
      );
    }
  });
}
