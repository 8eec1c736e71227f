import path from 'node:path';
import { ExitCode } from '../../errors';
import { withExamples } from '../help';
import type { Registrar } from '../context';

/** `meshfork edit`: the series as commits in the git workspace .meshfork/work. */
export const registerEdit: Registrar = (program, dispatch) => {
  const cmd = program
    .command('edit')
    .description('create the git workspace .meshfork/work: the upstream release plus one commit per patch, ready to edit')
    .option('--at <version>', "build on this release instead of the config's base (the patches must apply strictly)")
    .option('--ignore-range', 'allow --at a release outside "supports"')
    .option('--force', 'replace a workspace whose work is not exported yet')
    .action((flags: { at?: string; ignoreRange?: boolean; force?: boolean }) =>
      dispatch(async (globals) => {
        const { edit } = await import('../../commands/edit');
        const result = await edit({
          cwd: globals.cwd,
          configFile: globals.config,
          at: flags.at,
          ignoreRange: flags.ignoreRange,
          force: flags.force,
          progress: globals.progress,
        });
        const dir = path.relative(globals.cwd, result.workDir) || '.';
        const lines = [`Workspace ready in ${dir}: upstream ${result.version} plus ${result.patches.length} patch commit(s):`];
        result.patches.forEach((p, i) => lines.push(`${String(i + 1).padStart(3)}. ${p.commit.slice(0, 10)} ${p.subject}`));
        lines.push(
          '',
          'Work there with git (its upstream commit is tagged "upstream"):',
          `  cd ${dir}`,
          '  git commit --amend              # change the last patch',
          '  git commit --fixup=COMMIT       # change an earlier patch, then: git rebase -i --autosquash upstream',
          '  git commit                      # a new commit becomes a new patch, in that place in the series',
          '  git rebase -i upstream          # reorder, reword (renames the patch file), squash or drop patches',
          'Then write the series back to patches/:',
          '  meshfork export',
        );
        if (result.version !== result.base)
          lines.push(
            '',
            `Note: the workspace is on ${result.version}, not the base ${result.base}; export refuses until the series is moved (meshfork sync rebase --to ${result.version}).`,
          );
        return { exitCode: ExitCode.ok, json: { schemaVersion: 1, ...result }, text: lines.join('\n') };
      }),
    );
  withExamples(cmd, [
    'meshfork edit',
    'meshfork edit --at 1.1.51',
    'meshfork edit --force && cd .meshfork/work && git log --oneline upstream..',
  ]);
  cmd.addHelpText(
    'after',
    `
Exit codes:
  0  workspace created
  1  a patch does not apply strictly to the release (use \`meshfork sync rebase --to VERSION\`)
  2  config, series or version error; or the workspace holds unexported work (--force replaces it)
  4  environment: upstream unreachable, integrity mismatch, git missing
`,
  );
};
