/*
 * The writer's self-check: a patch meshfork writes is applied to every old file it was made from
 * and must reproduce every new file before it is returned. It lives here, not in the writer,
 * because applying is the engine's work and the series model sits below the engine.
 */
import { splitLines } from '../series/lines';
import type { Patch, PatchHeader } from '../series/types';
import { writePatch, type FileChange, type WrittenPatch } from '../series/writer';
import { applyBinary } from './binary';
import { applyHunks } from './hunks';

/**
 * The canonical text of a patch (series/writer.ts writePatch: deterministic bytes, header read back),
 * proven to reproduce every changed file. `readBack` is the patch this one replaces, as loaded.
 */
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
