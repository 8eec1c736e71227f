// Nothing is written until the proof holds: the new series on the release gives the fork's tree byte for byte.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import semver from 'semver';
import { filesFolder, loadConfig } from '../config/load';
import { MeshforkError } from '../errors';
import { appendPatches } from '../import/appendPatches';
import {
  authorDates,
  baseCommit,
  cloneFork,
  forkVersion,
  linearize,
  pathsIn,
  treeOfFolder,
  withoutPaths,
  type Linearized,
  type SquashBy,
} from '../import/forkHistory';
import { headerGaps, type HeaderGap } from '../import/headerGaps';
import { forkFiles } from '../import/forkFiles';
import { proveSeries } from '../import/proveFork';
import { newFilesPatch } from '../series/newFiles';
import { splitNewFiles, writeNewFiles } from '../workspace/newFilesExport';
import { loadSeries } from '../series/load';
import { parsePatch } from '../series/parse';
import { assertInRange, openUpstream } from '../upstream';
import { listPatchCommits } from '../workspace/commits';
import { setBaseInConfigText } from '../project/configText';
import { planExport } from '../workspace/exportPlan';
import { projectLayout } from '../project/layout';
import { withProjectLock } from '../project/projectLock';
import { writeFileAtomic } from '../util/atomic';
import { tracePhase } from '../util/tracePhase';

export interface ImportForkOptions {
  cwd: string;
  configFile?: string;
  from: string;
  ref?: string;
  /** Default: the version in the fork's package.json. */
  onto?: string;
  squashBy?: SquashBy;
  cacheDir?: string;
}

export interface ImportForkResult {
  patchesDir: string;
  version: string;
  commit: string;
  how: Linearized['mode'];
  conflicts: number;
  folded: boolean;
  /** True when release + series reproduce the fork; only then was anything written. */
  proved: boolean;
  differing: string[];
  patches: { name: string; subject: string }[];
  leftOut: string[];
  toComplete: HeaderGap[];
  files?: string[];
  baseChanged: boolean;
}

export async function importFork(options: ImportForkOptions): Promise<ImportForkResult> {
  const loaded = await loadConfig(options.cwd, options.configFile);
  const layout = projectLayout(loaded);
  return withProjectLock(layout, async () => {
    const existing = await loadSeries(loaded.patchesDir).catch((error: unknown) => {
      if (error instanceof MeshforkError && error.details?.missing !== undefined) return undefined;
      throw error;
    });
    if (existing && existing.entries.length > 0) {
      throw new MeshforkError(
        'USAGE',
        `${loaded.patchesDir} already holds ${existing.entries.length} patch(es); import fork writes a whole new series`,
        { hint: 'run it in a project whose patches/series is empty, or use `meshfork import mbox` to add patches' },
      );
    }
    const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'meshfork-import-'));
    const upstream = await openUpstream(loaded, { cacheDir: options.cacheDir });
    try {
      const clone = path.join(scratch, 'fork');
      const from = /^[a-z][a-z0-9+.-]*:/i.test(options.from) ? options.from : path.resolve(options.cwd, options.from);
      const commit = await cloneFork(from, options.ref, clone);
      const version = options.onto ?? (await forkVersion(clone, commit));
      if (version === undefined || semver.valid(version) === null) {
        throw new MeshforkError(
          'USAGE',
          `cannot tell which upstream release the fork is based on (package.json version: ${version ?? 'none'})`,
          { hint: 'pass --onto VERSION, e.g. --onto 1.1.55' },
        );
      }
      assertInRange(loaded.config, version);
      const releaseDir = path.join(scratch, 'release');
      await upstream.materialize(version, releaseDir);
      const releaseTree = await treeOfFolder(clone, releaseDir);
      const base = await baseCommit(clone, commit, releaseTree, version);
      // Files the release never had and the fork's base commit already had stay out of the series.
      const leftOut = await pathsIn(clone, commit, base.repositoryOnly);
      const forkView = await withoutPaths(clone, commit, leftOut);
      const line = await linearize(clone, forkView, base, options.squashBy, version, commit, leftOut);
      // A series carries regular files only: links are left out here and named by the proof.
      const regular = (mode?: string) => mode === undefined || mode.startsWith('100');
      const dates = await authorDates(clone, [...line.origins.values()]);
      const commits = (await listPatchCommits(clone, line.base))
        .map((c) => ({ ...c, changes: c.changes.filter((ch) => regular(ch.oldMode) && regular(ch.newMode)) }))
        .filter((c) => c.changes.length > 0)
        .map((c) => ({ ...c, date: dates.get(line.origins.get(c.id) ?? '') }));
      // With a files folder, the fork's new files arrive as files and no patch carries them.
      const folder = filesFolder(loaded);
      const split = folder ? splitNewFiles(commits, []) : undefined;
      const newFiles = split ? await forkFiles(clone, forkView, split.newPaths) : [];
      const plan = planExport(split?.commits ?? commits, { patches: [] }, version);
      const patches = plan.patches.map((p) => parsePatch(p.name, p.text));
      const applied = folder ? [newFilesPatch(folder.name, newFiles), ...patches] : patches;
      const proof = await proveSeries(clone, applied, upstream.reader(version), releaseTree, forkView);
      const differing = proof.differing;
      const result = {
        patchesDir: loaded.patchesDir,
        version,
        commit,
        how: line.mode,
        conflicts: line.conflicts,
        folded: line.folded,
        differing,
        patches: plan.patches.map((p) => ({ name: p.name, subject: p.commit.message.subject })),
        leftOut,
        toComplete: headerGaps(patches),
        ...(folder ? { files: newFiles.map((f) => f.path) } : {}),
      };
      if (differing.length > 0 || proof.outcome.status !== 'clean') return { ...result, proved: false, baseChanged: false };
      // The base first, then the series: a kill between the two leaves an empty series on the new
      // base, which the same import completes when run again (the other order left the new series on
      // the old base, and a second import refused the series as not empty).
      const baseChanged = version !== loaded.config.base;
      tracePhase('import:base');
      if (baseChanged) await writeFileAtomic(loaded.file, setBaseInConfigText(await fs.readFile(loaded.file, 'utf8'), version));
      if (folder) await writeNewFiles(folder.dir, newFiles);
      tracePhase('import:series');
      await fs.mkdir(loaded.patchesDir, { recursive: true });
      await appendPatches(
        loaded.patchesDir,
        plan.patches.map((p) => ({ name: p.name, text: p.text })),
      );
      return { ...result, proved: true, baseChanged };
    } finally {
      upstream.close();
      await fs.rm(scratch, { recursive: true, force: true });
    }
  });
}
