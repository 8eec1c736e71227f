import type { Command } from 'commander';
import type { Dispatch } from '../program';

/** Owned by the edit/rebase work (issue 5): rebase (alias merge), continue, abort, status, push. */
export function registerSyncRebase(_sync: Command, _dispatch: Dispatch): void {}
