import { Command, Option } from 'commander';
import type { CommandRunner } from './context';
import { registrars } from './commands';
import { withExamples } from './help';

/** Called by a command's action with the function that runs it; main.ts runs it after parsing. */
export type Dispatch = (runner: CommandRunner) => void;

export function buildProgram(version: string, dispatch: Dispatch): Command {
  const program = new Command('meshfork')
    .description('Maintain a downstream fork of MeshCentral as a versioned series of patch files.')
    .version(version, '-V, --version', 'print the meshfork version')
    .option('-C, --cwd <dir>', 'run as if started in DIR (the project root)')
    .option('--config <file>', 'config file (default: meshfork.config.json in the project root)')
    .option('--json', 'machine-readable output on stdout (nothing else there)')
    .addOption(new Option('-q, --quiet', 'print only errors and the result').conflicts('verbose'))
    .option('-v, --verbose', 'print more detail')
    .showSuggestionAfterError(true)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  withExamples(program, [
    'meshfork sync check',
    'meshfork sync check --all --format markdown',
    'meshfork apply --to 1.1.55 --out build/meshcentral',
    'meshfork --json upstream list',
  ]);
  for (const register of registrars) register(program, dispatch);
  program.commands.forEach(function exitOverrideDeep(cmd: Command) {
    cmd.exitOverride();
    cmd.showSuggestionAfterError(true);
    cmd.commands.forEach(exitOverrideDeep);
  });
  return program;
}
