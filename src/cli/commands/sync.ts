import type { Registrar } from '../context';
import { withExamples } from '../help';
import { registerSyncCheck } from './syncCheck';
import { registerSyncRebase } from './syncRebase';

/** `meshfork sync ...`: check, rebase/merge, continue, abort, status, push. */
export const registerSync: Registrar = (program, dispatch) => {
  const sync = program.command('sync').description('follow new upstream releases: check, rebase the series, push the refresh');
  withExamples(sync, ['meshfork sync check', 'meshfork sync rebase --to 1.1.56']);
  sync.addHelpText(
    'after',
    "\nExit codes: each subcommand's --help lists its own (0 success, 1 conflict, 2 usage or input error, 3 needs a refresh, 4 environment).\n",
  );
  registerSyncCheck(sync, dispatch);
  registerSyncRebase(sync, dispatch);
};
