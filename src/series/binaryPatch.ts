// GIT binary patch: base85 lines ("length char" + 5 chars per 4 bytes) of a zlib stream, a literal file or a git delta.
import { createHash } from 'node:crypto';
import { inflateSync } from 'node:zlib';
import type { BinaryHunk } from './types';

export function blobId(content: string): string {
  const bytes = Buffer.from(content, 'latin1');
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&()*+-;<=>?@^_`{|}~';
const VALUE = new Map([...ALPHABET].map((c, i) => [c, i]));

export function decodeBase85Line(line: string): Buffer | undefined {
  const first = line.charCodeAt(0);
  const length = first >= 65 && first <= 90 ? first - 64 : first >= 97 && first <= 122 ? first - 70 : 0;
  const body = line.slice(1);
  if (length === 0 || body.length !== Math.ceil(length / 4) * 5) return undefined;
  const out = Buffer.alloc(Math.ceil(length / 4) * 4);
  for (let group = 0; group < body.length / 5; group++) {
    let acc = 0;
    for (let k = 0; k < 5; k++) {
      const v = VALUE.get(body[group * 5 + k]);
      if (v === undefined) return undefined;
      acc = acc * 85 + v;
    }
    if (acc > 0xffffffff) return undefined;
    out.writeUInt32BE(acc, group * 4);
  }
  return out.subarray(0, length);
}

export function encodeBase85Line(chunk: Buffer): string {
  const padded = Buffer.alloc(Math.ceil(chunk.length / 4) * 4);
  chunk.copy(padded);
  let out = chunk.length <= 26 ? String.fromCharCode(64 + chunk.length) : String.fromCharCode(70 + chunk.length);
  for (let i = 0; i < padded.length; i += 4) {
    let acc = padded.readUInt32BE(i);
    const group: string[] = [];
    for (let k = 0; k < 5; k++) {
      group.unshift(ALPHABET[acc % 85]);
      acc = Math.floor(acc / 85);
    }
    out += group.join('');
  }
  return out;
}

export function decodeBinaryHunk(method: 'literal' | 'delta', size: number, lines: string[]): BinaryHunk | string {
  const chunks: Buffer[] = [];
  for (const [i, line] of lines.entries()) {
    const chunk = decodeBase85Line(line);
    if (!chunk) return `line ${i + 1} of the ${method} data is not base85`;
    chunks.push(chunk);
  }
  let data: Buffer;
  try {
    data = inflateSync(Buffer.concat(chunks));
  } catch {
    return `the ${method} data does not inflate (corrupt zlib stream)`;
  }
  if (data.length !== size) return `the ${method} data inflates to ${data.length} bytes, the header says ${size}`;
  return { method, data: data.toString('latin1') };
}
