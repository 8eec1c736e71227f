import path from 'node:path';
import { ExitCode } from '../../errors';
import { withExamples } from '../help';
import type { Registrar } from '../context';

/** `meshfork export`: the workspace commits back into patches/. */
export const registerExport: Registrar = (program, dispatch) => {
  const cmd = program
    .command('export')
    .description('rewrite patches/ and patches/series from the workspace commits (deterministic; unchanged patches keep every byte)')
    .action(() =>
      dispatch(async (globals) => {
        const { exportCommand } = await import('../../commands/export');
        const result = await exportCommand({ cwd: globals.cwd, configFile: globals.config });
        const dir = path.relative(globals.cwd, result.patchesDir) || '.';
        const changed = result.written.length + result.removed.length + (result.seriesChanged ? 1 : 0);
        const lines = [
          changed === 0
            ? `${dir}/ is up to date: ${result.patches.length} patch(es), nothing changed.`
            : `Exported ${result.patches.length} patch(es) to ${dir}/ (Meshfork-Base ${result.version}): ${result.written.length} written, ${result.unchanged.length} unchanged, ${result.removed.length} removed${result.seriesChanged ? ', series updated' : ''}.`,
        ];
        for (const name of result.written) lines.push(`  written  ${name}`);
        for (const name of result.removed) lines.push(`  removed  ${name}`);
        // the files folder (config "files"): new files written back as files
        const files = result.files;
        if (files && files.written.length + files.removed.length > 0) {
          lines.push(`Files: ${files.written.length} written, ${files.unchanged.length} unchanged, ${files.removed.length} removed.`);
          for (const name of files.written) lines.push(`  written  ${name}`);
          for (const name of files.removed) lines.push(`  removed  ${name}`);
        }
        const filesChanged = files !== undefined && files.written.length + files.removed.length > 0;
        if (changed > 0 || filesChanged)
          lines.push(
            '',
            `Review with \`git diff -- ${dir}${filesChanged ? ` ${path.relative(globals.cwd, result.filesDir ?? '') || '.'}` : ''}\`, then commit.`,
          );
        return { exitCode: ExitCode.ok, json: { schemaVersion: 1, ...result }, text: lines.join('\n') };
      }),
    );
  withExamples(cmd, ['meshfork export', 'meshfork export && git diff --stat -- patches', 'meshfork --json export | jq .written']);
  cmd.addHelpText(
    'after',
    `
Exit codes:
  0  exported (or nothing to change)
  2  no workspace, uncommitted changes in it, a rebase in progress, or the workspace is not on the base
`,
  );
};
