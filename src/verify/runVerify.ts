/*
 * `meshfork verify`: every check in a fixed order. A check whose input is missing (the config did not
 * load, an earlier patch did not apply) is reported skipped with the reason, never silently left out.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { filesFolder, type LoadedConfig } from '../config/load';
import { isMeshforkError } from '../errors';
import { SERIES_FILE } from '../series/seriesFile';
import { openUpstream, type Upstream } from '../upstream';
import { silentProgress, type ProgressSink } from '../util/progress';
import { checkApplies, type AppliesCheck } from './checkApplies';
import { checkConfig } from './checkConfig';
import { checkHeaders } from './checkHeaders';
import { checkImageAssets } from './checkImageAssets';
import { checkPackageJson, checkPatchedJs } from './checkPatchedFiles';
import { checkPolicy } from './checkPolicy';
import { checkUpToDate } from './checkUpToDate';
import { failureKindOf, problemFromError } from './problems';
import { checkSeries } from './seriesState';
import { runSmoke, type SmokeOptions } from './smoke/runSmoke';
import { CHECK_TITLES, exitCodeOf, type CheckId, type CheckResult, type FailureKind, type Problem, type VerifyReport } from './types';

export interface VerifyOptions {
  cwd: string;
  configFile?: string;
  /** Also start the patched MeshCentral and run the project's smoke script against it (--smoke). */
  smoke?: boolean;
  /** Environment the smoke script runs with (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Where render-config.js and sample.env are (default: the config's image.assets). */
  assetsDir?: string;
  cacheDir?: string;
  progress?: ProgressSink;
  /** Writes the patched base release into a folder, for --smoke (the command layer passes `meshfork apply`). */
  buildTree?: SmokeOptions['buildTree'];
  smokeStartTimeoutMs?: number;
  /** node_modules cache of the smoke test (default: meshcentral-modules in the upstream cache). */
  modulesDir?: string;
}

function result(id: CheckId, problems: Problem[], kind: FailureKind): CheckResult {
  return problems.length
    ? { id, title: CHECK_TITLES[id], status: 'fail', kind, problems }
    : { id, title: CHECK_TITLES[id], status: 'pass', problems: [] };
}

function skipped(id: CheckId, reason: string): CheckResult {
  return { id, title: CHECK_TITLES[id], status: 'skip', reason, problems: [] };
}

export async function runVerify(options: VerifyOptions): Promise<VerifyReport> {
  const progress = options.progress ?? silentProgress;
  const checks: CheckResult[] = [];
  const add = (check: CheckResult) => {
    checks.push(check);
    return check;
  };
  const report = (base: string | null): VerifyReport => {
    const exitCode = exitCodeOf(checks);
    return { schemaVersion: 1, base, ok: exitCode === 0, exitCode, checks };
  };
  const assets = async (loaded?: LoadedConfig) => {
    const configured = loaded?.config.image.assets;
    const dir = options.assetsDir ?? (configured !== undefined && loaded ? path.resolve(loaded.root, configured) : undefined);
    if (dir === undefined) {
      add(skipped('image-assets', loaded ? 'no image assets configured (image.assets)' : 'the config did not load'));
      return;
    }
    const problems = await checkImageAssets(dir, path.resolve(options.cwd));
    add(
      problems === undefined
        ? skipped(
            'image-assets',
            `no image assets (${path.relative(path.resolve(options.cwd), dir) || '.'}/render-config.js and sample.env)`,
          )
        : result('image-assets', problems, 'broken'),
    );
  };
  const skipRest = (from: CheckId, reason: string) => {
    const ids: CheckId[] = [
      'series',
      'patch-headers',
      'patch-policy',
      'applies-strictly',
      'up-to-date',
      'patched-js-parses',
      'patched-package-json',
    ];
    for (const id of ids.slice(ids.indexOf(from))) add(skipped(id, reason));
  };

  const config = await checkConfig(options.cwd, options.configFile);
  add(result('config', config.problems, config.kind ?? 'input'));
  const loaded = config.loaded;
  if (!loaded) {
    skipRest('series', 'the config did not load');
    await assets();
    add(skipped('smoke', options.smoke ? 'the config did not load' : 'not asked for (--smoke)'));
    return report(null);
  }
  const root = loaded.root;
  const patchesRel = path.relative(root, loaded.patchesDir) || '.';
  const base = loaded.config.base;

  const series = await checkSeries(loaded.patchesDir, root, filesFolder(loaded));
  add(result('series', series.problems, series.kind ?? 'input'));
  let applies: AppliesCheck | undefined;
  if (!series.series) {
    skipRest('patch-headers', 'the series did not load');
  } else {
    add(result('patch-headers', checkHeaders(series.patches, patchesRel), 'input'));
    add(result('patch-policy', checkPolicy(series.patches, patchesRel, loaded.config.policy.allowGenerated), 'broken'));
    if (!config.lockOk) skipRest('applies-strictly', `the base ${base} is not pinned in meshfork.lock.json`);
    else {
      let upstream: Upstream | undefined;
      try {
        upstream = await openUpstream(loaded, { cacheDir: options.cacheDir, progress });
        applies = await checkApplies(series.patches, upstream.reader(base), patchesRel, base, series.series.files);
        add(result('applies-strictly', applies.problems, applies.kind ?? 'broken'));
      } catch (error) {
        if (isMeshforkError(error) && error.code === 'LOCK_MISMATCH') {
          // The lock is part of the config check: it did not pass after all.
          checks[checks.findIndex((c) => c.id === 'config')] = result('config', [problemFromError(error, root)], 'input');
          add(skipped('applies-strictly', 'meshfork.lock.json does not match upstream (see config)'));
        } else add(result('applies-strictly', [problemFromError(error, root)], failureKindOf(error)));
        applies = undefined;
      } finally {
        upstream?.close();
      }
      if (!applies) skipRest('up-to-date', 'the base release could not be read');
      else {
        const complete = applies.tree !== undefined;
        const why = 'the series does not apply strictly to the base';
        if (!complete) add(skipped('up-to-date', why));
        else {
          const seriesText = (await fs.readFile(path.join(loaded.patchesDir, SERIES_FILE))).toString('latin1');
          add(result('up-to-date', checkUpToDate(series.patches, applies.applied, seriesText, base, patchesRel), 'refresh'));
        }
        if (!applies.tree) {
          add(skipped('patched-js-parses', why));
          add(skipped('patched-package-json', why));
        } else {
          add(result('patched-js-parses', await checkPatchedJs(applies.tree, applies.applied, applies.files), 'broken'));
          add(result('patched-package-json', checkPackageJson(applies.tree, applies.applied), 'broken'));
        }
      }
    }
  }
  await assets(loaded);

  if (!options.smoke) add(skipped('smoke', 'not asked for (--smoke)'));
  else if (checks.some((c) => c.status === 'fail')) add(skipped('smoke', 'an earlier check failed'));
  else {
    if (!options.buildTree) throw new Error('verify --smoke needs buildTree (a bug in meshfork)');
    try {
      const smoke = {
        env: options.env ?? process.env,
        buildTree: options.buildTree,
        cacheDir: options.cacheDir,
        modulesDir: options.modulesDir,
        progress,
        startTimeoutMs: options.smokeStartTimeoutMs,
      };
      const found = await runSmoke(loaded, smoke);
      add(result('smoke', found.problems, found.kind ?? 'broken'));
    } catch (error) {
      add(result('smoke', [problemFromError(error, root)], failureKindOf(error)));
    }
  }
  return report(base);
}
