import { deflateSync } from 'node:zlib';
import { diffArrays } from 'diff';
import { blobId, encodeBase85Line } from './binaryPatch';
import { MeshforkError } from '../errors';
import { splitLines } from './lines';
import { parsePatch } from './parse';
import { quotePath } from './patchPaths';
import type { Hunk, HunkLine, Patch, PatchHeader } from './types';

/** One file's change, as the writer's input: null content means the file does not exist on that side. */
export interface FileChange {
  oldPath: string | null;
  newPath: string | null;
  oldContent: string | null;
  newContent: string | null;
  oldMode?: string;
  newMode?: string;
}

const CONTEXT = 3;
const DEFAULT_MODE = '100644';

const NAME_LENGTH = 60;

/** A stable file name from a subject: lowercase slug, at most 60 characters cut between words, ".patch". */
export function patchFileName(subject: string): string {
  const whole = subject
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  let slug = whole.slice(0, NAME_LENGTH);
  // A cut inside a word goes back to the dash before it; one word longer than the limit is cut.
  if (whole.length > NAME_LENGTH && whole[NAME_LENGTH] !== '-' && slug.includes('-')) slug = slug.slice(0, slug.lastIndexOf('-'));
  slug = slug.replace(/-+$/, '');
  return `${slug || 'patch'}.patch`;
}

export function makeHunks(oldLines: string[], newLines: string[]): Hunk[] {
  type Line = HunkLine & { oldNo: number; newNo: number };
  const all: Line[] = [];
  let oldNo = 0;
  let newNo = 0;
  for (const part of diffArrays(oldLines, newLines)) {
    for (const text of part.value as string[]) {
      const kind = part.added ? '+' : part.removed ? '-' : ' ';
      all.push({ kind, text, oldNo, newNo });
      if (kind !== '+') oldNo++;
      if (kind !== '-') newNo++;
    }
  }
  const changed = all.map((l, i) => (l.kind === ' ' ? -1 : i)).filter((i) => i >= 0);
  const hunks: Hunk[] = [];
  let i = 0;
  while (i < changed.length) {
    let first = changed[i];
    let last = first;
    while (i + 1 < changed.length && changed[i + 1] - last <= 2 * CONTEXT + 1) last = changed[++i];
    i++;
    first = Math.max(0, first - CONTEXT);
    last = Math.min(all.length - 1, last + CONTEXT);
    const lines = all.slice(first, last + 1);
    const oldCount = lines.filter((l) => l.kind !== '+').length;
    const newCount = lines.filter((l) => l.kind !== '-').length;
    hunks.push({
      oldStart: oldCount === 0 ? lines[0].oldNo : lines[0].oldNo + 1,
      oldLines: oldCount,
      newStart: newCount === 0 ? lines[0].newNo : lines[0].newNo + 1,
      newLines: newCount,
      section: '',
      lines: lines.map(({ kind, text }) => ({ kind, text })),
      headerLine: 0,
    });
  }
  return hunks;
}

function range(start: number, count: number): string {
  return count === 1 ? `${start}` : `${start},${count}`;
}

function formatHunk(hunk: Hunk): string {
  let out = `@@ -${range(hunk.oldStart, hunk.oldLines)} +${range(hunk.newStart, hunk.newLines)} @@\n`;
  for (const line of hunk.lines) {
    out += line.kind + line.text;
    if (!line.text.endsWith('\n')) out += '\n\\ No newline at end of file\n';
  }
  return out;
}

/** Content git would call binary: a NUL byte in its first 8000 bytes. */
function isBinary(content: string | null): boolean {
  return content !== null && content.slice(0, 8000).includes('\0');
}

function binaryLiteral(content: string): string {
  const data = deflateSync(Buffer.from(content, 'latin1'));
  let out = `literal ${Buffer.byteLength(content, 'latin1')}\n`;
  for (let i = 0; i < data.length; i += 52) out += `${encodeBase85Line(data.subarray(i, i + 52))}\n`;
  return `${out}\n`;
}

function formatFile(change: FileChange): string {
  const { oldPath, newPath, oldContent, newContent } = change;
  const path = newPath ?? oldPath;
  if (path === null) throw new Error('writer: a file change needs a path');
  const a = quotePath(`a/${oldPath ?? path}`);
  const b = quotePath(`b/${newPath ?? path}`);
  const hunks = makeHunks(oldContent === null ? [] : splitLines(oldContent), newContent === null ? [] : splitLines(newContent));
  let out = `diff --git ${a} ${b}\n`;
  if (oldContent === null) out += `new file mode ${change.newMode ?? DEFAULT_MODE}\n`;
  else if (newContent === null) out += `deleted file mode ${change.oldMode ?? DEFAULT_MODE}\n`;
  else if ((change.oldMode ?? DEFAULT_MODE) !== (change.newMode ?? DEFAULT_MODE))
    out += `old mode ${change.oldMode ?? DEFAULT_MODE}\nnew mode ${change.newMode ?? DEFAULT_MODE}\n`;
  if (oldPath !== null && newPath !== null && oldPath !== newPath)
    out += `rename from ${quotePath(oldPath)}\nrename to ${quotePath(newPath)}\n`;
  if (isBinary(oldContent) || isBinary(newContent)) {
    if (oldContent === newContent) return out;
    const zero = '0'.repeat(40);
    out += `index ${oldContent === null ? zero : blobId(oldContent)}..${newContent === null ? zero : blobId(newContent)}\nGIT binary patch\n`;
    return out + binaryLiteral(newContent ?? '') + binaryLiteral(oldContent ?? '');
  }
  if (hunks.length) {
    out += `--- ${oldContent === null ? '/dev/null' : a}\n+++ ${newContent === null ? '/dev/null' : b}\n`;
    out += hunks.map(formatHunk).join('');
  }
  return out;
}

export function formatHeader(header: PatchHeader): string {
  let out = `From: ${header.from}\n`;
  if (header.date) out += `Date: ${header.date}\n`;
  out += `Subject: ${header.subject}\n\n`;
  if (header.description.trim()) out += `${header.description.trim()}\n\n`;
  for (const t of header.trailers) out += `${t.key}: ${t.value}\n`;
  return `${out}---\n`;
}

function unchanged(change: FileChange): boolean {
  return (
    change.oldContent === change.newContent &&
    change.oldPath === change.newPath &&
    (change.oldMode ?? DEFAULT_MODE) === (change.newMode ?? DEFAULT_MODE)
  );
}

export interface WrittenPatch {
  text: string;
  patch: Patch;
  files: FileChange[];
}

/**
 * Same bytes on every machine (sorted, 3 context lines, no stamps or index lines), parsed back; callers take engine/formatPatch.
 * readBack's parse is reused when its text is identical.
 */
export function writePatch(header: PatchHeader, changes: FileChange[], readBack?: Patch): WrittenPatch {
  const files = changes
    .filter((c) => !unchanged(c))
    .sort((x, y) => {
      const px = x.newPath ?? x.oldPath ?? '';
      const py = y.newPath ?? y.oldPath ?? '';
      return px < py ? -1 : px > py ? 1 : 0;
    });
  if (files.length === 0)
    throw new MeshforkError('PATCH_INVALID', `patch "${header.subject}" changes nothing`, {
      hint: 'drop the empty commit, or make a change',
    });
  checkHeader(header);
  const text = formatHeader(header) + files.map(formatFile).join('');
  // the patch the series already holds is this text parsed with default options: no need to parse it again
  const known = readBack && readBack.options === undefined && readBack.source?.text === text ? readBack : undefined;
  const patch = known ?? parsePatch(patchFileName(header.subject), text);
  checkHeaderReadBack(header, patch);
  return { text, patch, files };
}

/** Header text the parser (and `git am`) would read differently: refuse it rather than lose trailers. */
function checkHeader(header: PatchHeader): void {
  const fail = (message: string, hint: string) => new MeshforkError('PATCH_INVALID', `patch "${header.subject}": ${message}`, { hint });
  if (/[\r\n]/.test(header.subject) || /[\r\n]/.test(header.from))
    throw fail('the subject and author must be one line each', 'put the details in the description');
  const cut = header.description.split('\n').find((line) => line.replace(/\r$/, '') === '---' || line.startsWith('diff --git '));
  if (cut !== undefined) {
    throw fail(
      `the description line "${cut.replace(/\r$/, '')}" would end the patch header (git am splits there too)`,
      'reword or indent that line of the commit message',
    );
  }
}

function normalisedHeader(header: PatchHeader): PatchHeader {
  return {
    from: header.from.trim(),
    date: header.date,
    subject: header.subject.trim(),
    description: header.description.replace(/\r\n/g, '\n').trim(),
    trailers: header.trailers.map((t) => ({ key: t.key, value: t.value.trim() })),
  };
}

function checkHeaderReadBack(header: PatchHeader, patch: Patch): void {
  const expected = normalisedHeader(header);
  const field = (Object.keys(expected) as (keyof PatchHeader)[]).find(
    (key) => JSON.stringify(patch.header[key]) !== JSON.stringify(expected[key]),
  );
  if (field !== undefined) {
    throw new MeshforkError(
      'PATCH_INVALID',
      `patch "${header.subject}": its ${field} would read back as ${JSON.stringify(patch.header[field])} instead of ${JSON.stringify(expected[field])}`,
      {
        hint: 'a description whose last paragraph is all "Key: value" lines reads as trailers, and trailer keys are letters, digits and dashes; reword the commit message',
      },
    );
  }
}
