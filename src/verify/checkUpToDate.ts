import path from 'node:path';
import { splitLines, stripEol, displayText } from '../series/lines';
import { SERIES_FILE } from '../series/seriesFile';
import { commitMessage, parseAuthor, parseCommitMessage } from '../workspace/commitMessage';
import type { PatchCommit } from '../workspace/commits';
import { planExport } from '../workspace/exportPlan';
import type { AppliedPatch } from './checkApplies';
import type { LoadedPatch } from './seriesState';
import type { Problem } from './types';

const REFRESH_HINT =
  'refresh it: `meshfork edit && meshfork export` rewrites patches/ the way export writes it (review with `git diff -- patches`)';

/** The commits `meshfork edit` would make, in memory: the same input export reads, without a git workspace. */
function commitsOf(patches: LoadedPatch[], applied: AppliedPatch[]): PatchCommit[] {
  return applied.map((a, i) => {
    const header = patches[i].patch.header;
    const author = parseAuthor(displayText(header.from));
    return {
      id: `verify-${i + 1}`.padEnd(12, '0'),
      author: {
        name: Buffer.from(author.name || 'unknown', 'utf8').toString('latin1'),
        email: Buffer.from(author.email, 'utf8').toString('latin1'),
      },
      message: parseCommitMessage(commitMessage(header)),
      changes: a.changes,
    };
  });
}

function firstDifference(actual: string, expected: string): { line: number; actual?: string; expected?: string } {
  const a = splitLines(actual);
  const e = splitLines(expected);
  let i = 0;
  while (i < a.length && i < e.length && a[i] === e[i]) i++;
  return { line: i + 1, actual: a[i], expected: e[i] };
}

function shown(line: string | undefined): string {
  return line === undefined ? 'the end of the file' : JSON.stringify(displayText(stripEol(line)).slice(0, 80));
}

/** Exporting the applied series must reproduce every patch file and the series file byte for byte. */
export function checkUpToDate(
  patches: LoadedPatch[],
  applied: AppliedPatch[],
  seriesText: string,
  base: string,
  patchesRel: string,
): Problem[] {
  let plan;
  try {
    plan = planExport(commitsOf(patches, applied), { patches: patches.map((p) => p.patch), seriesText }, base);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return [
      {
        message: `the series cannot be exported: ${message}`,
        hint: 'run `meshfork edit && meshfork export` to see the export fail on its own',
      },
    ];
  }
  const problems: Problem[] = [];
  plan.patches.forEach((exported, i) => {
    const current = patches[i];
    const file = path.join(patchesRel, current.patch.name);
    if (exported.name !== current.patch.name) {
      problems.push({
        patch: current.patch.name,
        file,
        line: 1,
        message: `export would name it ${exported.name} (from its subject)`,
        hint: REFRESH_HINT,
      });
      return;
    }
    if (exported.text === current.text) return;
    const d = firstDifference(current.text, exported.text);
    problems.push({
      patch: current.patch.name,
      file,
      line: d.line,
      message: `not what export writes: line ${d.line} is ${shown(d.actual)}, export writes ${shown(d.expected)}`,
      hint: REFRESH_HINT,
    });
  });
  if (problems.length === 0 && plan.seriesText !== seriesText) {
    const d = firstDifference(seriesText, plan.seriesText);
    problems.push({
      file: path.join(patchesRel, SERIES_FILE),
      line: d.line,
      message: `not what export writes: line ${d.line} is ${shown(d.actual)}, export writes ${shown(d.expected)}`,
      hint: REFRESH_HINT,
    });
  }
  return problems;
}
