import { MeshforkError } from '../errors';
import { parseHeader } from './parseHeader';
import { assertSafePath } from './pathSafety';
import { splitLines, stripEol } from './lines';
import type { FileOperation, Hunk, HunkLine, Patch } from './types';

const HUNK_HEADER = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@ ?(.*)$/;
const MODE = /^[0-7]{6}$/;

class Cursor {
  index = 0;
  constructor(readonly lines: string[]) {}
  get done(): boolean {
    return this.index >= this.lines.length;
  }
  /** The current line without its ending. */
  get text(): string {
    return stripEol(this.lines[this.index] ?? '');
  }
  get raw(): string {
    return this.lines[this.index] ?? '';
  }
  /** 1-based line number of the current line. */
  get lineNo(): number {
    return this.index + 1;
  }
}

function invalid(name: string, line: number, message: string, hint = 'regenerate the patch with `meshfork export`, or fix it by hand'): MeshforkError {
  return new MeshforkError('PATCH_INVALID', `${name}:${line}: ${message}`, { hint });
}

/** Undo git's C-style quoting of unusual file names ("a/b\tc"). */
function unquote(p: string): string {
  if (!p.startsWith('"')) return p;
  const inner = p.slice(1, -1);
  const bytes: number[] = [];
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i];
    if (c !== '\\') {
      bytes.push(inner.charCodeAt(i));
      continue;
    }
    const next = inner[++i];
    const simple: Record<string, number> = { n: 10, t: 9, r: 13, '"': 34, '\\': 92, a: 7, b: 8, f: 12, v: 11 };
    if (next in simple) bytes.push(simple[next]);
    else if (/[0-7]/.test(next)) {
      bytes.push(parseInt(inner.slice(i, i + 3), 8));
      i += 2;
    }
  }
  return Buffer.from(bytes).toString('latin1');
}

function stripPrefix(p: string, prefix: string): string {
  const unq = unquote(p.replace(/\t.*$/, ''));
  return unq.startsWith(prefix) ? unq.slice(prefix.length) : unq;
}

/** Parse "diff --git a/X b/Y" (both names are the same unless it is a rename). */
function parseDiffGitLine(name: string, cur: Cursor): { a: string; b: string } {
  const rest = cur.text.slice('diff --git '.length);
  const quoted = /^("(?:[^"\\]|\\.)*") ("(?:[^"\\]|\\.)*")$/.exec(rest);
  if (quoted) return { a: stripPrefix(quoted[1], 'a/'), b: stripPrefix(quoted[2], 'b/') };
  // Unquoted: split where " b/" makes both halves equal, else at the last " b/".
  const candidates: number[] = [];
  for (let i = rest.indexOf(' b/'); i !== -1; i = rest.indexOf(' b/', i + 1)) candidates.push(i);
  if (!rest.startsWith('a/') || candidates.length === 0) throw invalid(name, cur.lineNo, `malformed "diff --git" line: ${cur.text}`);
  const same = candidates.find((i) => rest.slice(2, i) === rest.slice(i + 3));
  const cut = same ?? candidates[candidates.length - 1];
  return { a: rest.slice(2, cut), b: rest.slice(cut + 3) };
}

function parseHunk(name: string, cur: Cursor): Hunk {
  const headerLine = cur.lineNo;
  const m = HUNK_HEADER.exec(cur.text);
  if (!m) throw invalid(name, headerLine, `malformed hunk header: ${cur.text}`);
  const hunk: Hunk = {
    oldStart: Number(m[1]),
    oldLines: m[2] === undefined ? 1 : Number(m[2]),
    newStart: Number(m[3]),
    newLines: m[4] === undefined ? 1 : Number(m[4]),
    section: m[5] ?? '',
    lines: [],
    headerLine,
  };
  cur.index++;
  let oldSeen = 0;
  let newSeen = 0;
  while (oldSeen < hunk.oldLines || newSeen < hunk.newLines) {
    if (cur.done) throw invalid(name, headerLine, `truncated hunk: the header promises ${hunk.oldLines} old and ${hunk.newLines} new lines, the file ends after ${oldSeen} old and ${newSeen} new`);
    const raw = cur.raw;
    const marker = raw[0];
    let line: HunkLine;
    if (raw === '\n' || raw === '\r\n') line = { kind: ' ', text: raw };
    else if (marker === ' ' || marker === '-' || marker === '+') line = { kind: marker, text: raw.slice(1) };
    else if (marker === '\\') {
      dropLastEol(name, cur, hunk);
      cur.index++;
      continue;
    } else {
      throw invalid(name, cur.lineNo, `hunk at line ${headerLine} ends early: the header promises ${hunk.oldLines} old and ${hunk.newLines} new lines, found ${oldSeen} old and ${newSeen} new before "${stripEol(raw).slice(0, 60)}"`);
    }
    if (line.kind !== '+') oldSeen++;
    if (line.kind !== '-') newSeen++;
    if (oldSeen > hunk.oldLines || newSeen > hunk.newLines) throw invalid(name, cur.lineNo, `hunk at line ${headerLine} has more lines than its header promises (${hunk.oldLines} old, ${hunk.newLines} new)`);
    if (!line.text.endsWith('\n')) throw invalid(name, cur.lineNo, 'the patch file ends in the middle of a hunk line');
    hunk.lines.push(line);
    cur.index++;
  }
  while (!cur.done && cur.raw.startsWith('\\')) {
    dropLastEol(name, cur, hunk);
    cur.index++;
  }
  return hunk;
}

/** "\ No newline at end of file" removes the line ending of the line before it. */
function dropLastEol(name: string, cur: Cursor, hunk: Hunk): void {
  const last = hunk.lines[hunk.lines.length - 1];
  if (!last || !last.text.endsWith('\n')) throw invalid(name, cur.lineNo, 'misplaced "\\ No newline at end of file" marker');
  last.text = last.text.slice(0, -1);
}

function checkHunkOrder(name: string, hunks: Hunk[]): void {
  for (let i = 1; i < hunks.length; i++) {
    const prev = hunks[i - 1];
    if (hunks[i].oldStart < prev.oldStart + prev.oldLines) throw invalid(name, hunks[i].headerLine, 'hunks overlap or are out of order');
  }
}

function parseFile(name: string, cur: Cursor): FileOperation {
  const diffLine = cur.lineNo;
  const { a, b } = parseDiffGitLine(name, cur);
  cur.index++;
  let oldMode: string | undefined;
  let newMode: string | undefined;
  let createdMode: string | undefined;
  let deletedMode: string | undefined;
  let renameFrom: string | undefined;
  let renameTo: string | undefined;
  let similarity: number | undefined;
  let minus: string | undefined;
  let plus: string | undefined;
  const modeOf = (text: string, prefix: string): string => {
    const mode = text.slice(prefix.length).trim();
    if (!MODE.test(mode)) throw invalid(name, cur.lineNo, `invalid file mode "${mode}"`);
    // A symlink or submodule made by a patch could later lead writes outside the tree: regular files only.
    if (!mode.startsWith('100')) {
      const what = mode === '120000' ? 'a symlink' : mode === '160000' ? 'a submodule' : 'not a regular file';
      throw invalid(name, cur.lineNo, `file mode ${mode} (${what}) is not supported: patches may only carry regular files (100644, 100755)`, 'replace the link with a regular file, or create it in the image build instead');
    }
    return mode;
  };
  for (; !cur.done; cur.index++) {
    const t = cur.text;
    if (t.startsWith('old mode ')) oldMode = modeOf(t, 'old mode ');
    else if (t.startsWith('new mode ')) newMode = modeOf(t, 'new mode ');
    else if (t.startsWith('new file mode ')) createdMode = modeOf(t, 'new file mode ');
    else if (t.startsWith('deleted file mode ')) deletedMode = modeOf(t, 'deleted file mode ');
    else if (t.startsWith('rename from ')) renameFrom = unquote(t.slice('rename from '.length));
    else if (t.startsWith('rename to ')) renameTo = unquote(t.slice('rename to '.length));
    else if (t.startsWith('similarity index ')) similarity = parseInt(t.slice('similarity index '.length), 10);
    else if (t.startsWith('dissimilarity index ') || t.startsWith('index ')) continue;
    else if (t.startsWith('copy from ') || t.startsWith('copy to ')) throw invalid(name, cur.lineNo, 'copy patches are not supported', 'express the copy as a new file');
    else if (t === 'GIT binary patch' || /^Binary files .* differ$/.test(t)) {
      throw new MeshforkError('PATCH_BINARY', `${name}:${cur.lineNo}: binary patch for "${b}" is not supported`, {
        hint: 'meshfork series carry text changes only; ship binary files another way (e.g. in the image build)',
      });
    } else if (t.startsWith('--- ')) {
      minus = t.slice(4);
      cur.index++;
      if (!cur.text.startsWith('+++ ')) throw invalid(name, cur.lineNo, `expected "+++ " after "--- " (line ${cur.lineNo - 1})`);
      plus = cur.text.slice(4);
      cur.index++;
      break;
    } else break;
  }
  const hunks: Hunk[] = [];
  while (!cur.done && cur.text.startsWith('@@')) hunks.push(parseHunk(name, cur));
  const last = hunks[hunks.length - 1];
  // A diff line right after a complete hunk means the header undercounts (git says "corrupt patch").
  if (last && !cur.done && /^[-+ ]/.test(cur.raw) && cur.text !== '-- ') {
    throw invalid(name, cur.lineNo, `hunk at line ${last.headerLine} has more lines than its header promises (${last.oldLines} old, ${last.newLines} new)`);
  }
  if (minus === undefined && hunks.length === 0 && !cur.done && !cur.text.startsWith('diff --git ') && cur.text !== '-- ') {
    throw invalid(name, cur.lineNo, `unexpected line in the headers of "${b}": ${cur.text.slice(0, 60)}`);
  }
  if (hunks.length && minus === undefined) throw invalid(name, diffLine, `missing "---"/"+++" headers for "${b}"`);
  if (minus !== undefined && hunks.length === 0) throw invalid(name, cur.lineNo, `"${b}" has ---/+++ headers but no hunk`);
  checkHunkOrder(name, hunks);

  const where = `${name}:${diffLine}`;
  const oldPath = renameFrom ?? (minus !== undefined && minus !== '/dev/null' ? stripPrefix(minus, 'a/') : a);
  const newPath = renameTo ?? (plus !== undefined && plus !== '/dev/null' ? stripPrefix(plus, 'b/') : b);
  assertSafePath(oldPath, where);
  assertSafePath(newPath, where);

  if (createdMode !== undefined) {
    if (minus !== undefined && minus !== '/dev/null') throw invalid(name, diffLine, `new file "${newPath}" must have "--- /dev/null"`);
    if (hunks.some((h) => h.lines.some((l) => l.kind !== '+'))) throw invalid(name, diffLine, `new file "${newPath}" has hunks with context or removed lines`);
    return { kind: 'create', path: newPath, mode: createdMode, hunks };
  }
  if (deletedMode !== undefined) {
    if (plus !== undefined && plus !== '/dev/null') throw invalid(name, diffLine, `deleted file "${oldPath}" must have "+++ /dev/null"`);
    return { kind: 'delete', path: oldPath, mode: deletedMode, hunks };
  }
  if (minus === '/dev/null' || plus === '/dev/null') throw invalid(name, diffLine, `"${b}" uses /dev/null without "new file mode" or "deleted file mode"`);
  if (renameFrom !== undefined || renameTo !== undefined) {
    if (renameFrom === undefined || renameTo === undefined) throw invalid(name, diffLine, 'a rename needs both "rename from" and "rename to"');
    return { kind: 'rename', from: renameFrom, to: renameTo, hunks, oldMode, newMode, similarity };
  }
  if (oldPath !== newPath) throw invalid(name, diffLine, `paths differ ("${oldPath}" vs "${newPath}") without "rename from"/"rename to"`);
  if (hunks.length === 0 && newMode === undefined) throw invalid(name, diffLine, `"${newPath}" has no hunks and no mode change`);
  return { kind: 'modify', path: newPath, hunks, oldMode, newMode };
}

/**
 * Parse one patch file (a binary string) into plain data. Errors name the patch file and line.
 */
export function parsePatch(name: string, text: string): Patch {
  const nul = text.indexOf('\0');
  if (nul !== -1) {
    const line = text.slice(0, nul).split('\n').length;
    throw new MeshforkError('PATCH_BINARY', `${name}:${line}: the patch file contains NUL bytes`, { hint: 'binary content is not supported in a series' });
  }
  const lines = splitLines(text);
  const cur = new Cursor(lines);
  const headerEnd = lines.findIndex((l) => stripEol(l) === '---' || l.startsWith('diff --git '));
  if (headerEnd === -1) throw invalid(name, lines.length || 1, 'no diff found (expected a "---" line and "diff --git" sections)');
  const header = parseHeader(name, lines.slice(0, headerEnd));
  cur.index = headerEnd;
  // Skip the "---" separator and any diffstat up to the first diff.
  while (!cur.done && !cur.raw.startsWith('diff --git ')) {
    if (cur.text.startsWith('@@') || cur.text.startsWith('+++ ')) throw invalid(name, cur.lineNo, 'diff content without a "diff --git" header');
    cur.index++;
  }
  const operations: FileOperation[] = [];
  const seen = new Set<string>();
  while (!cur.done) {
    if (cur.text === '-- ') break; // git format-patch signature
    if (!cur.raw.startsWith('diff --git ')) throw invalid(name, cur.lineNo, `expected "diff --git" but found "${cur.text.slice(0, 60)}"`);
    const line = cur.lineNo;
    const op = parseFile(name, cur);
    const key = op.kind === 'rename' ? op.to : op.path;
    if (seen.has(key)) throw invalid(name, line, `"${key}" appears twice in one patch`, 'merge the two diffs of this file into one');
    seen.add(key);
    operations.push(op);
  }
  if (operations.length === 0) throw invalid(name, headerEnd + 1, 'the patch changes no file');
  return { name, header, operations };
}
