/* Git binary patches. Both sides are checked against the `index` line's blob ids, as git apply does. */
import { blobId } from '../series/binaryPatch';
import type { BinaryChange, BinaryHunk } from '../series/types';

const EMPTY_ID = /^0+$/;

/** Read a delta size (7 bits a byte, little-endian, high bit = more). */
function readSize(delta: Buffer, at: { pos: number }): number {
  let size = 0;
  let shift = 0;
  for (;;) {
    const byte = delta[at.pos++];
    if (byte === undefined) throw new Error('truncated delta');
    size += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if (!(byte & 0x80)) return size;
  }
}

export function applyDelta(base: Buffer, delta: Buffer): Buffer | undefined {
  try {
    const at = { pos: 0 };
    if (readSize(delta, at) !== base.length) return undefined;
    const size = readSize(delta, at);
    const out = Buffer.alloc(size);
    let written = 0;
    while (at.pos < delta.length) {
      const cmd = delta[at.pos++];
      if (cmd & 0x80) {
        let offset = 0;
        let length = 0;
        for (let k = 0; k < 4; k++) if (cmd & (1 << k)) offset += delta[at.pos++] * 2 ** (8 * k);
        for (let k = 0; k < 3; k++) if (cmd & (0x10 << k)) length += delta[at.pos++] * 2 ** (8 * k);
        if (length === 0) length = 0x10000;
        if (offset + length > base.length || written + length > size) return undefined;
        base.copy(out, written, offset, offset + length);
        written += length;
      } else if (cmd > 0) {
        if (written + cmd > size || at.pos + cmd > delta.length) return undefined;
        delta.copy(out, written, at.pos, at.pos + cmd);
        at.pos += cmd;
        written += cmd;
      } else return undefined;
    }
    return written === size ? out : undefined;
  } catch {
    return undefined;
  }
}

function run(hunk: BinaryHunk, old: string): string | undefined {
  if (hunk.method === 'literal') return hunk.data;
  return applyDelta(Buffer.from(old, 'latin1'), Buffer.from(hunk.data, 'latin1'))?.toString('latin1');
}

export function applyBinary(change: BinaryChange, old: string | null): { content: string } | { refused: string } {
  const oldId = old === null ? '0'.repeat(40) : blobId(old);
  if (!(old === null ? EMPTY_ID.test(change.oldId) : oldId === change.oldId)) {
    return { refused: `the file's blob id is ${oldId.slice(0, 12)}, the binary patch was made for ${change.oldId.slice(0, 12)}` };
  }
  const content = run(change.forward, old ?? '');
  if (content === undefined) return { refused: 'the binary delta does not fit the file' };
  const newId = blobId(content);
  if (!EMPTY_ID.test(change.newId) && newId !== change.newId)
    return { refused: `the result's blob id is ${newId.slice(0, 12)}, the patch promises ${change.newId.slice(0, 12)}` };
  return { content };
}

export function binaryAlreadyApplied(change: BinaryChange, content: string | null): boolean {
  return content !== null && !EMPTY_ID.test(change.newId) && blobId(content) === change.newId;
}
