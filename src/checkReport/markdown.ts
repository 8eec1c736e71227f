import type { FileReport, HunkReport, PatchReport, ReleaseReport, SyncCheckReport, UpstreamCommit } from './schema';
import {
  baseVerdict,
  commitSummary,
  dependencyPhrase,
  differenceWords,
  fileProblem,
  hunkLabel,
  hunkPlacement,
  offsetSummary,
  releaseLineLabel,
  releaseVerdict,
  upToDateSentence,
  upstreamLabel,
  visibleLine,
} from './describe';
import { needsAttention } from './status';

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/[\r\n]+/g, ' ');
}

function code(text: string): string {
  const ticks = Math.max(0, ...(text.match(/`+/g) ?? []).map((t) => t.length)) + 1;
  const fence = '`'.repeat(ticks);
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

/** A fence longer than any backtick run inside, so upstream code cannot break out of it. */
function fenced(language: string, lines: string[]): string[] {
  const longest = Math.max(2, ...lines.flatMap((l) => l.match(/`+/g) ?? []).map((t) => t.length));
  const fence = '`'.repeat(longest + 1);
  return [`${fence}${language}`, ...lines, fence];
}

function summaryLine(report: SyncCheckReport): string {
  if (report.baseChecked && report.releases[0])
    return `**meshfork sync check** (${upstreamLabel(report)}): ${baseVerdict(report, report.releases[0])}.`;
  if (report.upToDate) return `**meshfork sync check**: ${upToDateSentence(report)}`;
  const verdicts = report.releases.map((r) => `${r.version} **${r.status}**`).join(', ');
  const next = report.next ? ` Next: ${code(report.next)}.` : '';
  return `**meshfork sync check** (base ${report.base}, ${upstreamLabel(report)}): ${verdicts}.${next}`;
}

function matrix(report: SyncCheckReport): string[] {
  const names = report.releases[0]?.patches.map((p) => p.name) ?? [];
  const out = [`| Patch | ${report.releases.map((r) => r.version).join(' | ')} |`, `| --- |${' --- |'.repeat(report.releases.length)}`];
  names.forEach((name, i) => out.push(`| ${code(name)} | ${report.releases.map((r) => r.patches[i]?.status ?? '').join(' | ')} |`));
  return out;
}

function patchNote(patch: PatchReport, version: string): string {
  if (patch.status === 'offset') return offsetSummary(patch);
  if (patch.status === 'clean') return '';
  const notes = patch.files.flatMap((f) => {
    const problem = fileProblem(f, version);
    const hunks = f.hunks.filter((h) => h.status !== 'exact' && h.status !== 'offset').map((h) => hunkLabel(f, h));
    return problem ? [problem, ...hunks] : hunks;
  });
  return notes.join(', ');
}

function releaseTable(release: ReleaseReport): string[] {
  const out = ['| Patch | Status | Files | Notes |', '| --- | --- | --- | --- |'];
  for (const patch of release.patches) {
    const files = patch.files.map((f) => code(f.path)).join(', ');
    out.push(`| ${code(patch.name)} | ${patch.status} | ${files} | ${cell(patchNote(patch, release.version))} |`);
  }
  return out;
}

function commitList(title: string, commits: UpstreamCommit[] | null): string[] {
  if (!commits || commits.length === 0) return [];
  return [title, '', ...commits.map((c) => `- ${code(c.commit.slice(0, 10))} ${cell(commitSummary(c))}`), ''];
}

function hunkDetails(release: ReleaseReport, patch: PatchReport, file: FileReport, hunk: HunkReport): string[] {
  const patchRef = hunk.patchLine !== null ? ` (patch line ${hunk.patchLine})` : '';
  const out = [`#### ${code(patch.name)}: ${hunkLabel(file, hunk)}${patchRef}`, '', `${hunk.status}: ${hunkPlacement(hunk)}.`];
  const dependency = dependencyPhrase(hunk);
  if (dependency) out.push('', `${dependency.charAt(0).toUpperCase()}${dependency.slice(1)}.`);
  if (hunk.differingLines.length > 0) {
    out.push('', `Lines of ${release.version} that differ from the patch's context (- expected, + upstream):`, '');
    const diff = hunk.differingLines.flatMap((d) => {
      const words = differenceWords(d);
      const at = releaseLineLabel(d);
      return [
        `- ${at}: ${visibleLine(d.expected, d, 'expected')}`,
        `+ ${at}: ${visibleLine(d.actual, d, 'actual')}${words ? `   (${words})` : ''}`,
      ];
    });
    out.push(...fenced('diff', diff));
  }
  return [
    ...out,
    '',
    ...commitList('Upstream commits that changed these lines:', hunk.culprits),
    ...commitList(
      `Base commits that ${release.version} lacks (it does not descend from the base) and that changed these lines, so they differ because ${release.version} never got them:`,
      hunk.lackedBaseCommits,
    ),
  ];
}

function releaseSection(report: SyncCheckReport, release: ReleaseReport): string[] {
  const out = [`### ${release.version}: ${release.status}`, ''];
  if (!release.inSupports)
    out.push(
      `> ${release.version} is outside supports (${code(report.supports)}); checked with ${code('--ignore-range')}; widen ${code('supports')} before rebasing onto it.`,
      '',
    );
  const verdict = releaseVerdict(release);
  out.push(`${verdict.charAt(0).toUpperCase()}${verdict.slice(1)}.`, '', ...releaseTable(release), '');
  for (const patch of release.patches.filter((p) => needsAttention(p.status))) {
    for (const file of patch.files) {
      const problem = fileProblem(file, release.version);
      if (problem)
        out.push(
          `#### ${code(patch.name)}: ${cell(problem)}`,
          '',
          ...commitList(
            file.status === 'missing' ? 'Upstream commits that removed it:' : 'Upstream commits that touched it:',
            file.culprits,
          ),
        );
      for (const hunk of file.hunks.filter((h) => (h.status !== 'exact' && h.status !== 'offset') || h.dependsOn.length > 0))
        out.push(...hunkDetails(release, patch, file, hunk));
    }
  }
  const security = release.securityCommits ?? [];
  if (security.length > 0) {
    out.push(
      `**Security:** ${security.length} upstream commit(s) between ${report.base} and ${release.version} mention security, CVE or vulnerability:`,
      '',
    );
    out.push(...security.map((c) => `- ${code(c.commit.slice(0, 10))} ${cell(commitSummary(c))}`), '');
  }
  return out;
}

export function renderMarkdown(report: SyncCheckReport): string {
  const out = [summaryLine(report), ''];
  if (report.releases.length > 1) out.push(...matrix(report), '');
  for (const release of report.releases) out.push(...releaseSection(report, release));
  while (out.at(-1) === '') out.pop();
  return `${out.join('\n')}\n`;
}
