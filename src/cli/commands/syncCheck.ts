import type { Command } from 'commander';
import type { Dispatch } from '../program';

/** Owned by the sync check work (issue 4). */
export function registerSyncCheck(_sync: Command, _dispatch: Dispatch): void {}
