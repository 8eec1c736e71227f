import { z } from 'zod';
import { MeshforkError } from '../errors';
import { writeFileAtomic } from '../util/atomic';
import { readJsonState } from '../util/jsonState';

/** How each patch got onto the new release. */
export const stepActions = ['applied', 'merged', 'resolved', 'dropped'] as const;
export type StepAction = (typeof stepActions)[number];

const stepSchema = z.object({
  name: z.string(),
  action: z.enum(stepActions),
  /** The engine's verdict on the first (strict) attempt: clean, offset, conflict, ... */
  strict: z.string(),
});

const stateSchema = z.object({
  format: z.literal(1),
  from: z.string(),
  to: z.string(),
  /** Index (in the old series) of the next patch to apply. */
  next: z.number().int().min(0),
  /** Set while stopped on a conflict. */
  stopped: z
    .object({
      index: z.number().int().min(0),
      conflicts: z.array(z.string()),
      /** Workspace HEAD before the stopped patch. */
      head: z.string(),
      /** Files the patch changes that the new release does not have (no markers to resolve there). */
      missing: z.array(z.string()).optional(),
    })
    .optional(),
  steps: z.array(stepSchema),
  /** Workspace HEAD after the last recorded step; a resumed rebase starts from exactly there. */
  head: z.string().optional(),
  /** What to do once every patch is in. */
  finish: z.object({
    commit: z.boolean(),
    branch: z.string().optional(),
    summary: z.string().optional(),
  }),
  /** Whether an existing workspace was set aside in the backup (abort puts it back). */
  savedWorkspace: z.boolean(),
});

/** `.meshfork/rebase.json`: where a `sync rebase` stands, so `continue`/`abort`/`status` can pick it up. */
export type RebaseState = z.infer<typeof stateSchema>;
/** One patch done: how it went in, and what the strict attempt said. */
export type RebaseStep = z.infer<typeof stepSchema>;

export async function readRebaseState(file: string): Promise<RebaseState | undefined> {
  return readJsonState(file, stateSchema, () =>
    new MeshforkError('STATE_INVALID', `${file}: the rebase state is damaged`, {
      hint: 'run `meshfork sync abort` to restore patches/, config and lock from the backup',
    }),
  );
}

export async function writeRebaseState(file: string, state: RebaseState): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(stateSchema.parse(state), null, 2)}\n`);
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
