import type { Registrar } from '../context';

/*
 * Every top-level command, in --help order. A registrar loads only commander and its own formatting and
 * import()s its command inside the action, so start-up stays fast (test/integration/startup.test.ts).
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
