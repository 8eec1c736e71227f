import type { Registrar } from '../context';

/*
 * Every top-level command's flag wiring, in the order --help lists them. Add one entry per command
 * file. Each file is required when its registrar is asked for: a run that names its command
 * (`meshfork export`) loads that one file, `--help` and a mistyped command load them all.
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
// require(), not import(): buildProgram is synchronous, and each file is loaded only when asked for
/* eslint-disable @typescript-eslint/no-require-imports -- as said above */
export const registrars: { name: string; load: () => Registrar }[] = [
  { name: 'series', load: () => (require('./series') as typeof import('./series')).registerSeries },
  { name: 'sync', load: () => (require('./sync') as typeof import('./sync')).registerSync },
  { name: 'edit', load: () => (require('./edit') as typeof import('./edit')).registerEdit },
  { name: 'export', load: () => (require('./export') as typeof import('./export')).registerExport },
  { name: 'upstream', load: () => (require('./upstream') as typeof import('./upstream')).registerUpstream },
  { name: 'apply', load: () => (require('./apply') as typeof import('./apply')).registerApply },
  { name: 'build', load: () => (require('./build') as typeof import('./build')).registerBuild },
  { name: 'import', load: () => (require('./import') as typeof import('./import')).registerImport },
  { name: 'verify', load: () => (require('./verify') as typeof import('./verify')).registerVerify },
];
/* eslint-enable @typescript-eslint/no-require-imports */
