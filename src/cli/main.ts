import path from 'node:path';
import { readFileSync } from 'node:fs';
import { CommanderError, type Command } from 'commander';
import { diskFullError, ExitCode, isMeshforkError, MeshforkError } from '../errors';
import { buildProgram, commandPath } from './program';
import type { CommandRunner, GlobalOptions } from './context';
import { colorEnabled, makeStyle } from './style';
import { terminalProgress } from './progressRenderer';

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

interface RawGlobals {
  cwd?: string;
  config?: string;
  json?: boolean;
  quiet?: boolean;
  verbose?: boolean;
}

function resolveGlobals(raw: RawGlobals, env: NodeJS.ProcessEnv): GlobalOptions {
  const json = Boolean(raw.json);
  const forPeople = !json && !raw.quiet && !env.CI;
  return {
    cwd: path.resolve(raw.cwd ?? process.cwd()),
    config: raw.config,
    json,
    quiet: Boolean(raw.quiet),
    verbose: Boolean(raw.verbose),
    color: !json && colorEnabled(process.stdout, env),
    progress: terminalProgress(process.stderr, forPeople),
  };
}

/** The only place that prints results and exits. */
export async function main(argv: string[]): Promise<void> {
  // `meshfork ... | head` closes the pipe early: that is the reader's choice, not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
  const exitCode = await run(argv);
  process.exitCode = exitCode;
}

/** Global options that take a value: `help` is found after them. */
const VALUE_OPTIONS = new Set(['-C', '--cwd', '--config']);

/** `meshfork help sync check` -> `meshfork sync check --help` (commander's help looks one level deep). */
export function rewriteHelp(argv: string[]): string[] {
  const args = argv.slice(2);
  const i = firstWord(args);
  if (args[i] !== 'help' || i + 1 >= args.length) return argv;
  return [...argv.slice(0, 2), ...args.slice(0, i), ...args.slice(i + 1), '--help'];
}

/** Index of the first argument that is not a global option or its value. */
function firstWord(args: string[]): number {
  let i = 0;
  while (i < args.length && args[i].startsWith('-')) i += VALUE_OPTIONS.has(args[i]) ? 2 : 1;
  return i;
}

/** The top-level command argv names (after rewriteHelp), if any: buildProgram registers only it. */
export function commandWord(argv: string[]): string | undefined {
  const args = argv.slice(2);
  return args[firstWord(args)];
}

export async function run(argv: string[]): Promise<number> {
  let runner: CommandRunner | undefined;
  let failedCommand: Command | undefined;
  const args = rewriteHelp(argv);
  const program = buildProgram(
    packageVersion(),
    (r) => {
      runner = r;
    },
    (cmd) => {
      failedCommand = cmd;
    },
    commandWord(args),
  );
  let globals: GlobalOptions | undefined;
  try {
    await program.parseAsync(args);
    if (!runner) {
      program.outputHelp();
      return ExitCode.usage;
    }
    globals = resolveGlobals(program.opts<RawGlobals>(), process.env);
    const outcome = await runner(globals);
    if (globals.json) process.stdout.write(`${JSON.stringify(outcome.json, null, 2)}\n`);
    else if (globals.quiet && outcome.quietText !== undefined) process.stdout.write(`${outcome.quietText}\n`);
    else if (outcome.text && !(globals.quiet && outcome.exitCode === ExitCode.ok))
      process.stdout.write(outcome.text.endsWith('\n') ? outcome.text : `${outcome.text}\n`);
    return outcome.exitCode;
  } catch (error) {
    return reportError(usageError(error, failedCommand ?? program), globals ?? resolveGlobals(program.opts<RawGlobals>(), process.env));
  }
}

/** A commander parse error as a MeshforkError (USAGE) whose hint names the failing command's help. */
function usageError(error: unknown, cmd: Command): unknown {
  // --help and --version arrive as CommanderError with exit code 0: not an error.
  if (!(error instanceof CommanderError) || error.exitCode === 0) return error;
  // A command group run without its subcommand has printed its help already (on stderr).
  const message =
    error.code === 'commander.help'
      ? `\`${commandPath(cmd)}\` needs a command (listed above)`
      : error.message.replace(/^error: /, '').replace(/\n\(Did you mean .*\)$/s, '');
  const suggestion = /\(Did you mean (.*)\?\)/.exec(error.message)?.[1];
  const help = `run \`${commandPath(cmd)} --help\` for the options`;
  return new MeshforkError('USAGE', message, { hint: suggestion ? `Did you mean ${suggestion}? Or ${help}` : help });
}

function reportError(thrown: unknown, globals: GlobalOptions): number {
  const error = diskFullError(thrown) ?? thrown;
  const style = makeStyle(colorEnabled(process.stderr, process.env) && !globals.json);
  if (error instanceof CommanderError) return ExitCode.ok;
  if (isMeshforkError(error)) {
    if (globals.json) {
      const body = { error: { code: error.code, message: error.message, hint: error.hint, ...(error.details ?? {}) } };
      process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
    }
    process.stderr.write(`${style.red(`error[${error.code}]`)}: ${error.message}\n`);
    if (error.hint) process.stderr.write(`${style.dim('hint')}: ${error.hint}\n`);
    if (globals.verbose && error.cause) process.stderr.write(`cause: ${String(error.cause)}\n`);
    return error.exitCode;
  }
  const stack = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`${style.red('internal error')}: this is a bug in meshfork; please report it with the output below.\n${stack}\n`);
  return ExitCode.bug;
}
