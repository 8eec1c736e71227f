import { InvalidArgumentError } from 'commander';
import type { ApplyResult } from '../../commands/apply';
import type { FileOutcome, HunkOutcome } from '../../engine';
import { withExamples } from '../help';
import type { Registrar } from '../context';
import { makeStyle, type Style } from '../style';

interface ApplyFlags {
  to?: string;
  out: string;
  force?: boolean;
  fuzz: number;
  threeWay?: boolean;
  ignoreRange?: boolean;
  updateLock?: boolean;
}

function wholeNumber(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a whole number >= 0');
  return Number(value);
}

function hunkText(hunk: HunkOutcome): string {
  const where = hunk.targetLine !== undefined ? ` at line ${hunk.targetLine}` : '';
  switch (hunk.status) {
    case 'exact':
      return `hunk ${hunk.index + 1} exact${where}`;
    case 'offset':
      return `hunk ${hunk.index + 1} offset ${hunk.offset !== undefined && hunk.offset > 0 ? '+' : ''}${hunk.offset ?? ''}${where}`;
    case 'fuzz':
      return `hunk ${hunk.index + 1} fuzz ${hunk.fuzz ?? ''}${where}`;
    case 'merged':
      return `hunk ${hunk.index + 1} merged 3-way${where}`;
    case 'conflict':
      return `hunk ${hunk.index + 1} CONFLICT (made against base line ${hunk.baseLine})${hunk.conflictRange ? ` in lines ${hunk.conflictRange.start}-${hunk.conflictRange.end}` : ''}`;
  }
}

function fileText(style: Style, file: FileOutcome): string[] {
  const name = file.kind === 'rename' ? `${file.from} -> ${file.path}` : file.path;
  const lines = [`      ${file.kind} ${name}: ${file.status === 'applied' ? file.status : style.yellow(file.status)}`];
  for (const hunk of file.hunks) {
    const text = hunkText(hunk);
    lines.push(
      `        ${hunk.status === 'conflict' ? style.red(text) : hunk.status === 'exact' || hunk.status === 'offset' ? text : style.yellow(text)}`,
    );
    for (const d of hunk.differingLines ?? [])
      lines.push(`          line ${d.line}: expected ${JSON.stringify(d.expected)}, upstream has ${JSON.stringify(d.actual)}`);
  }
  return lines;
}

export function applyText(result: ApplyResult, style: Style): string {
  const lines: string[] = [];
  for (const patch of result.patches) {
    const paint =
      patch.status === 'conflict' ? style.red : patch.status === 'clean' || patch.status === 'offset' ? style.green : style.yellow;
    lines.push(`  ${paint(patch.status.padEnd(15))}  ${patch.name}`);
    for (const file of patch.files) lines.push(...fileText(style, file));
  }
  const count = `${result.patches.length} patch${result.patches.length === 1 ? '' : 'es'}`;
  // A rebase onto the base itself refreshes nothing: there, `sync check` shows what to fix.
  const refresh =
    result.version !== result.base
      ? `refresh the series with \`meshfork sync rebase --to ${result.version}\``
      : 'see where with `meshfork sync check`';
  lines.push(
    result.written
      ? `${style.bold(result.out)}: ${result.upstream} ${result.version} + ${count} (${result.status}; ${result.changedFiles.length} file(s) changed)`
      : style.red(`conflict: nothing written to ${result.out}; ${refresh}, or try --3way or --fuzz N`),
  );
  if (result.written && result.exitCode === 3)
    lines.push(style.yellow(`written, but the series needs a refresh (fuzz, 3-way merge or already-applied patches): ${refresh}`));
  return lines.join('\n');
}

const EXIT_CODES = `
Exit codes:
  0  written; every patch applied exactly or at shifted lines
  1  a conflict: nothing written
  3  written, but needs a refresh: fuzz, 3-way merge, or a patch upstream already contains
  2  usage, config, series, unknown version, version outside "supports", lock mismatch, DIR exists
  4  upstream unreachable, integrity mismatch, corrupt cache, git or npm missing
`;

/** `meshfork apply`: the upstream release plus the series, written atomically into a folder. */
export const registerApply: Registrar = (program, dispatch) => {
  const cmd = program
    .command('apply')
    .description('write an upstream release with the patch series applied into a folder (atomically)')
    .option('--to <version>', 'upstream release to patch (default: the base in meshfork.config.json)')
    .requiredOption('--out <dir>', 'output folder; built beside it and renamed into place')
    .option('--force', 'replace DIR if it exists')
    .option('--fuzz <n>', 'context lines a hunk may ignore (0 = strict)', wholeNumber, 0)
    .option('--3way', 'merge hunks that do not apply with the base release as the merge base')
    .option('--ignore-range', 'allow a release outside "supports"')
    .option('--update-lock', 'accept an identity that differs from meshfork.lock.json (a moved tag) and record it')
    .action((flags: ApplyFlags & { '3way'?: boolean }) =>
      dispatch(async (globals) => {
        const { apply } = await import('../../commands/apply');
        const result = await apply({
          cwd: globals.cwd,
          configFile: globals.config,
          to: flags.to,
          out: flags.out,
          force: flags.force,
          fuzz: flags.fuzz,
          threeWay: Boolean(flags['3way'] ?? flags.threeWay),
          ignoreRange: flags.ignoreRange,
          updateLock: flags.updateLock,
          progress: globals.progress,
        });
        return { exitCode: result.exitCode, json: result, text: applyText(result, makeStyle(globals.color)) };
      }),
    );
  withExamples(cmd, [
    'meshfork apply --out build/meshcentral',
    'meshfork apply --to 1.1.56 --out build/meshcentral --force',
    'meshfork apply --to 1.1.56 --out /tmp/mc --3way',
    'meshfork --json apply --out build/meshcentral | jq .status',
  ]);
  cmd.addHelpText('after', EXIT_CODES);
};
