/* The schema of `.meshfork/rebase.json`, apart from rebaseState.ts so zod loads only when the file exists. */
import { z } from 'zod';

export const stepActions = ['applied', 'merged', 'resolved', 'dropped'] as const;
export type StepAction = (typeof stepActions)[number];

export const stepSchema = z.object({
  name: z.string(),
  action: z.enum(stepActions),
  strict: z.string(),
});

export const stateSchema = z.object({
  format: z.literal(1),
  from: z.string(),
  to: z.string(),
  next: z.number().int().min(0),
  stopped: z
    .object({
      index: z.number().int().min(0),
      conflicts: z.array(z.string()),
      head: z.string(),
      /** Files the patch changes that the new release does not have (no markers to resolve there). */
      missing: z.array(z.string()).optional(),
    })
    .optional(),
  steps: z.array(stepSchema),
  /** Workspace HEAD after the last recorded step; a resumed rebase starts from exactly there. */
  head: z.string().optional(),
  finish: z.object({
    commit: z.boolean(),
    branch: z.string().optional(),
    summary: z.string().optional(),
  }),
  savedWorkspace: z.boolean(),
});

/** `.meshfork/rebase.json`: where a `sync rebase` stands, so `continue`/`abort`/`status` can pick it up. */
export type RebaseState = z.infer<typeof stateSchema>;
export type RebaseStep = z.infer<typeof stepSchema>;
