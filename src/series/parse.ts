// Accepted as shipped: meshfork's format, format-patch mails, git diff, patch-package and traditional diffs, any header style.
import { MeshforkError } from '../errors';
import { isDep3, parseForeignHeader } from './foreignHeader';
import { splitLines, stripEol } from './lines';
import { Cursor, invalid } from './parseCursor';
import { parseGitFile } from './parseGitFile';
import { parseHeader } from './parseHeader';
import { parseTraditionalFile, startsTraditionalFile } from './parseTraditional';
import type { FileOperation, Patch, PatchOptions, PatchSource } from './types';

const MBOX_LINE = /^From [0-9a-f]{40} /;
const MBOX_HINT = 'split it into one patch per file with `meshfork import mbox FILE`';

function startsFile(cur: Cursor): boolean {
  return cur.raw.startsWith('diff --git ') || startsTraditionalFile(cur);
}

/** Mail (meshfork, git format-patch) when it starts like a mail and its first paragraph has no DEP-3 field. */
function headerFormat(lines: string[]): PatchSource['format'] {
  const first = lines[0] ?? '';
  const paragraph = lines.slice(0, Math.max(lines.indexOf(''), 0) || lines.length);
  if (isDep3(paragraph)) return 'dep3';
  if (/^From [0-9a-f]{7,40} /.test(first) || /^(From|Subject|Date):/i.test(first)) return 'mail';
  return isDep3(lines) ? 'dep3' : 'plain';
}

/** A second patch of an mbox must not be dropped silently (git format-patch -2 --stdout, a pull request's .patch). */
function refuseMbox(name: string, lines: string[]): void {
  const starts = lines.map((l, i) => (MBOX_LINE.test(l) ? i : -1)).filter((i) => i >= 0);
  if (starts.length > 1) {
    throw invalid(
      name,
      starts[1] + 1,
      `a second patch starts here: this file is an mbox of ${starts.length} patches, and a series holds one patch per file`,
      MBOX_HINT,
    );
  }
}

/** After a "-- " signature only the signature may follow; another diff means several patches in one file. */
function checkSignatureTail(cur: Cursor): void {
  for (let i = cur.index + 1; i < cur.lines.length; i++) {
    const line = cur.lines[i];
    if (line.startsWith('diff --git ') || MBOX_LINE.test(line) || /^(From|Subject): /.test(line)) {
      throw invalid(
        cur.name,
        i + 1,
        'more diff after the "-- " signature: this file holds several patches, and a series holds one patch per file',
        MBOX_HINT,
      );
    }
  }
}

/** options.strip is the -pN of its series line (1 when not given). */
export function parsePatch(name: string, text: string, options: PatchOptions = {}): Patch {
  const nul = text.indexOf('\0');
  if (nul !== -1) {
    const line = text.slice(0, nul).split('\n').length;
    throw new MeshforkError('PATCH_BINARY', `${name}:${line}: the patch file contains NUL bytes`, {
      hint: 'binary content is not supported in a series; use a git binary patch (git diff --binary --full-index)',
    });
  }
  // An empty patch file changes nothing, as quilt and dpkg-source treat it: a patch with no operations.
  if (text.trim() === '') {
    const header = parseForeignHeader(name, []);
    return {
      name,
      header,
      operations: [],
      source: { text, headerText: '', format: headerFormat([]) },
      ...(options.strip !== undefined || options.ignoreTrailingWhitespace ? { options } : {}),
    };
  }
  const lines = splitLines(text);
  refuseMbox(name, lines);
  const cur = new Cursor(lines, name, options.strip ?? 1, options.strip !== undefined);
  let headerEnd = -1;
  for (cur.index = 0; !cur.done; cur.index++) {
    if (cur.text === '---' || startsFile(cur)) {
      headerEnd = cur.index;
      break;
    }
  }
  if (headerEnd === -1)
    throw invalid(name, lines.length || 1, 'no diff found (expected "diff --git" sections or "--- "/"+++ " file headers)');
  const headerLines = lines.slice(0, headerEnd).map(stripEol);
  const format = headerFormat(headerLines);
  const header = format === 'mail' ? parseHeader(name, lines.slice(0, headerEnd)) : parseForeignHeader(name, headerLines);
  for (cur.index = headerEnd; !cur.done && !startsFile(cur); cur.index++) {
    if (cur.text.startsWith('@@') || cur.text.startsWith('+++ '))
      throw invalid(name, cur.lineNo, 'diff content without file headers (a "diff --git" line or "--- "/"+++ " lines)');
  }
  const headerText = lines.slice(0, cur.index).join('');
  const operations: FileOperation[] = [];
  let git: boolean | undefined;
  while (!cur.done) {
    if (cur.text === '-- ') {
      checkSignatureTail(cur);
      break;
    }
    if (cur.raw.startsWith('diff --git ')) {
      git ??= true;
      operations.push(parseGitFile(cur));
    } else if (startsTraditionalFile(cur)) {
      git ??= false;
      operations.push(parseTraditionalFile(cur));
    } else if (git) {
      throw invalid(name, cur.lineNo, `expected "diff --git" but found "${cur.text.slice(0, 60)}"`);
    } else cur.index++; // GNU patch skips text between the files of a traditional diff ("Only in ...")
  }
  if (operations.length === 0) throw invalid(name, headerEnd + 1, 'the patch changes no file');
  const patch: Patch = { name, header, operations, source: { text, headerText, format } };
  if (options.strip !== undefined || options.ignoreTrailingWhitespace) patch.options = options;
  return patch;
}
