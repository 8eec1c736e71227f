import { Command, Option } from 'commander';
import type { Dispatch } from './context';
import { registrars } from './commands';
import { withExamples } from './help';

const EXIT_CODES = `
Exit codes (every command; each command's --help lists its own):
  0  success        1  conflict        2  usage, config or input error
  3  needs a refresh                   4  environment failure         70  a bug in meshfork
`;

/** "meshfork sync check": the words that name a command, for hints. */
export function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/**
 * commander prints no usage errors: main.ts reports them in the one error format, with `onCommand` naming
 * the innermost command for the hint. `only` registers just that top-level command (all when absent or unknown).
 */
export function buildProgram(version: string, dispatch: Dispatch, onCommand: (cmd: Command) => void = () => {}, only?: string): Command {
  const program = new Command('meshfork')
    .description('Maintain a downstream fork of MeshCentral as a versioned series of patch files.')
    .version(version, '-V, --version', 'print the meshfork version')
    .option('-C, --cwd <dir>', 'run as if started in DIR (the project root)')
    .option('--config <file>', 'config file (default: meshfork.config.json in the project root)')
    .option('--json', 'machine-readable output on stdout (nothing else there)')
    .addOption(new Option('-q, --quiet', 'print only errors and the result').conflicts('verbose'))
    .option('-v, --verbose', 'print more detail')
    .showSuggestionAfterError(true)
    .configureHelp({ showGlobalOptions: true })
    .exitOverride();
  withExamples(program, [
    'meshfork sync check',
    'meshfork sync check --all --format markdown',
    'meshfork apply --to 1.1.55 --out build/meshcentral',
    'meshfork --json upstream list',
  ]);
  program.addHelpText('after', EXIT_CODES);
  const named = registrars.filter((r) => r.name === only);
  for (const registrar of named.length > 0 ? named : registrars) registrar.load()(program, dispatch);
  // commander shares one output configuration among all commands: set once, silent.
  program.configureOutput({ outputError: () => {} });
  (function configureDeep(cmd: Command) {
    cmd.exitOverride();
    cmd.showSuggestionAfterError(true);
    // "meshfork series extra" is a typo, not a request: refuse words a command does not take.
    cmd.allowExcessArguments(false);
    if (cmd.commands.length > 0) cmd.hook('preSubcommand', (_parent, sub) => onCommand(sub));
    cmd.commands.forEach(configureDeep);
  })(program);
  return program;
}
