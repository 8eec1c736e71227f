import type { Registrar } from './index';
import { withExamples } from '../help';
import { registerSyncCheck } from './syncCheck';
import { registerSyncRebase } from './syncRebase';

/** `meshfork sync ...`: check, rebase/merge, continue, abort, status, push. */
export const registerSync: Registrar = (program, dispatch) => {
  const sync = program.command('sync').description('follow new upstream releases: check, rebase the series, push the refresh');
  withExamples(sync, ['meshfork sync check', 'meshfork sync rebase --to 1.1.56']);
  registerSyncCheck(sync, dispatch);
  registerSyncRebase(sync, dispatch);
};
