// From a git upstream's mirror: commits that touched a failing hunk's lines (culprits), and security commits.
import { gitText, runGit } from '../tools/git';

export interface HistoryCommit {
  commit: string;
  subject: string;
  author: string;
  date: string;
}

export interface LineRange {
  start: number;
  end: number;
}

const FIELD = '\u001f';
const RECORD = '\u001e';
const FORMAT = `${RECORD}%H${FIELD}%P${FIELD}%an${FIELD}%aI${FIELD}%s${FIELD}%B`;

/** What the old `check` script grepped for. */
export const SECURITY_PATTERN = /security|\bcve\b|vulnerab/i;

interface LoggedCommit extends HistoryCommit {
  parents: string[];
  message: string;
}

function parseLog(stdout: string): LoggedCommit[] {
  return stdout
    .split(RECORD)
    .slice(1)
    .map((record) => {
      const [commit, parents, author, date, subject, message] = record.split(FIELD);
      return { commit, parents: parents ? parents.split(' ') : [], author, date, subject, message: (message ?? '').trim() };
    });
}

function publicFields(c: LoggedCommit): HistoryCommit {
  return { commit: c.commit, subject: c.subject, author: c.author, date: c.date };
}

async function logRange(mirrorDir: string, baseCommit: string, targetCommit: string, extra: string[] = []): Promise<LoggedCommit[]> {
  const out = await runGit(['log', `--format=${FORMAT}`, '--no-color', `${baseCommit}..${targetCommit}`, ...extra], { cwd: mirrorDir });
  return parseLog(out.stdout.toString('utf8'));
}

function isSecurityCommit(c: LoggedCommit): boolean {
  return SECURITY_PATTERN.test(c.subject) || SECURITY_PATTERN.test(c.message);
}

/** One `git log ^base t1 t2 ...`: each target's share is what it reaches through parents inside that set. */
export async function securityCommitsByTarget(
  mirrorDir: string,
  baseCommit: string,
  targetCommits: string[],
): Promise<Map<string, HistoryCommit[]>> {
  const result = new Map<string, HistoryCommit[]>();
  const targets = [...new Set(targetCommits)];
  if (targets.length === 0) return result;
  const out = await runGit(['log', `--format=${FORMAT}`, '--no-color', `^${baseCommit}`, ...targets], { cwd: mirrorDir });
  const logged = parseLog(out.stdout.toString('utf8'));
  const byId = new Map(logged.map((c) => [c.commit, c]));
  for (const target of targets) {
    const reached = new Set<string>();
    const pending = byId.has(target) ? [target] : [];
    for (let id = pending.pop(); id !== undefined; id = pending.pop()) {
      if (reached.has(id)) continue;
      reached.add(id);
      for (const parent of byId.get(id)?.parents ?? []) if (byId.has(parent)) pending.push(parent);
    }
    result.set(target, logged.filter((c) => reached.has(c.commit) && isSecurityCommit(c)).map(publicFields));
  }
  return result;
}

export async function securityCommits(mirrorDir: string, baseCommit: string, targetCommit: string): Promise<HistoryCommit[]> {
  return (await securityCommitsByTarget(mirrorDir, baseCommit, [targetCommit])).get(targetCommit) ?? [];
}

interface ChangedBlock {
  oldStart: number;
  oldCount: number;
  newStart: number;
  newCount: number;
}

export function parseZeroContextHunks(diff: string): ChangedBlock[] {
  const blocks: ChangedBlock[] = [];
  for (const match of diff.matchAll(/^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/gm)) {
    blocks.push({
      oldStart: Number(match[1]),
      oldCount: match[2] === undefined ? 1 : Number(match[2]),
      newStart: Number(match[3]),
      newCount: match[4] === undefined ? 1 : Number(match[4]),
    });
  }
  return blocks;
}

function shiftBefore(blocks: ChangedBlock[], line: number): number {
  let shift = 0;
  for (const b of blocks) {
    // In a zero-context diff a pure insertion (oldCount 0) sits after line oldStart.
    const endsBefore = b.oldCount === 0 ? b.oldStart < line : b.oldStart + b.oldCount - 1 < line;
    if (endsBefore) shift += b.newCount - b.oldCount;
  }
  return shift;
}

function blockContaining(blocks: ChangedBlock[], line: number): ChangedBlock | undefined {
  return blocks.find((b) => b.oldCount > 0 && b.oldStart <= line && line <= b.oldStart + b.oldCount - 1);
}

/** An end inside a changed block grows over its new lines, so commits that replaced or deleted base lines are found. */
export function mapRangeToTarget(blocks: ChangedBlock[], range: LineRange, targetLineCount: number): LineRange {
  const first = blockContaining(blocks, range.start);
  const last = blockContaining(blocks, range.end);
  let start = first ? first.newStart : range.start + shiftBefore(blocks, range.start);
  // A deletion (newCount 0) is reported at the target line before it: include the line after too.
  let end = last ? last.newStart + (last.newCount === 0 ? 1 : last.newCount - 1) : range.end + shiftBefore(blocks, range.end);
  const lastLine = Math.max(targetLineCount, 1);
  start = Math.min(Math.max(start, 1), lastLine);
  end = Math.min(Math.max(end, start), lastLine);
  return { start, end };
}

async function lineCountAt(mirrorDir: string, commit: string, path: string): Promise<number | undefined> {
  const result = await runGit(['cat-file', '-p', `${commit}:${path}`], { cwd: mirrorDir, okExitCodes: [0, 128] });
  if (result.exitCode !== 0) return undefined;
  const text = result.stdout.toString('latin1');
  if (text.length === 0) return 0;
  return text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

/** Without rename detection a rename is a deletion: also where the newest removal moved `path`, if it did. */
export async function removalCommits(
  mirrorDir: string,
  baseCommit: string,
  targetCommit: string,
  path: string,
): Promise<{ commits: HistoryCommit[]; renamedTo?: string }> {
  const commits = (await logRange(mirrorDir, baseCommit, targetCommit, ['--no-renames', '--diff-filter=D', '--', path])).map(publicFields);
  if (commits.length === 0) return { commits };
  const status = await runGit(['show', '-M', '--no-color', '--format=', '--name-status', '-z', commits[0].commit], { cwd: mirrorDir });
  const fields = status.stdout.toString('utf8').split('\0');
  for (let i = 0; i < fields.length; i++) {
    if (/^R\d*$/.test(fields[i]) && fields[i + 1] === path) return { commits, renamedTo: fields[i + 2] };
    if (/^[RC]\d*$/.test(fields[i])) i += 2;
    else i += 1;
  }
  return { commits };
}

/** `git log -L` reads ranges at the tip (target), so the base range is mapped through the base->target diff first. */
export async function culpritCommits(
  mirrorDir: string,
  baseCommit: string,
  targetCommit: string,
  path: string,
  range: LineRange,
): Promise<HistoryCommit[]> {
  // A rebase onto the base itself (verify's hint for a patch that does not apply): no commits between.
  if (baseCommit === targetCommit) return [];
  const targetLines = await lineCountAt(mirrorDir, targetCommit, path);
  if (targetLines === undefined) return (await removalCommits(mirrorDir, baseCommit, targetCommit, path)).commits;
  if (targetLines === 0) return (await logRange(mirrorDir, baseCommit, targetCommit, ['--', path])).map(publicFields);
  const diff = await gitText(['diff', '-U0', '--no-color', '--no-ext-diff', '--no-renames', baseCommit, targetCommit, '--', path], {
    cwd: mirrorDir,
  });
  const mapped = mapRangeToTarget(parseZeroContextHunks(diff), range, targetLines);
  const log = await runGit(
    ['log', '--no-color', '-s', `--format=${FORMAT}`, `-L${mapped.start},${mapped.end}:${path}`, `${baseCommit}..${targetCommit}`],
    {
      cwd: mirrorDir,
    },
  );
  return parseLog(log.stdout.toString('utf8')).map(publicFields);
}

export async function descendsFrom(mirrorDir: string, baseCommit: string, targetCommit: string): Promise<boolean> {
  const result = await runGit(['merge-base', '--is-ancestor', baseCommit, targetCommit], { cwd: mirrorDir, okExitCodes: [0, 1] });
  return result.exitCode === 0;
}

/** A target branched from an older tag lacks base commits (target..base) that base..target culprits cannot show. */
export async function lackedBaseCommits(
  mirrorDir: string,
  baseCommit: string,
  targetCommit: string,
  path: string,
  range: LineRange,
): Promise<HistoryCommit[]> {
  const log = await runGit(
    ['log', '--no-color', '-s', `--format=${FORMAT}`, `-L${range.start},${range.end}:${path}`, `${targetCommit}..${baseCommit}`],
    {
      cwd: mirrorDir,
      okExitCodes: [0, 128],
    },
  );
  // 128: the path or range is not in the base (a file an earlier patch created): nothing the target lacks.
  if (log.exitCode !== 0) return [];
  return parseLog(log.stdout.toString('utf8')).map(publicFields);
}
