import type { Command } from 'commander';
import type { ExitCode } from '../errors';
import type { ProgressSink } from '../util/progress';

/** Options shared by every command, after commander has parsed them. */
export interface GlobalOptions {
  cwd: string;
  config?: string;
  json: boolean;
  quiet: boolean;
  verbose: boolean;
  color: boolean;
  /** Progress for long work; a no-op sink unless stderr is a terminal and output is for people. */
  progress: ProgressSink;
}

/** What a command hands back to the entry point, which alone prints and exits. */
export interface CommandOutcome {
  exitCode: ExitCode;
  /** Printed as JSON on stdout with --json. */
  json: unknown;
  /** Printed on stdout otherwise (unless empty). */
  text: string;
  /** With -q: printed instead of `text`, whatever the exit code (a command's one-line verdict). */
  quietText?: string;
}

export type CommandRunner = (globals: GlobalOptions) => Promise<CommandOutcome>;

/** Called by a command's action with the function that runs it; main.ts runs it after parsing. */
export type Dispatch = (runner: CommandRunner) => void;

/** Wires one top-level command's flags into the program (one per file in cli/commands). */
export type Registrar = (program: Command, dispatch: Dispatch) => void;
