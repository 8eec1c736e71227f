// Every step writes its state first, so any command can pick up where one stopped.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { parseConfig } from '../config/load';
import { MeshforkError } from '../errors';
import { loadSeries } from '../series/load';
import { SERIES_FILE } from '../series/seriesFile';
import { newFilePaths } from '../series/newFiles';
import { appliedPatches, type Patch } from '../series/types';
import { writeFileAtomic } from '../util/atomic';
import { backupPatchesDir, restoreBackup, takeBackup } from './backup';
import { setBaseInConfigText } from '../project/configText';
import { createWorkspace, type ReleaseSource } from '../workspace/create';
import type { CurrentSeries } from '../workspace/exportPlan';
import { exportWorkspace } from '../workspace/exportWorkspace';
import { ensureStateDir, type ProjectLayout } from '../project/layout';
import { recoverPatchesSwap } from '../series/patchesSwap';
import { assertNewBranch, commitOnNewBranch } from '../project/projectRepo';
import { readRebaseState, requireRebaseState, writeRebaseState, type RebaseState } from './rebaseState';
import { continueRebase, runRebaseSteps, type RebaseContext, type RebaseProgress } from './rebaseSteps';
import { workspaceStatus } from '../workspace/status';
import { recordCommit } from './lastCommit';
import { summaryHistory } from './rebaseHistory';
import { renderSummaryMarkdown, summarizeRebase, type PatchSummary, type RebaseSummary } from './summary';
import { tracePhase } from '../util/tracePhase';

/** What a rebase needs from the upstream (an `Upstream` fits): files, and pinning releases in the lock. */
export interface RebaseUpstream extends ReleaseSource {
  resolve(version: string): Promise<unknown>;
  /** Set for a git upstream: the summary then names culprits and security commits. */
  git?: { mirrorDir: string; commitOf(version: string): Promise<string> };
}

export interface ConflictFile {
  path: string;
  /** Where the markers are, as "start-end" line ranges; empty when the file is missing upstream. */
  ranges: string[];
  missing: boolean;
}

export type RebaseReport =
  | {
      status: 'done';
      from: string;
      to: string;
      summary: RebaseSummary;
      written: string[];
      removed: string[];
      summaryFile?: string;
      commit?: { branch: string; id: string };
      workDir: string;
    }
  | {
      status: 'stopped';
      from: string;
      to: string;
      position: number;
      total: number;
      patch: { name: string; subject: string };
      conflicts: ConflictFile[];
      workDir: string;
    };

export interface StartOptions {
  from: string;
  to: string;
  finish: RebaseState['finish'];
  force?: boolean;
}

export function defaultBranch(version: string): string {
  return `meshfork/upstream-${version}`;
}

async function exists(p: string): Promise<boolean> {
  return fs.lstat(p).then(
    () => true,
    () => false,
  );
}

function savedWorkspaceDir(layout: ProjectLayout): string {
  return path.join(layout.backupDir, 'work');
}

/** The files folder's pseudo-patch first when there is one (export writes the folder only at the end, so it is as it was). */
async function seriesBefore(layout: ProjectLayout): Promise<{ patches: Patch[]; current: CurrentSeries & { patchNames: string[] } }> {
  const dir = backupPatchesDir(layout.backupDir);
  const series = await loadSeries(dir, layout.files);
  const seriesText = (await fs.readFile(path.join(dir, SERIES_FILE))).toString('latin1');
  return {
    patches: appliedPatches(series),
    current: { patches: series.patches, seriesText, patchNames: series.entries.map((e) => e.name) },
  };
}

export async function startRebase(layout: ProjectLayout, upstream: RebaseUpstream, options: StartOptions): Promise<RebaseReport> {
  await ensureStateDir(layout);
  await recoverPatchesSwap(layout.patchesDir);
  const running = await readRebaseState(layout.rebaseFile);
  if (running) {
    throw new MeshforkError('STATE_INVALID', `a rebase from ${running.from} to ${running.to} is already in progress`, {
      hint: 'finish it with `meshfork sync continue`, or undo it with `meshfork sync abort`',
    });
  }
  await loadSeries(layout.patchesDir, layout.files);
  const workspace = await workspaceStatus(layout.workDir);
  if (workspace?.unexported && !options.force) {
    const what = [
      workspace.head !== workspace.meta.syncedHead ? 'commits' : '',
      workspace.dirty.length ? `${workspace.dirty.length} uncommitted file(s)` : '',
    ]
      .filter(Boolean)
      .join(' and ');
    throw new MeshforkError('STATE_INVALID', `the workspace ${layout.workDir} has ${what} not exported to patches/`, {
      hint: 'run `meshfork export` first (commit in the workspace before), or pass --force to set the workspace aside anyway (abort brings it back)',
    });
  }
  const finish = { ...options.finish, branch: options.finish.commit ? (options.finish.branch ?? defaultBranch(options.to)) : undefined };
  if (finish.commit && finish.branch) await assertNewBranch(layout.root, finish.branch);

  tracePhase('rebase:backup');
  await takeBackup(layout.backupDir, layout);
  let savedWorkspace = false;
  if (await exists(layout.workDir)) {
    await fs.rename(layout.workDir, savedWorkspaceDir(layout));
    savedWorkspace = true;
  }
  const state: RebaseState = { format: 1, from: options.from, to: options.to, next: 0, steps: [], finish, savedWorkspace };
  await writeRebaseState(layout.rebaseFile, state);
  try {
    // resolve() checks both releases against the lock and pins the new one there.
    await upstream.resolve(options.from);
    await upstream.resolve(options.to);
    const { patches, current } = await seriesBefore(layout);
    tracePhase('rebase:workspace');
    const meta = await createWorkspace(layout.workDir, upstream, options.to);
    tracePhase('rebase:steps');
    const ready: RebaseState = { ...state, head: meta.baseCommit };
    await writeRebaseState(layout.rebaseFile, ready);
    const context: RebaseContext = {
      workDir: layout.workDir,
      stateFile: layout.rebaseFile,
      patches,
      fromRelease: upstream.reader(options.from),
      git: upstream.git,
    };
    return await settle(layout, context, current, await runRebaseSteps(context, ready));
  } catch (error) {
    // Nothing of a failed start is worth keeping: put everything back, then report the failure.
    try {
      await abortRebase(layout);
    } catch (restoreError) {
      throw new MeshforkError(
        'IO_FAILED',
        `${(error as Error).message}; restoring the project also failed: ${(restoreError as Error).message}`,
        {
          hint: 'run `meshfork sync abort` to restore patches/, config and lock from .meshfork/backup',
          cause: error,
        },
      );
    }
    throw error;
  }
}

export async function continueRebaseSession(
  layout: ProjectLayout,
  upstream: RebaseUpstream,
  options: { skip?: boolean } = {},
): Promise<RebaseReport> {
  const state = await requireRebaseState(layout.rebaseFile);
  const { patches, current } = await seriesBefore(layout);
  const context: RebaseContext = {
    workDir: layout.workDir,
    stateFile: layout.rebaseFile,
    patches,
    fromRelease: upstream.reader(state.from),
    git: upstream.git,
  };
  return settle(layout, context, current, await continueRebase(context, state, options));
}

async function settle(
  layout: ProjectLayout,
  context: RebaseContext,
  current: CurrentSeries & { patchNames: string[] },
  progress: RebaseProgress,
): Promise<RebaseReport> {
  const { state } = progress;
  if (progress.kind === 'stopped') {
    const conflicts = progress.outcome.files
      .filter((f) => f.status === 'conflict' || f.status === 'missing')
      .map((f) => ({
        path: f.path,
        missing: f.status === 'missing',
        ranges: f.hunks
          .flatMap((h) => (h.conflictRange ? [`${h.conflictRange.start}-${h.conflictRange.end}`] : []))
          .filter((r, i, all) => all.indexOf(r) === i),
      }));
    return {
      status: 'stopped',
      from: state.from,
      to: state.to,
      position: (state.stopped?.index ?? state.next) + 1,
      total: context.patches.length,
      patch: { name: progress.patch.name, subject: progress.patch.header.subject },
      conflicts,
      workDir: layout.workDir,
    };
  }
  return finishRebase(layout, context, current, state);
}

function commitMessageFor(summary: RebaseSummary): string {
  const counts = new Map<string, number>();
  for (const p of summary.patches) counts.set(p.result, (counts.get(p.result) ?? 0) + 1);
  const line = (p: PatchSummary) =>
    `- ${p.newName ?? p.name}: ${p.result}${p.moves.length ? ` (${p.moves.map((m) => `${m.path} ${m.newStart - m.oldStart >= 0 ? '+' : ''}${m.newStart - m.oldStart}`).join(', ')})` : ''}`;
  return [
    `meshfork: move the patch series to upstream ${summary.to}`,
    '',
    `meshfork sync rebase from ${summary.from} to ${summary.to}: ${[...counts].map(([r, n]) => `${n} ${r}`).join(', ')}.`,
    'Refreshes patches/, sets "base" in the config and pins the release in the lock file.',
    '',
    ...summary.patches.map(line),
    '',
  ].join('\n');
}

async function finishRebase(
  layout: ProjectLayout,
  context: RebaseContext,
  current: CurrentSeries & { patchNames: string[] },
  state: RebaseState,
): Promise<RebaseReport> {
  tracePhase('rebase:export');
  const filesStep = context.patches[0]?.newFiles ? context.patches[0] : undefined;
  const files = layout.files && { dir: layout.files.dir, paths: newFilePaths(filesStep) };
  const exported = await exportWorkspace({
    workDir: layout.workDir,
    patchesDir: layout.patchesDir,
    current,
    version: state.to,
    ...(files ? { files } : {}),
  });
  // the summary is about patch files: the files folder's step (first, when there is one) is left out
  const patches = filesStep ? context.patches.slice(1) : context.patches;
  const patchState = filesStep ? { ...state, steps: state.steps.slice(1) } : state;
  tracePhase('rebase:config');
  const configText = await fs.readFile(layout.configFile, 'utf8');
  const updated = setBaseInConfigText(configText, state.to);
  parseConfig(layout.configFile, JSON.parse(updated));
  if (updated !== configText) await writeFileAtomic(layout.configFile, updated);

  const summary = summarizeRebase(
    state.from,
    state.to,
    patches,
    patchState.steps,
    exported.plan.patches.map((p) => ({ name: p.name, text: p.text, previous: p.previous?.name })),
    context.git && (await summaryHistory(context.git, patches, patchState)),
  );
  if (state.finish.summary) await writeFileAtomic(state.finish.summary, renderSummaryMarkdown(summary));
  let commit: { branch: string; id: string } | undefined;
  if (state.finish.commit) {
    const branch = state.finish.branch ?? defaultBranch(state.to);
    commit = {
      branch,
      id: await commitOnNewBranch(
        layout.root,
        branch,
        [layout.patchesDir, ...(layout.files ? [layout.files.dir] : []), layout.configFile, layout.lockFile],
        commitMessageFor(summary),
      ),
    };
    // `sync push` pushes exactly this branch, never whatever happens to be checked out.
    await recordCommit(layout, { ...commit, from: state.from, to: state.to });
  }
  tracePhase('rebase:cleanup');
  await fs.rm(layout.rebaseFile, { force: true });
  await fs.rm(layout.backupDir, { recursive: true, force: true });
  tracePhase('rebase:done');
  return {
    status: 'done',
    from: state.from,
    to: state.to,
    summary,
    written: exported.written,
    removed: exported.removed,
    summaryFile: state.finish.summary,
    commit,
    workDir: layout.workDir,
  };
}

export async function abortRebase(layout: ProjectLayout): Promise<{ from?: string; to?: string }> {
  // A damaged state file must not block the way back: the backup alone is enough to restore.
  const state = await readRebaseState(layout.rebaseFile).catch(() => undefined);
  const hasBackup = await exists(path.join(layout.backupDir, 'manifest.json'));
  if (!state && !hasBackup) {
    throw new MeshforkError('STATE_INVALID', 'no rebase is in progress', {
      hint: 'nothing to abort; `meshfork sync status` shows where things stand',
    });
  }
  if (hasBackup) await restoreBackup(layout.backupDir);
  await fs.rm(layout.workDir, { recursive: true, force: true });
  if (await exists(savedWorkspaceDir(layout))) await fs.rename(savedWorkspaceDir(layout), layout.workDir);
  await fs.rm(layout.rebaseFile, { force: true });
  await fs.rm(layout.backupDir, { recursive: true, force: true });
  return { from: state?.from, to: state?.to };
}
