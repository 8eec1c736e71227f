/** Why a dropped patch is gone (kept apart from summary.ts so the CLI can word it without loading the diff code). */
export type DropReason = 'upstream-contains' | 'skipped' | 'no-change';

const DROP_WORDS: Record<DropReason, string> = {
  'upstream-contains': 'upstream already contains it',
  skipped: 'skipped by hand (sync continue --skip)',
  'no-change': 'it changed nothing on the new release',
};

export function dropWords(reason: DropReason | undefined): string {
  return reason ? DROP_WORDS[reason] : '';
}
