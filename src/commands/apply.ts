import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../config/load';
import { applySeries, MemoryTree, type PatchOutcome, type PatchStatus } from '../engine';
import { MeshforkError } from '../errors';
import { exitCodeFor } from '../report/status';
import { loadSeries } from '../series/load';
import { assertInsideTree } from '../series/pathSafety';
import { openUpstream } from '../upstream';
import { assertReleaseInRange, normalizeVersion } from '../upstream/version';
import { removeLeftovers } from '../upstream/processLock';
import { siblingTempPath } from '../util/atomic';
import type { ProgressSink } from '../util/progress';
import { tracePhase } from '../util/tracePhase';

export interface ApplyCommandOptions {
  cwd: string;
  configFile?: string;
  /** Upstream release to patch; default: the config's base. */
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
  /** Absolute output folder. */
  out: string;
  /** False when a conflict stopped the build: nothing was written. */
  written: boolean;
  status: PatchStatus;
  exitCode: 0 | 1 | 3;
  /** Files the series created, changed or deleted in the release. */
  changedFiles: string[];
  patches: PatchOutcome[];
  /** The configured upstream, as `npm meshcentral` or `git URL`. */
  upstream: string;
}

/** Write the series' changes into the build folder. Linked files are replaced, never written through. */
async function writeChanges(dir: string, tree: MemoryTree): Promise<string[]> {
  const changed: string[] = [];
  for (const [file, change] of tree.changes()) {
    // The release itself may hold symlinks: never write through one to outside the build.
    await assertInsideTree(dir, file, `apply: ${file}`);
    const target = path.join(dir, file);
    const previous = await fs.lstat(target).catch(() => undefined);
    await fs.rm(target, { force: true });
    changed.push(file);
    if (change.content === null) continue;
    await fs.mkdir(path.dirname(target), { recursive: true });
    const mode = change.mode ? parseInt(change.mode.slice(-3), 8) : previous ? previous.mode & 0o777 : 0o644;
    await fs.writeFile(target, Buffer.from(change.content, 'latin1'), { mode });
    await fs.chmod(target, mode);
  }
  return changed;
}

/** Put the finished build in place of `out`: a rename, so `out` is never seen half-written. */
async function publish(build: string, out: string): Promise<void> {
  if (!existsSync(out)) {
    await fs.rename(build, out);
    return;
  }
  const old = siblingTempPath(out).replace(/\.tmp$/, '.old');
  await fs.rename(out, old);
  await fs.rename(build, out);
  await fs.rm(old, { recursive: true, force: true });
}

/**
 * `meshfork apply`: the upstream release plus the series, built beside `out` (hard links from the
 * cache, patched files written fresh) and renamed into place. A conflict writes nothing.
 */
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
  const series = await loadSeries(loaded.patchesDir);
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
    const tree = new MemoryTree(upstream.reader(version));
    const threeWayBase = options.threeWay ? upstream.reader(loaded.config.base) : undefined;
    const outcome = await applySeries(series.patches, tree, { fuzz: options.fuzz ?? 0, threeWayBase });
    const source = loaded.config.upstream.source === 'npm' ? `npm ${loaded.config.upstream.package}` : `git ${loaded.config.upstream.url}`;
    const base = { version, base: loaded.config.base, upstream: source, out, status: outcome.status, exitCode: exitCodeFor(outcome.status), patches: outcome.patches };
    if (outcome.status === 'conflict') return { ...base, written: false, changedFiles: [] };
    tracePhase('apply:write');
    const changedFiles = await writeChanges(build, tree);
    tracePhase('apply:publish');
    await publish(build, out);
    tracePhase('apply:done');
    return { ...base, written: true, changedFiles };
  } finally {
    await fs.rm(build, { recursive: true, force: true });
    upstream.close();
  }
}
