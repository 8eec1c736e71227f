// Like git apply, the names on the ---/+++ and rename/copy lines must agree with the diff --git line.
import { MeshforkError } from '../errors';
import { decodeBinaryHunk } from './binaryPatch';
import { checkHunkOrder, parseHunks } from './parseHunk';
import { invalid, type Cursor } from './parseCursor';
import { decodeUtf8, stripComponents, unquote } from './patchPaths';
import { assertSafePath } from './pathSafety';
import type { BinaryChange, BinaryHunk, FileOperation, Hunk } from './types';

const MODE = /^[0-7]{6}$/;
const FULL_ID = /^[0-9a-f]{40}$/;
const QUOTED_NAME = '"(?:[^"\\\\]|\\\\.)*"';
const DIFF_GIT_NAMES = new RegExp(`^(${QUOTED_NAME}|[^"\\s]\\S*) (${QUOTED_NAME}|[^"].*)$`);

export function headerPath(cur: Cursor, raw: string, strip: number, line = cur.lineNo, nameOnly = false): string {
  const bytes = unquote(raw.startsWith('"') || nameOnly ? raw : raw.replace(/\t.*$/, ''));
  const stripped = stripComponents(bytes, strip);
  if (stripped === undefined)
    throw invalid(
      cur.name,
      line,
      `cannot remove ${strip} leading folder(s) from "${bytes}" (-p${strip})`,
      'set the strip level in the series file (e.g. "name.patch -p0")',
    );
  const text = decodeUtf8(stripped);
  if (text === undefined)
    throw invalid(cur.name, line, `the file name "${stripped}" is not valid UTF-8`, 'rename the file in the patch to a UTF-8 name');
  return text;
}

function parseDiffGitLine(cur: Cursor): { a?: string; b?: string } {
  const rest = cur.text.slice('diff --git '.length);
  const quoted = DIFF_GIT_NAMES.exec(rest);
  if (quoted && (quoted[1].startsWith('"') || quoted[2].startsWith('"')))
    return { a: headerPath(cur, quoted[1], cur.strip), b: headerPath(cur, quoted[2], cur.strip) };
  const spaces: number[] = [];
  for (let i = rest.indexOf(' '); i !== -1; i = rest.indexOf(' ', i + 1)) spaces.push(i);
  if (spaces.length === 0) throw invalid(cur.name, cur.lineNo, `malformed "diff --git" line: ${cur.text}`);
  // Both halves name the same file unless it is a rename or copy, whose names come from their own lines.
  for (const i of spaces) {
    const a = stripComponents(rest.slice(0, i), cur.strip);
    if (a !== undefined && a === stripComponents(rest.slice(i + 1), cur.strip))
      return { a: headerPath(cur, rest.slice(0, i), cur.strip), b: headerPath(cur, rest.slice(i + 1), cur.strip) };
  }
  if (!rest.startsWith('a/') || rest.indexOf(' b/') === -1) throw invalid(cur.name, cur.lineNo, `malformed "diff --git" line: ${cur.text}`);
  const cut = rest.lastIndexOf(' b/');
  return { a: headerPath(cur, rest.slice(0, cut), cur.strip), b: headerPath(cur, rest.slice(cut + 1), cur.strip) };
}

function modeOf(cur: Cursor, prefix: string): string {
  const mode = cur.text.slice(prefix.length).trim();
  if (!MODE.test(mode)) throw invalid(cur.name, cur.lineNo, `invalid file mode "${mode}"`);
  // A symlink or submodule made by a patch could later lead writes outside the tree: regular files only.
  if (!mode.startsWith('100')) {
    const what = mode === '120000' ? 'a symlink' : mode === '160000' ? 'a submodule' : 'not a regular file';
    throw invalid(
      cur.name,
      cur.lineNo,
      `file mode ${mode} (${what}) is not supported: patches may only carry regular files (100644, 100755)`,
      'replace the link with a regular file, or create it in the image build instead',
    );
  }
  return mode;
}

function parseBinary(cur: Cursor, path: string, index: { oldId: string; newId: string } | undefined): BinaryChange {
  const line = cur.lineNo;
  if (!index || !FULL_ID.test(index.oldId) || !FULL_ID.test(index.newId)) {
    throw invalid(
      cur.name,
      line,
      `cannot apply binary patch to "${path}" without full index line (git apply refuses it too)`,
      'regenerate it with `git diff --binary --full-index`',
    );
  }
  cur.index++;
  const hunks: BinaryHunk[] = [];
  while (!cur.done && hunks.length < 2) {
    const m = /^(literal|delta) (\d+)$/.exec(cur.text);
    if (!m) break;
    const start = cur.lineNo;
    cur.index++;
    const data: string[] = [];
    while (!cur.done && cur.text !== '') {
      data.push(cur.text);
      cur.index++;
    }
    cur.index++; // the blank line that ends the hunk
    const decoded = decodeBinaryHunk(m[1] as 'literal' | 'delta', Number(m[2]), data);
    if (typeof decoded === 'string') throw invalid(cur.name, start, `binary patch for "${path}": ${decoded}`);
    hunks.push(decoded);
  }
  if (hunks.length === 0) throw invalid(cur.name, line, `binary patch for "${path}" has no "literal" or "delta" data`);
  return { oldId: index.oldId, newId: index.newId, forward: hunks[0], reverse: hunks[1] };
}

export function parseGitFile(cur: Cursor): FileOperation {
  const name = cur.name;
  const diffLine = cur.lineNo;
  const { a, b } = parseDiffGitLine(cur);
  cur.index++;
  let oldMode: string | undefined;
  let newMode: string | undefined;
  let createdMode: string | undefined;
  let deletedMode: string | undefined;
  let moveFrom: string | undefined;
  let moveTo: string | undefined;
  let copy = false;
  let similarity: number | undefined;
  let index: { oldId: string; newId: string } | undefined;
  let minus: { raw: string; line: number } | undefined;
  let plus: { raw: string; line: number } | undefined;
  let binary: BinaryChange | undefined;
  const own = (prefix: string) => headerPath(cur, cur.text.slice(prefix.length), 0);
  for (; !cur.done; cur.index++) {
    const t = cur.text;
    if (t.startsWith('old mode ')) oldMode = modeOf(cur, 'old mode ');
    else if (t.startsWith('new mode ')) newMode = modeOf(cur, 'new mode ');
    else if (t.startsWith('new file mode ')) createdMode = modeOf(cur, 'new file mode ');
    else if (t.startsWith('deleted file mode ')) deletedMode = modeOf(cur, 'deleted file mode ');
    else if (t.startsWith('rename from ')) moveFrom = own('rename from ');
    else if (t.startsWith('rename to ')) moveTo = own('rename to ');
    else if (t.startsWith('copy from ')) [moveFrom, copy] = [own('copy from '), true];
    else if (t.startsWith('copy to ')) [moveTo, copy] = [own('copy to '), true];
    else if (t.startsWith('similarity index ')) similarity = parseInt(t.slice('similarity index '.length), 10);
    else if (t.startsWith('dissimilarity index ')) continue;
    else if (t.startsWith('index ')) {
      const m = /^index ([0-9a-f]+)\.\.([0-9a-f]+)(?: ([0-7]{6}))?$/.exec(t);
      if (m) index = { oldId: m[1], newId: m[2] };
    } else if (/^Binary files .* differ$/.test(t)) {
      throw new MeshforkError('PATCH_BINARY', `${name}:${cur.lineNo}: binary patch for "${b}" is not supported`, {
        hint: 'the diff carries no binary data: regenerate it with `git diff --binary --full-index`',
      });
    } else if (t === 'GIT binary patch') {
      binary = parseBinary(cur, moveTo ?? b ?? '', index);
      break;
    } else if (t.startsWith('--- ')) {
      minus = { raw: t.slice(4), line: cur.lineNo };
      cur.index++;
      if (!cur.text.startsWith('+++ ')) throw invalid(name, cur.lineNo, `expected "+++ " after "--- " (line ${cur.lineNo - 1})`);
      plus = { raw: cur.text.slice(4), line: cur.lineNo };
      cur.index++;
      break;
    } else break;
  }
  const hunks: Hunk[] = binary ? [] : parseHunks(cur);
  const last = hunks[hunks.length - 1];
  // A diff line right after a complete hunk means the header undercounts (git says "corrupt patch").
  if (last && !cur.done && /^[-+ ]/.test(cur.raw) && cur.text !== '-- ') {
    throw invalid(
      name,
      cur.lineNo,
      `hunk at line ${last.headerLine} has more lines than its header promises (${last.oldLines} old, ${last.newLines} new)`,
    );
  }
  if (!binary && minus === undefined && hunks.length === 0 && !cur.done && !cur.text.startsWith('diff --git ') && cur.text !== '-- ') {
    throw invalid(name, cur.lineNo, `unexpected line in the headers of "${b}": ${cur.text.slice(0, 60)}`);
  }
  if (hunks.length && minus === undefined) throw invalid(name, diffLine, `missing "---"/"+++" headers for "${b}"`);
  if (minus !== undefined && hunks.length === 0) throw invalid(name, cur.lineNo, `"${b}" has ---/+++ headers but no hunk`);
  checkHunkOrder(cur, hunks);

  const where = `${name}:${diffLine}`;
  const minusPath = minus && minus.raw !== '/dev/null' ? headerPath(cur, minus.raw, cur.strip, minus.line) : undefined;
  const plusPath = plus && plus.raw !== '/dev/null' ? headerPath(cur, plus.raw, cur.strip, plus.line) : undefined;
  const oldPath = moveFrom ?? a ?? minusPath;
  const newPath = moveTo ?? b ?? plusPath;
  if (oldPath === undefined || newPath === undefined) throw invalid(name, diffLine, 'git diff header lacks filename information');
  // The ---/+++ names must be the header's ("bad git-diff - inconsistent new filename"); git 2.39
  // still reads such a patch as an undeclared rename, which is exactly the silent surprise to refuse.
  if (minusPath !== undefined && minusPath !== oldPath) {
    throw invalid(
      name,
      minus!.line,
      `"--- ${minus!.raw}" names "${minusPath}" but the diff --git header names "${oldPath}" (inconsistent old file name; a rename needs "rename from"/"rename to" lines)`,
    );
  }
  if (plusPath !== undefined && plusPath !== newPath) {
    throw invalid(
      name,
      plus!.line,
      `"+++ ${plus!.raw}" names "${plusPath}" but the diff --git header names "${newPath}" (inconsistent new file name; a rename needs "rename from"/"rename to" lines)`,
    );
  }
  assertSafePath(oldPath, where);
  assertSafePath(newPath, where);

  if (createdMode !== undefined) {
    if (minus !== undefined && minus.raw !== '/dev/null') throw invalid(name, diffLine, `new file "${newPath}" must have "--- /dev/null"`);
    if (hunks.some((h) => h.lines.some((l) => l.kind !== '+')))
      throw invalid(name, diffLine, `new file "${newPath}" has hunks with context or removed lines`);
    return { kind: 'create', path: newPath, mode: createdMode, hunks, ...(binary ? { binary } : {}) };
  }
  if (deletedMode !== undefined) {
    if (plus !== undefined && plus.raw !== '/dev/null')
      throw invalid(name, diffLine, `deleted file "${oldPath}" must have "+++ /dev/null"`);
    return { kind: 'delete', path: oldPath, mode: deletedMode, hunks, ...(binary ? { binary } : {}) };
  }
  if (minus?.raw === '/dev/null' || plus?.raw === '/dev/null')
    throw invalid(name, diffLine, `"${b}" uses /dev/null without "new file mode" or "deleted file mode"`);
  if (moveFrom !== undefined || moveTo !== undefined) {
    const what = copy ? 'copy' : 'rename';
    if (moveFrom === undefined || moveTo === undefined)
      throw invalid(name, diffLine, `a ${what} needs both "${what} from" and "${what} to"`);
    const extra = { hunks, oldMode, newMode, similarity, ...(binary ? { binary } : {}) };
    return copy ? { kind: 'copy', from: moveFrom, path: moveTo, ...extra } : { kind: 'rename', from: moveFrom, to: moveTo, ...extra };
  }
  if (oldPath !== newPath) throw invalid(name, diffLine, `paths differ ("${oldPath}" vs "${newPath}") without "rename from"/"rename to"`);
  if (hunks.length === 0 && newMode === undefined && !binary) throw invalid(name, diffLine, `"${newPath}" has no hunks and no mode change`);
  return { kind: 'modify', path: newPath, hunks, oldMode, newMode, ...(binary ? { binary } : {}) };
}
