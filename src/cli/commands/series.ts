import path from 'node:path';
import { ExitCode } from '../../errors';
import { withExamples } from '../help';
import type { Registrar } from '../context';

export const registerSeries: Registrar = (program, dispatch) => {
  const cmd = program
    .command('series')
    .description('validate the config and the patch series, and list the patches in order')
    .action(() =>
      dispatch(async (globals) => {
        const { seriesCommand } = await import('../../commands/series');
        const summary = await seriesCommand({ cwd: globals.cwd, configFile: globals.config });
        const rel = path.relative(globals.cwd, summary.patchesDir) || '.';
        const lines = [
          `${summary.patches.length} patch(es) in ${rel}/series for base ${summary.base}, parsed; not applied to upstream (run \`meshfork verify\` or \`meshfork sync check\`):`,
        ];
        if (summary.newFiles)
          lines.push(
            `  0. ${summary.newFiles.folder}  ${summary.newFiles.paths.length} new file(s), created before the patches${globals.verbose ? `: ${summary.newFiles.paths.join(', ')}` : ''}`,
          );
        summary.patches.forEach((p, i) => {
          lines.push(`${String(i + 1).padStart(3)}. ${p.name}  ${p.subject}`);
          if (globals.verbose) {
            for (const f of p.files)
              lines.push(
                `       ${f.kind.padEnd(6)} ${f.from ? `${f.from} -> ` : ''}${f.path} (${f.hunks} hunk${f.hunks === 1 ? '' : 's'})`,
              );
            lines.push(`       Upstream-Status: ${p.upstreamStatus ?? '(none)'}; Meshfork-Base: ${p.meshforkBase ?? '(none)'}`);
          }
        });
        for (const warning of summary.warnings) lines.push(`warning: ${warning}`);
        return { exitCode: ExitCode.ok, json: { schemaVersion: 1, ...summary }, text: lines.join('\n') };
      }),
    );
  withExamples(cmd, ['meshfork series', 'meshfork series --verbose', 'meshfork --json series']);
  cmd.addHelpText(
    'after',
    '\nExit codes:\n  0  the config and every patch are valid\n  2  config, series or patch error (error[CODE]: file:line: message)\n',
  );
};
