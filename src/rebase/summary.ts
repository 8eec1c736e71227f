import { structuredPatch } from 'diff';
import { displayText } from '../series/lines';
import { parsePatch } from '../series/parse';
import type { FileOperation, Hunk, Patch } from '../series/types';
import type { RebaseStep } from './rebaseState';

export type PatchResult = 'unchanged' | 'moved' | 'refreshed' | 'resolved' | 'dropped';

/** A hunk whose content is unchanged but whose line number moved. */
export interface HunkMove {
  path: string;
  oldStart: number;
  newStart: number;
}

export interface SummaryCommit {
  commit: string;
  subject: string;
  author: string;
  date: string;
}

import { dropWords, type DropReason } from './dropReason';

export { dropWords, type DropReason } from './dropReason';

export interface PatchSummary {
  name: string;
  newName?: string;
  subject: string;
  result: PatchResult;
  /** Hunks whose line numbers changed (for refreshed and resolved patches, changed hunks too): churn, not content. */
  moves: HunkMove[];
  /** For refreshed/resolved patches: a diff of the old and new patch with line numbers masked. */
  contentDiff?: string;
  dropReason?: DropReason;
  culprits?: SummaryCommit[];
}

export interface RebaseSummary {
  from: string;
  to: string;
  patches: PatchSummary[];
  /** Commits in from..to whose message mentions security, CVE or vulnerability (git upstream); null for npm. */
  securityCommits: SummaryCommit[] | null;
}

export interface SummaryHistory {
  culprits: Map<string, SummaryCommit[]>;
  securityCommits: SummaryCommit[];
}

function opPath(op: FileOperation): string {
  return op.kind === 'rename' ? `${op.from} -> ${op.to}` : op.path;
}

function sameLines(a: Hunk, b: Hunk): boolean {
  return a.lines.length === b.lines.length && a.lines.every((l, i) => l.kind === b.lines[i].kind && l.text === b.lines[i].text);
}

function maskedBody(patch: Patch): string[] {
  const out: string[] = [];
  for (const op of patch.operations) {
    out.push(`${op.kind} ${opPath(op)}`);
    for (const hunk of op.hunks) {
      out.push('@@ @@');
      for (const line of hunk.lines)
        out.push(`${line.kind}${displayText(line.text).replace(/\r?\n$/, '')}${line.text.endsWith('\r\n') ? '\u240d' : ''}`);
    }
  }
  return out;
}

/** Same content, and the line-number churn (with withChanged, also for changed hunks at the same place). */
function compare(before: Patch, after: Patch, withChanged = false): { same: boolean; moves: HunkMove[] } {
  const moves: HunkMove[] = [];
  let same = before.operations.length === after.operations.length;
  before.operations.forEach((op, i) => {
    const other = [after.operations[i], ...after.operations].find((o) => o !== undefined && o.kind === op.kind && opPath(o) === opPath(op));
    if (!other || op.kind !== other.kind || opPath(op) !== opPath(other)) {
      same = false;
      return;
    }
    if (op.hunks.length !== other.hunks.length) same = false;
    op.hunks.forEach((h, k) => {
      const o = other.hunks[k];
      if (!o) return;
      const identical = sameLines(h, o);
      if (!identical) same = false;
      if ((identical || withChanged) && h.oldStart !== o.oldStart)
        moves.push({ path: opPath(op), oldStart: h.oldStart, newStart: o.oldStart });
    });
  });
  return { same, moves };
}

function contentDiff(before: Patch, after: Patch): string {
  const a = maskedBody(before);
  const b = maskedBody(after);
  const patch = structuredPatch(before.name, after.name, `${a.join('\n')}\n`, `${b.join('\n')}\n`, '', '', { context: 2 });
  return patch.hunks.map((h) => h.lines.join('\n')).join('\n...\n');
}

function dropReason(step: RebaseStep | undefined): DropReason {
  if (step?.strict === 'already-applied') return 'upstream-contains';
  if (step?.action === 'dropped' && step.strict === 'conflict') return 'skipped';
  return 'no-change';
}

export function summarizeRebase(
  from: string,
  to: string,
  oldPatches: Patch[],
  steps: RebaseStep[],
  exported: { name: string; text: string; previous?: string }[],
  history?: SummaryHistory,
): RebaseSummary {
  const patches = oldPatches.map((old, i): PatchSummary => {
    const step = steps[i];
    const match = exported.find((e) => e.previous === old.name);
    const base = { name: old.name, subject: displayText(old.header.subject), moves: [] as HunkMove[] };
    if (!match || step?.action === 'dropped') return { ...base, result: 'dropped', dropReason: dropReason(step) };
    const now = parsePatch(match.name, match.text);
    const renamed = match.name !== old.name ? { newName: match.name } : {};
    const culprits = history ? { culprits: history.culprits.get(old.name) ?? [] } : {};
    const { same, moves } = compare(old, now);
    if (step?.action === 'resolved')
      return {
        ...base,
        ...renamed,
        result: 'resolved',
        moves: compare(old, now, true).moves,
        contentDiff: same ? undefined : contentDiff(old, now),
        ...culprits,
      };
    if (same) return { ...base, ...renamed, result: moves.length ? 'moved' : 'unchanged', moves };
    return {
      ...base,
      ...renamed,
      result: 'refreshed',
      moves: compare(old, now, true).moves,
      contentDiff: contentDiff(old, now),
      ...culprits,
    };
  });
  return { from, to, patches, securityCommits: history ? history.securityCommits : null };
}

function moveText(moves: HunkMove[]): string {
  return moves
    .map((m) => `${m.path} ${m.oldStart}→${m.newStart} (${m.newStart > m.oldStart ? '+' : ''}${m.newStart - m.oldStart})`)
    .join(', ');
}

function commitLine(c: SummaryCommit): string {
  return `- \`${c.commit.slice(0, 10)}\` ${c.subject.replace(/\|/g, '\\|')} (${c.author}, ${c.date.slice(0, 10)})`;
}

/** Markdown for the pull request: a table, then what changed inside each refreshed or resolved patch. */
export function renderSummaryMarkdown(summary: RebaseSummary): string {
  const lines = [`## meshfork: series rebased from ${summary.from} to ${summary.to}`, ''];
  const counts = new Map<PatchResult, number>();
  for (const p of summary.patches) counts.set(p.result, (counts.get(p.result) ?? 0) + 1);
  lines.push([...counts].map(([r, n]) => `${n} ${r}`).join(', '), '');
  lines.push('| # | patch | result | line-number churn |', '| --- | --- | --- | --- |');
  summary.patches.forEach((p, i) => {
    const name = p.newName ? `\`${p.name}\` → \`${p.newName}\`` : `\`${p.name}\``;
    const result = p.result === 'dropped' && p.dropReason ? `dropped: ${dropWords(p.dropReason)}` : p.result;
    lines.push(`| ${i + 1} | ${name} | ${result} | ${moveText(p.moves) || '-'} |`);
  });
  for (const p of summary.patches.filter((x) => x.contentDiff !== undefined || x.result === 'refreshed' || x.result === 'resolved')) {
    lines.push('', `### ${p.result}: \`${p.newName ?? p.name}\``, '', p.subject, '');
    if (p.contentDiff !== undefined)
      lines.push(
        'Content changes (old patch → new patch, hunk line numbers masked so only real changes show):',
        '',
        '```diff',
        p.contentDiff,
        '```',
      );
    if (p.moves.length) lines.push('', `Line-number churn of its hunks: ${moveText(p.moves)}`);
    if (p.culprits?.length)
      lines.push(
        '',
        `Upstream commits between ${summary.from} and ${summary.to} that changed the lines it was made against:`,
        '',
        ...p.culprits.map(commitLine),
      );
  }
  if (summary.securityCommits?.length) {
    lines.push(
      '',
      `### Security: ${summary.securityCommits.length} upstream commit(s) between ${summary.from} and ${summary.to} mention security, CVE or vulnerability`,
      '',
      ...summary.securityCommits.map(commitLine),
    );
  }
  return `${lines.join('\n')}\n`;
}
