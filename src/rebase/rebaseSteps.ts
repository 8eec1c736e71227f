import { promises as fs } from 'node:fs';
import path from 'node:path';
import { MeshforkError } from '../errors';
import { applyPatch, MemoryTree, type FileReader, type PatchOutcome } from '../engine';
import { splitLines } from '../series/lines';
import { operationSourcePath, operationTargetPath, type Patch } from '../series/types';
import { applyToWorkspace, commitAsPatch, stageChanges } from '../workspace/commitPatch';
import { WORK_BRANCH } from '../workspace/create';
import { writeRebaseState, type RebaseState, type RebaseStep } from './rebaseState';
import { workspaceStatus } from '../workspace/status';
import { wsGit, wsGitText } from '../workspace/workspaceGit';

/** What a rebase needs besides its state: the workspace, the old series and the old release. */
export interface RebaseContext {
  workDir: string;
  stateFile: string;
  patches: Patch[];
  /** The release the series was made on (the 3-way merge base). */
  fromRelease: FileReader;
  git?: { mirrorDir: string; commitOf(version: string): Promise<string> };
}

export type RebaseProgress =
  { kind: 'done'; state: RebaseState } | { kind: 'stopped'; state: RebaseState; patch: Patch; conflicts: string[]; outcome: PatchOutcome };

/** The old release with patches 0..index-1 applied: each patch's 3-way merge base. */
async function mergeBaseTree(context: RebaseContext, index: number): Promise<MemoryTree> {
  const tree = new MemoryTree(context.fromRelease);
  for (const patch of context.patches.slice(0, index)) await applyPatch(patch, tree);
  return tree;
}

async function record(context: RebaseContext, state: RebaseState, step: RebaseStep): Promise<RebaseState> {
  const head = await wsGitText(context.workDir, ['rev-parse', 'HEAD']);
  const next: RebaseState = { ...state, steps: [...state.steps, step], next: state.next + 1, stopped: undefined, head };
  await writeRebaseState(context.stateFile, next);
  return next;
}

/** Strict first, then 3-way; stop at the first conflict. */
export async function runRebaseSteps(context: RebaseContext, initial: RebaseState): Promise<RebaseProgress> {
  let state = initial;
  if (!state.head) {
    throw new MeshforkError('STATE_INVALID', 'the rebase was interrupted before its workspace was ready', {
      hint: 'run `meshfork sync abort`, then start the rebase again',
    });
  }
  // A rebase killed mid-step may have left a half-applied patch and git's lock files (a killed
  // `git commit` leaves index.lock): start again from the last recorded step.
  await clearStaleLocks(context.workDir);
  await wsGit(context.workDir, ['reset', '-q', '--hard', state.head]);
  await wsGit(context.workDir, ['clean', '-q', '-f', '-d']);
  const base = await mergeBaseTree(context, state.next);
  while (state.next < context.patches.length) {
    const patch = context.patches[state.next];
    const strict = await applyToWorkspace(context.workDir, patch);
    let action: RebaseStep['action'];
    if (strict.outcome.status === 'already-applied') action = 'dropped';
    else if (strict.conflicts.length === 0) action = (await stageChanges(context.workDir, strict.paths)) ? 'applied' : 'dropped';
    else {
      const threeWayBase = (p: string) => base.read(p);
      const merged = await applyToWorkspace(context.workDir, patch, threeWayBase);
      if (merged.conflicts.length > 0) {
        // The engine writes nothing when no file got markers (a file missing upstream, a created
        // file upstream now has): put in the parts that do apply, so only the conflict is left to do.
        if (merged.paths.length === 0) {
          const applicable = patch.operations.filter((_, i) => merged.outcome.files[i]?.status === 'applied');
          if (applicable.length) await applyToWorkspace(context.workDir, { ...patch, operations: applicable }, threeWayBase);
        }
        const head = await wsGitText(context.workDir, ['rev-parse', 'HEAD']);
        const missing = merged.outcome.files.filter((f) => f.status === 'missing').map((f) => f.from ?? f.path);
        state = { ...state, stopped: { index: state.next, conflicts: merged.conflicts, head, ...(missing.length ? { missing } : {}) } };
        await writeRebaseState(context.stateFile, state);
        return { kind: 'stopped', state, patch, conflicts: merged.conflicts, outcome: merged.outcome };
      }
      action = (await stageChanges(context.workDir, merged.paths)) ? 'merged' : 'dropped';
    }
    if (action !== 'dropped') await commitAsPatch(context.workDir, patch.header);
    await applyPatch(patch, base);
    state = await record(context, state, { name: patch.name, action, strict: strict.outcome.status });
  }
  return { kind: 'done', state };
}

/** A SIGKILLed meshfork leaves its git children running, and one may hold index.lock. Linux only (/proc). */
async function gitProcessesIn(workDir: string): Promise<number[]> {
  const pids = await fs.readdir('/proc').catch(() => [] as string[]);
  const found: number[] = [];
  for (const pid of pids.filter((p) => /^\d+$/.test(p))) {
    const [comm, cwd] = await Promise.all([
      fs.readFile(`/proc/${pid}/comm`, 'utf8').catch(() => ''),
      fs.readlink(`/proc/${pid}/cwd`).catch(() => ''),
    ]);
    if (comm.trim() === 'git' && (cwd === workDir || cwd.startsWith(workDir + path.sep))) found.push(Number(pid));
  }
  return found;
}

async function clearStaleLocks(workDir: string): Promise<void> {
  // Let an orphaned git finish first: removing the lock under a live git corrupts its index write.
  const realWorkDir = await fs.realpath(workDir);
  for (let waited = 0; waited < 60_000 && (await gitProcessesIn(realWorkDir)).length > 0; waited += 100) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const gitDir = path.join(workDir, '.git');
  for (const lock of ['index.lock', 'HEAD.lock', 'ORIG_HEAD.lock', path.join('refs', 'heads', `${WORK_BRANCH}.lock`)]) {
    await fs.rm(path.join(gitDir, lock), { force: true });
  }
}

async function discardPatch(workDir: string, head: string, patch: Patch): Promise<void> {
  await wsGit(workDir, ['reset', '-q', '--hard', head]);
  const paths = patch.operations.flatMap((op) => [operationSourcePath(op), operationTargetPath(op)]);
  await wsGit(workDir, ['clean', '-q', '-f', '--', ...paths.map((p) => `:(literal)${p}`)]);
}

const MARKER = /^(<{7} |>{7} |\|{7} )/;

export async function remainingMarkers(workDir: string, files: string[]): Promise<string[]> {
  const found: string[] = [];
  for (const file of [...new Set(files)].sort()) {
    let content: string;
    try {
      content = (await fs.readFile(path.join(workDir, file))).toString('latin1');
    } catch {
      continue;
    }
    splitLines(content).forEach((line, i) => {
      if (MARKER.test(line)) found.push(`${file}:${i + 1}`);
    });
  }
  return found;
}

/** Refuse while markers remain, else commit the workspace changes as the stopped patch (or keep the user's commit). */
export async function continueRebase(
  context: RebaseContext,
  state: RebaseState,
  options: { skip?: boolean } = {},
): Promise<RebaseProgress> {
  const stopped = state.stopped;
  if (!stopped) return runRebaseSteps(context, state);
  const patch = context.patches[stopped.index];
  if (options.skip) {
    await discardPatch(context.workDir, stopped.head, patch);
    const next = await record(context, { ...state, next: stopped.index }, { name: patch.name, action: 'dropped', strict: 'conflict' });
    return runRebaseSteps(context, next);
  }
  const status = await workspaceStatus(context.workDir);
  if (!status)
    throw new MeshforkError('STATE_INVALID', `the rebase workspace ${context.workDir} is gone`, {
      hint: 'run `meshfork sync abort`, then start the rebase again',
    });
  if (status.gitOperation) {
    throw new MeshforkError('STATE_INVALID', `a git ${status.gitOperation} is in progress in the workspace`, {
      hint: `finish or abort it there (git -C ${context.workDir} ${status.gitOperation} --abort), then run \`meshfork sync continue\``,
    });
  }
  const markers = await remainingMarkers(context.workDir, [...stopped.conflicts, ...status.dirty]);
  if (markers.length > 0) {
    throw new MeshforkError('CONFLICT', `conflict markers remain in ${markers.join(', ')}`, {
      hint: `edit those lines in ${context.workDir}, then run \`meshfork sync continue\` again (or \`meshfork sync abort\`)`,
      details: { markers },
    });
  }
  if (status.head !== stopped.head) {
    if (status.dirty.length > 0) {
      throw new MeshforkError(
        'STATE_INVALID',
        `you committed in the workspace but ${status.dirty.length} file(s) still have uncommitted changes: ${status.dirty.slice(0, 5).join(', ')}`,
        {
          hint: 'commit them too (git commit --amend) or discard them, then run `meshfork sync continue`',
        },
      );
    }
  } else if (await stageChanges(context.workDir)) await commitAsPatch(context.workDir, patch.header);
  else {
    // An empty resolution would silently lose the patch: dropping it must be asked for.
    throw new MeshforkError('CONFLICT', `the resolution of ${patch.name} leaves no change to commit`, {
      hint: 'make the change in the workspace and run `meshfork sync continue`, or drop the patch (upstream has it, or it is no longer needed) with `meshfork sync continue --skip`',
    });
  }
  const next = await record(context, { ...state, next: stopped.index }, { name: patch.name, action: 'resolved', strict: 'conflict' });
  return runRebaseSteps(context, next);
}
