// Answers --to from the check memo when it remembers these exact inputs; only otherwise loads the engine (syncCheckReleases.ts).
import * as semver from '../util/semver';
import { loadConfig, type LoadedConfig } from '../config/load';
import { MeshforkError } from '../errors';
import { CheckMemo } from '../checkReport/checkMemo';
import { checkReport, type CheckRequest } from '../checkReport/checkRequest';
import type { ReleaseReport, SyncCheckReport } from '../checkReport/schema';
import { recoverPatchesSwap } from '../series/patchesSwap';
import { defaultCacheDir } from '../upstream/cacheDir';
import { normalizeVersion } from '../upstream/version';
import { tracePhase } from '../util/tracePhase';

export interface SyncCheckOptions extends CheckRequest {
  cwd: string;
  configFile?: string;
  cacheDir?: string;
}

function validateOptions(options: SyncCheckOptions): void {
  if (options.to !== undefined && options.all) {
    throw new MeshforkError('USAGE', '--to and --all cannot be used together', {
      hint: 'use --to VERSION for one release, or --all for every newer release in supports',
    });
  }
  const fuzz = options.fuzz ?? 0;
  if (!Number.isInteger(fuzz) || fuzz < 0) {
    throw new MeshforkError('USAGE', `--fuzz: expected a whole number >= 0, got ${String(options.fuzz)}`, {
      hint: 'omit --fuzz for strict checking, or pass e.g. --fuzz 2',
    });
  }
}

/** Only when the release is locked, in range (or --ignore-range) and its inputs are unchanged. */
async function recallTo(memo: CheckMemo, loaded: LoadedConfig, version: string, ignoreRange: boolean): Promise<ReleaseReport | undefined> {
  // Out of range the full check decides between VERSION_OUT_OF_RANGE and VERSION_UNKNOWN.
  if (!ignoreRange && !semver.satisfies(version, loaded.config.supports)) return undefined;
  const identity = await memo.identityOf(version);
  return identity === undefined ? undefined : memo.recall(version, identity);
}

/** Conflicts are data, not errors. With --to the release list is not fetched, so newest is null. */
export async function syncCheck(input: SyncCheckOptions): Promise<SyncCheckReport> {
  validateOptions(input);
  const options = input.to === undefined ? input : { ...input, to: normalizeVersion(input.to, '--to') };
  const loaded = await loadConfig(options.cwd, options.configFile);
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  // An export killed mid-swap leaves the old or the new set beside patches/: the memo reads the finished one.
  await recoverPatchesSwap(loaded.patchesDir);
  const memo = CheckMemo.open(loaded, cacheDir, options.fuzz ?? 0);
  if (memo && options.to !== undefined && !options.recheck) {
    const remembered = await recallTo(memo, loaded, options.to, options.ignoreRange ?? false);
    if (remembered) {
      tracePhase('check:recall');
      return checkReport(loaded, options, [remembered], { kind: 'npm', newest: null, baseChecked: false });
    }
  }
  const { checkReleases } = await import('./syncCheckReleases');
  return checkReleases(options, loaded, cacheDir, memo);
}
