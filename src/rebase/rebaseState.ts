import { MeshforkError } from '../errors';
import { writeFileAtomic } from '../util/atomic';
import { readJsonState, zodCheck } from '../util/jsonState';
import type { RebaseState } from './rebaseSchema';

export type { RebaseState, RebaseStep, StepAction } from './rebaseSchema';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on demand: zod is costly, and edit and export only look whether the file exists
const schema = () => (require('./rebaseSchema') as typeof import('./rebaseSchema')).stateSchema;

export async function readRebaseState(file: string): Promise<RebaseState | undefined> {
  return readJsonState(
    file,
    zodCheck(schema),
    () =>
      new MeshforkError('STATE_INVALID', `${file}: the rebase state is damaged`, {
        hint: 'run `meshfork sync abort` to restore patches/, config and lock from the backup',
      }),
  );
}

export async function writeRebaseState(file: string, state: RebaseState): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(schema().parse(state), null, 2)}\n`);
}

export async function requireRebaseState(file: string): Promise<RebaseState> {
  const state = await readRebaseState(file);
  if (!state) {
    throw new MeshforkError('STATE_INVALID', 'no rebase is in progress', { hint: 'start one with `meshfork sync rebase --to VERSION`' });
  }
  return state;
}

/** Commands that change patches/ refuse while a rebase is stopped. */
export async function assertNoRebase(file: string, what: string): Promise<void> {
  const state = await readRebaseState(file);
  if (state) {
    throw new MeshforkError('STATE_INVALID', `a rebase from ${state.from} to ${state.to} is in progress; ${what} would interfere with it`, {
      hint: 'finish it with `meshfork sync continue`, or undo it with `meshfork sync abort`',
    });
  }
}
