import path from 'node:path';
import { readFileSync } from 'node:fs';
import { CommanderError } from 'commander';
import { diskFullError, ExitCode, isMeshforkError } from '../errors';
import { buildProgram } from './program';
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

export async function run(argv: string[]): Promise<number> {
  let runner: CommandRunner | undefined;
  const program = buildProgram(packageVersion(), (r) => {
    runner = r;
  });
  let globals: GlobalOptions | undefined;
  try {
    await program.parseAsync(argv);
    if (!runner) {
      program.outputHelp();
      return ExitCode.usage;
    }
    globals = resolveGlobals(program.opts<RawGlobals>(), process.env);
    const outcome = await runner(globals);
    if (globals.json) process.stdout.write(`${JSON.stringify(outcome.json, null, 2)}\n`);
    else if (outcome.text && !(globals.quiet && outcome.exitCode === ExitCode.ok)) process.stdout.write(outcome.text.endsWith('\n') ? outcome.text : `${outcome.text}\n`);
    return outcome.exitCode;
  } catch (error) {
    return reportError(error, globals ?? resolveGlobals(program.opts<RawGlobals>(), process.env));
  }
}

function reportError(thrown: unknown, globals: GlobalOptions): number {
  const error = diskFullError(thrown) ?? thrown;
  const style = makeStyle(colorEnabled(process.stderr, process.env) && !globals.json);
  if (error instanceof CommanderError) {
    // --help and --version arrive here with exit code 0.
    if (error.exitCode === 0) return ExitCode.ok;
    if (globals.json) process.stdout.write(`${JSON.stringify({ error: { code: 'USAGE', message: error.message.replace(/^error: /, '') } }, null, 2)}\n`);
    return ExitCode.usage;
  }
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
  const stack = error instanceof Error ? error.stack ?? error.message : String(error);
  process.stderr.write(`${style.red('internal error')}: this is a bug in meshfork; please report it with the output below.\n${stack}\n`);
  return ExitCode.bug;
}
