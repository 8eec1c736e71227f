import { InvalidArgumentError, Option, type Command } from 'commander';
import { withExamples } from '../help';
import type { Dispatch } from '../context';
import { makeStyle } from '../style';

interface SyncCheckFlags {
  to?: string;
  all?: boolean;
  format: 'text' | 'markdown';
  ignoreRange?: boolean;
  fuzz: number;
  recheck?: boolean;
}

function wholeNumber(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a whole number >= 0');
  return Number(value);
}

const EXIT_CODES = `
Exit codes:
  0  every patch applies (clean, or at shifted lines); with nothing newer, to the base itself
  1  at least one patch conflicts (also against the base itself when nothing is newer)
  3  applies but needs a refresh: fuzz, 3-way merge, or a patch upstream already contains
  2  usage, config, series or version error (e.g. --to outside supports without --ignore-range; NO_RELEASES, BASE_UNKNOWN)
  4  environment: upstream unreachable, integrity mismatch, git or npm failing
`;

/** `meshfork sync check`: the compatibility report for newer upstream releases. */
export function registerSyncCheck(sync: Command, dispatch: Dispatch): void {
  const cmd = sync
    .command('check')
    .description('report whether the patch series applies to newer upstream releases, and where it does not')
    .addOption(new Option('--to <version>', 'check this release (default: the newest in supports newer than the base)').conflicts('all'))
    .option('--all', 'check every release in supports newer than the base (a release x patch matrix)')
    .addOption(new Option('--format <format>', 'human output format').choices(['text', 'markdown']).default('text'))
    .option('--ignore-range', 'allow --to a release outside "supports"')
    .option('--fuzz <n>', 'context lines a hunk may ignore (0 = strict)', wholeNumber, 0)
    .option('--recheck', 'check every release again, not reusing a report remembered for the same inputs')
    .action((flags: SyncCheckFlags) =>
      dispatch(async (globals) => {
        // Loaded on use, so other commands do not pay for the report modules (and a remembered check not for the engine).
        const [{ syncCheck }, { renderMarkdown }, { renderText }] = await Promise.all([
          import('../../commands/syncCheck'),
          import('../../checkReport/markdown'),
          import('../../checkReport/text'),
        ]);
        const report = await syncCheck({
          cwd: globals.cwd,
          configFile: globals.config,
          to: flags.to,
          all: flags.all,
          ignoreRange: flags.ignoreRange,
          fuzz: flags.fuzz,
          recheck: flags.recheck,
          progress: globals.progress,
        });
        const text = flags.format === 'markdown' ? renderMarkdown(report) : renderText(report, makeStyle(globals.color));
        // -q keeps the verdict: the text's last line before "Next:", Markdown's summary line.
        const lines = text.trimEnd().split('\n');
        const quietText = flags.format === 'markdown' ? lines[0] : (lines.filter((l) => !l.startsWith('Next: ')).at(-1) ?? '');
        return { exitCode: report.exitCode, json: report, text, quietText };
      }),
    );
  withExamples(cmd, [
    'meshfork sync check',
    'meshfork sync check --to 1.1.56',
    'meshfork sync check --all --format markdown > sync-report.md',
    'meshfork sync check --json | jq .status',
    'meshfork sync check --to 0.7.99 --ignore-range',
    'meshfork sync check --to 1.1.56 --recheck',
  ]);
  cmd.addHelpText('after', EXIT_CODES);
}
