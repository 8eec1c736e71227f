import type { Command } from 'commander';
import type { Dispatch } from '../program';
import { registerApply } from './apply';
import { registerBuild } from './build';
import { registerEdit } from './edit';
import { registerExport } from './export';
import { registerImport } from './import';
import { registerSeries } from './series';
import { registerSync } from './sync';
import { registerUpstream } from './upstream';
import { registerVerify } from './verify';

export type Registrar = (program: Command, dispatch: Dispatch) => void;

/*
 * Every top-level command's flag wiring. Add one import and one entry per command file.
 *
 * Start-up stays fast because these files load only commander and their own formatting: a
 * registrar never imports its command's implementation at the top. It imports it inside the
 * action, so `--version`, `--help` and every other command do not pay for it:
 *
 *   import type { BuildResult } from '../../commands/build';   // types only: erased at compile time
 *   ...
 *   .action((flags: BuildFlags) =>
 *     dispatch(async (globals) => {
 *       const { build } = await import('../../commands/build');
 *       const result = await build({ cwd: globals.cwd, ... });
 *       return { exitCode: ..., json: result, text: buildText(result) };
 *     }),
 *   );
 *
 * test/integration/startup.test.ts fails when a registrar loads more than commander at start-up.
 */
export const registrars: Registrar[] = [registerSeries, registerSync, registerEdit, registerExport, registerUpstream, registerApply, registerBuild, registerImport, registerVerify];
