// With several releases (--all) the patch lines become a release x patch matrix.
import type { PatchReport, ReleaseReport, SyncCheckReport } from './schema';
import {
  baseVerdict,
  dependencyPhrase,
  differenceWords,
  fileProblem,
  hunkLabel,
  hunkPlacement,
  offsetSummary,
  releaseLineLabel,
  releaseVerdict,
  shortCommit,
  upToDateSentence,
  upstreamLabel,
  visibleLine,
} from './describe';
import { needsAttention } from './status';

/** Colours the renderer may use; the CLI passes its terminal style, tests pass identity. */
export interface TextStyle {
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  bold(s: string): string;
  dim(s: string): string;
}

const plain: TextStyle = { red: (s) => s, green: (s) => s, yellow: (s) => s, bold: (s) => s, dim: (s) => s };

const STATUS_WIDTH = 'already-applied'.length;

function paintStatus(style: TextStyle, status: PatchReport['status'], padTo = STATUS_WIDTH): string {
  const padded = status.padEnd(padTo);
  if (status === 'conflict') return style.red(padded);
  if (status === 'clean' || status === 'offset') return style.green(padded);
  return style.yellow(padded);
}

function patchLine(style: TextStyle, patch: PatchReport): string {
  const extra = patch.status === 'offset' ? style.dim(`  ${offsetSummary(patch)}`) : '';
  return `  ${paintStatus(style, patch.status)}  ${patch.name}${extra}`;
}

function patchDetails(style: TextStyle, patch: PatchReport, version: string): string[] {
  const out: string[] = [];
  for (const file of patch.files) {
    const problem = fileProblem(file, version);
    if (problem) out.push(`      ${problem}`);
    for (const commit of file.culprits ?? [])
      out.push(`        ${file.status === 'missing' ? 'removed by' : 'changed by'} ${shortCommit(commit)}`);
    for (const hunk of file.hunks) {
      const dependency = dependencyPhrase(hunk);
      if ((hunk.status === 'exact' || hunk.status === 'offset') && !dependency) continue;
      const patchRef = hunk.patchLine !== null ? style.dim(` (patch line ${hunk.patchLine})`) : '';
      out.push(`      ${hunkLabel(file, hunk)}${patchRef}: ${hunkPlacement(hunk)}`);
      if (dependency) out.push(`        ${dependency}`);
      for (const d of hunk.differingLines) {
        const words = differenceWords(d);
        const at = `line ${releaseLineLabel(d)} `;
        out.push(`        ${at}expected: ${visibleLine(d.expected, d, 'expected')}`);
        out.push(
          `        ${' '.repeat(at.length)}upstream: ${visibleLine(d.actual, d, 'actual')}${words ? style.yellow(`   (${words})`) : ''}`,
        );
      }
      for (const commit of hunk.culprits ?? []) out.push(`        changed by ${shortCommit(commit)}`);
      for (const commit of hunk.lackedBaseCommits ?? []) out.push(`        lacks base commit ${shortCommit(commit)}`);
    }
  }
  if (patch.status === 'already-applied' && out.length === 0) out.push(`      ${version} already contains this change; drop the patch`);
  return out;
}

function securityLines(style: TextStyle, release: ReleaseReport, base: string): string[] {
  const commits = release.securityCommits ?? [];
  if (commits.length === 0) return [];
  const head = style.yellow(
    `  security: ${commits.length} commit(s) between ${base} and ${release.version} mention security, CVE or vulnerability`,
  );
  return [head, ...commits.map((c) => `    ${shortCommit(c)}`)];
}

function nextLine(report: SyncCheckReport): string[] {
  return report.next ? [`Next: ${report.next}`] : [];
}

function renderOneRelease(report: SyncCheckReport, release: ReleaseReport, style: TextStyle): string[] {
  const out = [style.bold(`meshfork sync check: ${report.base} -> ${release.version}`) + style.dim(` (${upstreamLabel(report)})`)];
  if (!release.inSupports)
    out.push(
      style.yellow(
        `  ${release.version} is outside supports (${report.supports}); checked because of --ignore-range (widen "supports" before rebasing onto it)`,
      ),
    );
  for (const patch of release.patches) {
    out.push(patchLine(style, patch));
    if (needsAttention(patch.status)) out.push(...patchDetails(style, patch, release.version));
  }
  out.push(...securityLines(style, release, report.base));
  out.push(`${paintStatus(style, release.status, 0)}: ${release.version}: ${releaseVerdict(release)}`);
  return out;
}

function renderMatrix(report: SyncCheckReport, style: TextStyle): string[] {
  const versions = report.releases.map((r) => r.version);
  const names = report.releases[0]?.patches.map((p) => p.name) ?? [];
  const nameWidth = Math.max(5, ...names.map((n) => n.length));
  const cell = (s: string) => s.padEnd(STATUS_WIDTH);
  const out = [style.bold(`meshfork sync check: ${report.base} -> ${versions.join(', ')}`) + style.dim(` (${upstreamLabel(report)})`)];
  out.push(`  ${'patch'.padEnd(nameWidth)}  ${versions.map(cell).join('  ').trimEnd()}`);
  names.forEach((name, i) => {
    const cells = report.releases.map((r) => paintStatus(style, r.patches[i]?.status ?? 'clean'));
    out.push(`  ${name.padEnd(nameWidth)}  ${cells.join('  ').trimEnd()}`);
  });
  for (const release of report.releases) {
    const attention = release.patches.filter((p) => needsAttention(p.status));
    const security = securityLines(style, release, report.base);
    if (attention.length === 0 && security.length === 0) continue;
    out.push('', style.bold(`${release.version}:`));
    for (const patch of attention) out.push(patchLine(style, patch), ...patchDetails(style, patch, release.version));
    out.push(...security);
  }
  out.push('');
  for (const release of report.releases)
    out.push(`${paintStatus(style, release.status, 0)}: ${release.version}: ${releaseVerdict(release)}`);
  return out;
}

function renderBaseCheck(report: SyncCheckReport, release: ReleaseReport, style: TextStyle): string[] {
  const verdict = `${baseVerdict(report, release)}.`;
  if (!needsAttention(release.status)) return [verdict];
  const out = [
    style.bold(`meshfork sync check: the base ${report.base} (no newer release in ${report.supports})`) +
      style.dim(` (${upstreamLabel(report)})`),
  ];
  for (const patch of release.patches) {
    out.push(patchLine(style, patch));
    if (needsAttention(patch.status)) out.push(...patchDetails(style, patch, release.version));
  }
  out.push(`${paintStatus(style, release.status, 0)}: ${verdict}`);
  return out;
}

export function renderText(report: SyncCheckReport, style: TextStyle = plain): string {
  if (report.baseChecked && report.releases.length === 1) return `${renderBaseCheck(report, report.releases[0], style).join('\n')}\n`;
  if (report.upToDate) return `${upToDateSentence(report)}\n`;
  const lines = report.releases.length === 1 ? renderOneRelease(report, report.releases[0], style) : renderMatrix(report, style);
  return `${[...lines, ...nextLine(report)].join('\n')}\n`;
}
