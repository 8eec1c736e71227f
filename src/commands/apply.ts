import { chmodSync, existsSync, lstatSync, mkdirSync, promises as fs, realpathSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { filesFolder, loadConfig } from '../config/load';
import { applySeries, MemoryTree, permissionsOf, prefetchingReader, type PatchOutcome, type PatchStatus } from '../engine';
import { MeshforkError } from '../errors';
import { exitCodeFor } from '../checkReport/status';
import { loadSeries } from '../series/load';
import { appliedPatches, touchedPaths } from '../series/types';
import { assertInsideTreeSync } from '../series/pathSafety';
import { openUpstream } from '../upstream';
import { assertReleaseInRange, normalizeVersion } from '../upstream/version';
import { removeLeftovers } from '../upstream/processLock';
import { siblingTempPath } from '../util/atomic';
import type { ProgressSink } from '../util/progress';
import { tracePhase } from '../util/tracePhase';

export interface ApplyCommandOptions {
  cwd: string;
  configFile?: string;
  to?: string;
  out: string;
  force?: boolean;
  fuzz?: number;
  threeWay?: boolean;
  ignoreRange?: boolean;
  updateLock?: boolean;
  progress?: ProgressSink;
  cacheDir?: string;
}

export interface ApplyResult {
  version: string;
  base: string;
  out: string;
  /** False when a conflict stopped the build: nothing was written. */
  written: boolean;
  status: PatchStatus;
  exitCode: 0 | 1 | 3;
  changedFiles: string[];
  patches: PatchOutcome[];
  upstream: string;
}

/** Linked files are replaced, never written through. Synchronous: a thread-pool round trip per call costs more than the call. */
function writeChanges(dir: string, tree: MemoryTree): string[] {
  const changed: string[] = [];
  const realDir = realpathSync.native(dir);
  const changes = tree.changes();
  for (const [file] of changes) assertInsideTreeSync(dir, file, `apply: ${file}`, realDir);
  const permissions = permissionsOf(changes, (file) => {
    const stat = lstatSync(path.join(dir, file), { throwIfNoEntry: false });
    return stat?.isFile() ? stat.mode & 0o777 : undefined;
  });
  for (const [file, change] of changes) {
    const target = path.join(dir, file);
    rmSync(target, { force: true });
    changed.push(file);
    if (change.content === null) continue;
    mkdirSync(path.dirname(target), { recursive: true });
    const mode = permissions.get(file) ?? 0o644;
    writeFileSync(target, Buffer.from(change.content, 'latin1'), { mode });
    chmodSync(target, mode);
  }
  return changed;
}

/** A rename, so out is never seen half-written. */
async function publish(build: string, out: string): Promise<'new' | 'replaced'> {
  if (!existsSync(out)) {
    await fs.rename(build, out);
    return 'new';
  }
  const old = siblingTempPath(out).replace(/\.tmp$/, '.old');
  await fs.rename(out, old);
  await fs.rename(build, out);
  await fs.rm(old, { recursive: true, force: true });
  return 'replaced';
}

/** Built beside out (hard links from the cache, patched files fresh) and renamed into place; a conflict writes nothing. */
export async function apply(options: ApplyCommandOptions): Promise<ApplyResult> {
  const loaded = await loadConfig(options.cwd, options.configFile);
  const version = options.to !== undefined ? normalizeVersion(options.to, '--to') : loaded.config.base;
  const out = path.resolve(options.cwd, options.out);
  const inside = (dir: string) => dir === out || dir.startsWith(out + path.sep);
  if (inside(loaded.root) || inside(loaded.patchesDir) || inside(path.resolve(options.cwd))) {
    throw new MeshforkError('USAGE', `--out ${out} holds the project (or the current folder); apply replaces the whole folder`, {
      hint: 'choose an output folder of its own, e.g. --out build/meshcentral',
    });
  }
  if (existsSync(out) && !options.force) {
    throw new MeshforkError('OUTPUT_EXISTS', `${out} already exists`, { hint: 'pass --force to replace it, or choose another --out' });
  }
  const series = await loadSeries(loaded.patchesDir, filesFolder(loaded));
  const upstream = await openUpstream(loaded, { progress: options.progress, updateLock: options.updateLock, cacheDir: options.cacheDir });
  try {
    // An unknown release is VERSION_UNKNOWN, not "outside supports" with a hint that would fail next.
    await assertReleaseInRange(upstream, loaded.config, version, options.ignoreRange);
  } catch (error) {
    upstream.close();
    throw error;
  }
  await fs.mkdir(path.dirname(out), { recursive: true });
  // builds of killed runs: ".<name>.meshfork-<pid>-<hex>.tmp|.old" of a dead pid
  await removeLeftovers(path.dirname(out), `.${path.basename(out)}.meshfork-`);
  const build = siblingTempPath(out);
  try {
    tracePhase('apply:materialize');
    await upstream.materialize(version, build);
    tracePhase('apply:patch');
    // every file the series touches, asked for at once (one pipelined git cat-file, or the cache)
    const tree = new MemoryTree(prefetchingReader(upstream.reader(version), touchedPaths(appliedPatches(series))));
    const threeWayBase = options.threeWay ? upstream.reader(loaded.config.base) : undefined;
    const outcome = await applySeries(appliedPatches(series), tree, { fuzz: options.fuzz ?? 0, threeWayBase });
    const source = loaded.config.upstream.source === 'npm' ? `npm ${loaded.config.upstream.package}` : `git ${loaded.config.upstream.url}`;
    const base = {
      version,
      base: loaded.config.base,
      upstream: source,
      out,
      status: outcome.status,
      exitCode: exitCodeFor(outcome.status),
      patches: outcome.patches,
    };
    if (outcome.status === 'conflict') return { ...base, written: false, changedFiles: [] };
    tracePhase('apply:write');
    const changedFiles = writeChanges(build, tree);
    tracePhase('apply:publish');
    // the old output's links to the cache are gone: its blobs' link counts (and ctimes) changed
    if ((await publish(build, out)) === 'replaced') await upstream.stampBlobs(version);
    tracePhase('apply:done');
    return { ...base, written: true, changedFiles };
  } finally {
    await fs.rm(build, { recursive: true, force: true });
    upstream.close();
  }
}
