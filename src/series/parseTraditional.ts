// As GNU patch reads them: a side that is /dev/null or carries the epoch time stamp (diff -N) does not exist.
import { checkHunkOrder, parseHunks } from './parseHunk';
import { invalid, type Cursor } from './parseCursor';
import { headerPath } from './parseGitFile';
import { assertSafePath } from './pathSafety';
import type { FileOperation } from './types';

export function startsTraditionalFile(cur: Cursor, ahead = 0): boolean {
  const t = cur.peek(ahead);
  if (t.startsWith('--- ')) return cur.peek(ahead + 1).startsWith('+++ ') && cur.peek(ahead + 2).startsWith('@@ ');
  if (t.startsWith('Index: ') || /^={20,}$/.test(t) || /^diff (-\S+ )*\S/.test(t)) {
    for (let k = 1; k <= 3; k++) if (cur.peek(ahead + k).startsWith('--- ')) return startsTraditionalFile(cur, ahead + k);
  }
  return false;
}

const STAMP = /^(.*?)[\t ]+(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?(?: ?[+-]\d\d:?\d\d)?)$/s;
const CTIME = /^(.*?)\t((?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) \w{3} [ \d]\d \d\d:\d\d:\d\d(?:\.\d+)? \d{4})$/s;

/** The stamp is found from the end, so a name may hold tabs and spaces (as git reads it); without one the name ends at the first tab. */
function splitStamp(raw: string): { name: string; stamp?: string } {
  if (raw.startsWith('"')) {
    const end = /^"(?:[^"\\]|\\.)*"/.exec(raw);
    if (end) return { name: end[0], stamp: raw.slice(end[0].length).trim() || undefined };
  }
  const stamped = STAMP.exec(raw) ?? CTIME.exec(raw);
  const greedy = stamped && /^(.*)[\t ]+$/s.exec(`${stamped[1]} `);
  if (stamped) return { name: (greedy?.[1] ?? stamped[1]).replace(/[\t ]+$/, ''), stamp: stamped[2] };
  const tab = raw.indexOf('\t');
  if (tab !== -1) return { name: raw.slice(0, tab), stamp: raw.slice(tab + 1).trim() || undefined };
  return { name: raw.trimEnd() };
}

/** The Unix epoch (in any time zone): how `diff -N` marks a file that does not exist. */
function isEpoch(stamp: string | undefined): boolean {
  if (!stamp) return false;
  const iso = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.\d+)? ?(?:([+-])(\d\d):?(\d\d))?$/.exec(stamp);
  if (iso) {
    const [, y, mo, d, h, mi, sec, sign, oh, om] = iso;
    const local = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec));
    const offset = sign === undefined ? 0 : (sign === '-' ? -1 : 1) * (Number(oh) * 60 + Number(om)) * 60000;
    return local - offset === 0;
  }
  return /^(Thu|Wed) (Jan  ?1|Dec 31) \d\d:\d\d:\d\d(\.\d+)? (1970|1969)$/.test(stamp);
}

export function parseTraditionalFile(cur: Cursor): FileOperation {
  const name = cur.name;
  let indexName: string | undefined;
  while (!cur.text.startsWith('--- ')) {
    if (cur.text.startsWith('Index: ')) indexName = cur.text.slice('Index: '.length).trim();
    cur.index++;
  }
  const minusLine = cur.lineNo;
  const minus = splitStamp(cur.text.slice(4));
  cur.index++;
  const plusLine = cur.lineNo;
  const plus = splitStamp(cur.text.slice(4));
  cur.index++;
  const hunks = parseHunks(cur);
  checkHunkOrder(cur, hunks);
  const onlyAdds = hunks.every((h) => h.oldLines === 0);
  const onlyRemoves = hunks.every((h) => h.newLines === 0);
  const oldMissing = minus.name === '/dev/null' || (isEpoch(minus.stamp) && onlyAdds);
  const newMissing = plus.name === '/dev/null' || (isEpoch(plus.stamp) && onlyRemoves);
  // Without an explicit -pN, a name too short to strip is taken whole, as git apply guesses (-p0).
  const strip = (name: string) => (cur.stripExplicit || name.includes('/') ? cur.strip : 0);
  const path = (side: { name: string }, line: number) =>
    side.name === '/dev/null' ? undefined : headerPath(cur, side.name, strip(side.name), line, true);
  const oldPath = oldMissing && minus.name === '/dev/null' ? undefined : path(minus, minusLine);
  const newPath = newMissing && plus.name === '/dev/null' ? undefined : path(plus, plusLine);
  const indexPath = indexName === undefined ? undefined : stripOrUndefined(cur, indexName);
  // Two different names: an Index: line naming one decides, else betterName (`--- x` / `+++ x.new` patches x).
  const differ = oldPath !== undefined && newPath !== undefined && oldPath !== newPath;
  const target =
    differ && indexPath !== undefined && [oldPath, newPath].includes(indexPath)
      ? indexPath
      : differ
        ? betterName(oldPath, newPath)
        : newMissing
          ? (oldPath ?? newPath)
          : (newPath ?? oldPath);
  if (target === undefined) throw invalid(name, minusLine, 'both sides of the diff are /dev/null');
  assertSafePath(target, `${name}:${minusLine}`);
  if (oldMissing && !newMissing) {
    if (hunks.some((h) => h.lines.some((l) => l.kind !== '+')))
      throw invalid(name, minusLine, `new file "${target}" has hunks with context or removed lines`);
    return { kind: 'create', path: target, mode: '100644', hunks };
  }
  if (newMissing && !oldMissing) return { kind: 'delete', path: target, mode: '100644', hunks };
  if (hunks.length === 0) throw invalid(name, plusLine + 1, `"${target}" has ---/+++ headers but no hunk`);
  return { kind: 'modify', path: target, hunks };
}

/** GNU patch's best_name (and git's find_name_traditional): fewest components, shortest base name, shortest name; `b` on a tie. */
function betterName(a: string, b: string): string {
  const key = (p: string) => [p.split('/').length, p.slice(p.lastIndexOf('/') + 1).length, p.length];
  const [ka, kb] = [key(a), key(b)];
  for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i] < kb[i] ? a : b;
  return b;
}

function stripOrUndefined(cur: Cursor, raw: string): string | undefined {
  try {
    return headerPath(cur, raw, cur.strip);
  } catch {
    return undefined;
  }
}
