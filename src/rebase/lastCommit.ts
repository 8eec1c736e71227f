// What sync rebase --commit made, so sync push pushes that branch and nothing else.
import path from 'node:path';
import { z } from 'zod';
import { MeshforkError } from '../errors';
import { writeFileAtomic } from '../util/atomic';
import { readJsonState, zodCheck } from '../util/jsonState';
import type { StatePaths } from '../project/paths';

const recordSchema = z.object({ branch: z.string().min(1), id: z.string().min(1), from: z.string(), to: z.string() }).strict();

export type CommitRecord = z.infer<typeof recordSchema>;

function recordFile(layout: StatePaths): string {
  return path.join(layout.stateDir, 'last-commit.json');
}

export async function recordCommit(layout: StatePaths, record: CommitRecord): Promise<void> {
  await writeFileAtomic(recordFile(layout), `${JSON.stringify(recordSchema.parse(record), null, 2)}\n`);
}

export async function readCommitRecord(layout: StatePaths): Promise<CommitRecord | undefined> {
  const file = recordFile(layout);
  return readJsonState(
    file,
    zodCheck(() => recordSchema),
    () =>
      new MeshforkError('STATE_INVALID', `${file}: damaged`, {
        hint: `delete ${file} and name the branch with \`meshfork sync push --branch NAME\``,
      }),
  );
}
