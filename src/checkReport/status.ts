import { ExitCode } from '../errors';
import type { PatchStatus, StatusCounts } from './schema';

/** Worst first: a report's status is the first of these that any patch has. */
export const STATUS_SEVERITY: readonly PatchStatus[] = ['conflict', 'needs-refresh', 'already-applied', 'offset', 'clean'];

export function worstStatus(statuses: Iterable<PatchStatus>): PatchStatus {
  let worst = STATUS_SEVERITY.length - 1;
  for (const status of statuses) worst = Math.min(worst, STATUS_SEVERITY.indexOf(status));
  return STATUS_SEVERITY[worst];
}

/** The documented exit code of a check result: 0 applies, 1 conflict, 3 needs a refresh. */
export function exitCodeFor(status: PatchStatus): 0 | 1 | 3 {
  switch (status) {
    case 'clean':
    case 'offset':
      return ExitCode.ok;
    case 'conflict':
      return ExitCode.conflict;
    case 'needs-refresh':
    case 'already-applied':
      return ExitCode.needsRefresh;
  }
}

export function countStatuses(statuses: Iterable<PatchStatus>): StatusCounts {
  const counts: StatusCounts = { clean: 0, offset: 0, 'needs-refresh': 0, conflict: 0, 'already-applied': 0 };
  for (const status of statuses) counts[status] += 1;
  return counts;
}

/** Statuses that need the developer's attention; only these get details in text and markdown. */
export function needsAttention(status: PatchStatus): boolean {
  return status !== 'clean' && status !== 'offset';
}
