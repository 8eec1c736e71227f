import { existsSync, lstatSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { permissionsOf, type TreeChange } from '../engine';
import { assertInsideTree } from '../series/pathSafety';
import { removeLeftovers } from '../upstream/processLock';
import { siblingTempPath } from '../util/atomic';
import { tracePhase } from '../util/tracePhase';
import { ASSETS_DIR, RUNTIME_ASSETS } from './assets';
import { manifestText, type DepsManifest } from './depsLock';

/**
 * A build context, laid out so each Dockerfile layer reads one folder:
 *   Dockerfile, build.sh    the generated Dockerfile and the exact command that builds it
 *   npm/npm.tgz             the npm of the dependency stage
 *   deps/                   package.json (reduced) + package-lock.json: the dependency layer's only input
 *   release/                the upstream release without the files the series changes (hard links into the cache)
 *   series/                 the files as the series leaves them
 *   meshfork/               entrypoint, health check, identity keeper; the project's config renderer
 */
export interface ContextInput {
  /** Writes the upstream release into an empty folder (Upstream.materialize). */
  materialize(dir: string): Promise<void>;
  /** The series' changes to the release, as the engine left them. */
  changes: [string, TreeChange][];
  deps: DepsManifest;
  depsLock: string;
  npmTarball: string;
  dockerfile: string;
  buildScript: string;
  /** The project's asset files (config image.assets) copied into meshfork/ beside the tool's. */
  projectAssets: string[];
}

async function linkOrCopy(source: string, target: string): Promise<void> {
  try {
    await fs.link(source, target);
  } catch {
    await fs.copyFile(source, target);
  }
}

/** Move the series' files out of release/ into series/ (a deleted or renamed-away file ends in neither). */
async function splitSeriesFiles(root: string, changes: [string, TreeChange][]): Promise<void> {
  const release = path.join(root, 'release');
  const series = path.join(root, 'series');
  await fs.mkdir(series, { recursive: true });
  for (const [file] of changes) await assertInsideTree(release, file, `build: ${file}`);
  const permissions = permissionsOf(changes, (file) => {
    const stat = lstatSync(path.join(release, file), { throwIfNoEntry: false });
    return stat?.isFile() ? stat.mode & 0o777 : undefined;
  });
  for (const [file, change] of changes) {
    await fs.rm(path.join(release, file), { force: true });
    if (change.content === null) continue;
    const target = path.join(series, file);
    await fs.mkdir(path.dirname(target), { recursive: true });
    const mode = permissions.get(file) ?? 0o644;
    await fs.writeFile(target, Buffer.from(change.content, 'latin1'), { mode });
    await fs.chmod(target, mode);
  }
}

/** Write the whole context into `dir`: built beside it and renamed into place, so it is never half-written. */
export async function writeContext(dir: string, input: ContextInput): Promise<void> {
  await fs.mkdir(path.dirname(dir), { recursive: true });
  // contexts of killed runs: ".<name>.meshfork-<pid>-<hex>.tmp|.old" of a dead pid
  await removeLeftovers(path.dirname(dir), `.${path.basename(dir)}.meshfork-`);
  const build = siblingTempPath(dir);
  try {
    tracePhase('context:release');
    await input.materialize(path.join(build, 'release'));
    tracePhase('context:series');
    await splitSeriesFiles(build, input.changes);
    tracePhase('context:files');
    await fs.mkdir(path.join(build, 'deps'));
    await fs.writeFile(path.join(build, 'deps', 'package.json'), manifestText(input.deps));
    await fs.writeFile(path.join(build, 'deps', 'package-lock.json'), input.depsLock);
    await fs.mkdir(path.join(build, 'npm'));
    await linkOrCopy(input.npmTarball, path.join(build, 'npm', 'npm.tgz'));
    await fs.mkdir(path.join(build, 'meshfork'));
    for (const asset of RUNTIME_ASSETS) await fs.copyFile(path.join(ASSETS_DIR, asset), path.join(build, 'meshfork', asset));
    for (const file of input.projectAssets) await fs.copyFile(file, path.join(build, 'meshfork', path.basename(file)));
    await fs.writeFile(path.join(build, 'Dockerfile'), input.dockerfile);
    await fs.writeFile(path.join(build, 'build.sh'), input.buildScript, { mode: 0o755 });
    tracePhase('context:publish');
    if (existsSync(dir)) {
      const old = siblingTempPath(dir).replace(/\.tmp$/, '.old');
      await fs.rename(dir, old);
      await fs.rename(build, dir);
      await fs.rm(old, { recursive: true, force: true });
    } else {
      await fs.rename(build, dir);
    }
  } finally {
    await fs.rm(build, { recursive: true, force: true });
  }
  tracePhase('context:done');
}
