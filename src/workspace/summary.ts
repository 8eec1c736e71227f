import { structuredPatch } from 'diff';
import { displayText } from '../series/lines';
import { parsePatch } from '../series/parse';
import type { FileOperation, Hunk, Patch } from '../series/types';
import type { RebaseStep } from './rebaseState';

/** What happened to one patch in a rebase, as reviewers read it. */
export type PatchResult = 'unchanged' | 'moved' | 'refreshed' | 'resolved' | 'dropped';

/** A hunk whose content is unchanged but whose line number moved. */
export interface HunkMove {
  path: string;
  oldStart: number;
  newStart: number;
}

/** One patch in the rebase summary. */
export interface PatchSummary {
  name: string;
  /** Set when the patch file got a new name. */
  newName?: string;
  subject: string;
  result: PatchResult;
  /** Hunks whose line numbers changed: churn, not content. */
  moves: HunkMove[];
  /** For refreshed/resolved patches: a diff of the old and new patch with line numbers masked. */
  contentDiff?: string;
}

/** The whole rebase, patch by patch: what the --summary markdown shows. */
export interface RebaseSummary {
  from: string;
  to: string;
  patches: PatchSummary[];
}

function opPath(op: FileOperation): string {
  return op.kind === 'rename' ? `${op.from} -> ${op.to}` : op.path;
}

function sameLines(a: Hunk, b: Hunk): boolean {
  return a.lines.length === b.lines.length && a.lines.every((l, i) => l.kind === b.lines[i].kind && l.text === b.lines[i].text);
}

/** The diff part of a patch with hunk line numbers masked, one string per line, for comparing content. */
function maskedBody(patch: Patch): string[] {
  const out: string[] = [];
  for (const op of patch.operations) {
    out.push(`${op.kind} ${opPath(op)}`);
    for (const hunk of op.hunks) {
      out.push('@@ @@');
      for (const line of hunk.lines) out.push(`${line.kind}${displayText(line.text).replace(/\r?\n$/, '')}${line.text.endsWith('\r\n') ? '\u240d' : ''}`);
    }
  }
  return out;
}

function compare(before: Patch, after: Patch): { same: boolean; moves: HunkMove[] } {
  const moves: HunkMove[] = [];
  if (before.operations.length !== after.operations.length) return { same: false, moves };
  let same = true;
  before.operations.forEach((op, i) => {
    const other = after.operations[i];
    if (op.kind !== other.kind || opPath(op) !== opPath(other) || op.hunks.length !== other.hunks.length) {
      same = false;
      return;
    }
    op.hunks.forEach((h, k) => {
      const o = other.hunks[k];
      if (!sameLines(h, o)) same = false;
      else if (h.oldStart !== o.oldStart) moves.push({ path: opPath(op), oldStart: h.oldStart, newStart: o.oldStart });
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

/** Classify each patch of the old series by comparing it with what the rebase exported. */
export function summarizeRebase(from: string, to: string, oldPatches: Patch[], steps: RebaseStep[], exported: { name: string; text: string; previous?: string }[]): RebaseSummary {
  const patches = oldPatches.map((old, i): PatchSummary => {
    const step = steps[i];
    const match = exported.find((e) => e.previous === old.name);
    const base = { name: old.name, subject: displayText(old.header.subject), moves: [] as HunkMove[] };
    if (!match || step?.action === 'dropped') return { ...base, result: 'dropped' };
    const now = parsePatch(match.name, match.text);
    const renamed = match.name !== old.name ? { newName: match.name } : {};
    const { same, moves } = compare(old, now);
    if (step?.action === 'resolved') return { ...base, ...renamed, result: 'resolved', moves, contentDiff: same ? undefined : contentDiff(old, now) };
    if (same) return { ...base, ...renamed, result: moves.length ? 'moved' : 'unchanged', moves };
    return { ...base, ...renamed, result: 'refreshed', moves, contentDiff: contentDiff(old, now) };
  });
  return { from, to, patches };
}

function moveText(moves: HunkMove[]): string {
  return moves.map((m) => `${m.path} ${m.oldStart}→${m.newStart} (${m.newStart > m.oldStart ? '+' : ''}${m.newStart - m.oldStart})`).join(', ');
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
    lines.push(`| ${i + 1} | ${name} | ${p.result} | ${moveText(p.moves) || '-'} |`);
  });
  for (const p of summary.patches.filter((x) => x.contentDiff !== undefined)) {
    lines.push('', `### ${p.result}: \`${p.newName ?? p.name}\``, '', p.subject, '');
    lines.push('Content changes (old patch → new patch, hunk line numbers masked so only real changes show):', '', '```diff', p.contentDiff ?? '', '```');
    if (p.moves.length) lines.push('', `Unchanged hunks that only moved: ${moveText(p.moves)}`);
  }
  return `${lines.join('\n')}\n`;
}
