import { assertNever } from '../errors';
import { splitLines } from '../series/lines';
import { operationSourcePath, type FileOperation, type Hunk, type Patch } from '../series/types';
import { withReleaseLines } from './releaseLines';
import { applyBinary, binaryAlreadyApplied } from './binary';
import { bestFit } from './differingLines';
import { applyHunks, newSide, reverseHunk, type MatchOptions } from './hunks';
import { conflictRegions, mergeFile } from './merge3';
import { MemoryTree, type ModeOrigin } from './tree';
import type { ApplyOptions, FileOutcome, HunkOutcome, PatchOutcome, PatchStatus, SeriesOutcome } from './types';
import { trackLeftOutHunks, type LeftOutRegions } from './leftOut';
import { rejectMarkers } from './rejectMarkers';

interface OperationResult {
  outcome: FileOutcome;
  writes: { path: string; content: string | null; mode?: string | ModeOrigin }[];
  partial?: { path: string; content: string };
}

function describe(op: FileOperation): Pick<FileOutcome, 'kind' | 'path' | 'from'> {
  if (op.kind === 'rename') return { kind: 'rename', path: op.to, from: op.from };
  return op.kind === 'copy' ? { kind: 'copy', path: op.path, from: op.from } : { kind: op.kind, path: op.path };
}

/** git applies a patch's moves as one step (`git diff -M -B` swaps a->b, b->a): sources read as before the patch. */
interface PatchContext {
  before: MemoryTree;
  vacated: Set<string>;
  movedInto: Set<string>;
  match: MatchOptions;
}

function patchContext(patch: Patch, before: MemoryTree): PatchContext {
  const vacated = new Set<string>();
  for (const op of patch.operations)
    if (op.kind === 'rename') vacated.add(op.from);
    else if (op.kind === 'delete') vacated.add(op.path);
  return { before, vacated, movedInto: new Set(), match: { ignoreTrailingWhitespace: patch.options?.ignoreTrailingWhitespace } };
}

const standalone = (tree: MemoryTree): PatchContext => ({ before: tree, vacated: new Set(), movedInto: new Set(), match: {} });

async function applyBinaryOperation(
  op: FileOperation & { binary: NonNullable<FileOperation['binary']> },
  tree: MemoryTree,
  ctx: PatchContext,
): Promise<OperationResult> {
  const info = describe(op);
  const source = op.kind === 'create' ? undefined : op.kind === 'rename' || op.kind === 'copy' ? op.from : op.path;
  const target = op.kind === 'rename' ? op.to : op.path;
  const swapped = (op.kind === 'rename' || op.kind === 'copy') && ctx.movedInto.has(op.from);
  const existing = source === undefined ? await tree.read(target) : await (swapped ? ctx.before : tree).read(source);
  if (op.kind === 'create' && existing !== undefined) {
    return {
      outcome: { ...info, status: binaryAlreadyApplied(op.binary, existing) ? 'already-applied' : 'conflict', hunks: [] },
      writes: [],
    };
  }
  if (op.kind !== 'create' && existing === undefined)
    return { outcome: { ...info, status: op.kind === 'delete' ? 'already-applied' : 'missing', hunks: [] }, writes: [] };
  const result = applyBinary(op.binary, existing ?? null);
  if ('refused' in result) {
    const done = op.kind !== 'delete' && op.kind !== 'create' && binaryAlreadyApplied(op.binary, existing ?? null);
    return { outcome: { ...info, status: done ? 'already-applied' : 'conflict', hunks: [] }, writes: [] };
  }
  const hunks: HunkOutcome[] = [{ index: 0, status: 'exact', baseLine: 1, targetLine: 1, offset: 0 }];
  switch (op.kind) {
    case 'create':
      return { outcome: { ...info, status: 'applied', hunks }, writes: [{ path: op.path, content: result.content, mode: op.mode }] };
    case 'delete':
      return { outcome: { ...info, status: 'applied', hunks }, writes: [{ path: op.path, content: null }] };
    case 'modify':
      return { outcome: { ...info, status: 'applied', hunks }, writes: [{ path: op.path, content: result.content, mode: op.newMode }] };
    case 'rename':
    case 'copy':
      return { outcome: { ...info, status: 'applied', hunks }, writes: moveWrites(op, result.content, tree, ctx) };
    default:
      return assertNever(op);
  }
}

function moveWrites(
  op: FileOperation & { kind: 'rename' | 'copy' },
  content: string,
  tree: MemoryTree,
  ctx: PatchContext,
): OperationResult['writes'] {
  const target = op.kind === 'rename' ? op.to : op.path;
  const mode = op.newMode ?? (ctx.movedInto.has(op.from) ? ctx.before : tree).originOf(op.from);
  const writes: OperationResult['writes'] = [];
  if (op.kind === 'rename' && !ctx.movedInto.has(op.from)) writes.push({ path: op.from, content: null });
  writes.push({ path: target, content, mode });
  return writes;
}

function createdContent(hunks: Hunk[]): string {
  return hunks.flatMap((h) => h.lines.map((l) => l.text)).join('');
}

async function applyOperation(
  op: FileOperation,
  tree: MemoryTree,
  fuzz: number,
  ctx: PatchContext = standalone(tree),
  locateFailed = false,
): Promise<OperationResult> {
  const info = describe(op);
  if (op.binary) return applyBinaryOperation({ ...op, binary: op.binary }, tree, ctx);
  switch (op.kind) {
    case 'create': {
      const content = createdContent(op.hunks);
      const existing = await tree.read(op.path);
      if (existing !== undefined) {
        return { outcome: { ...info, status: existing === content ? 'already-applied' : 'conflict', hunks: [] }, writes: [] };
      }
      const hunks: HunkOutcome[] = op.hunks.map((h, index) => ({ index, status: 'exact', baseLine: h.oldStart, targetLine: 1, offset: 0 }));
      return { outcome: { ...info, status: 'applied', hunks }, writes: [{ path: op.path, content, mode: op.mode }] };
    }
    case 'delete':
    case 'modify':
    case 'rename':
    case 'copy': {
      const moves = op.kind === 'rename' || op.kind === 'copy';
      const source = moves ? op.from : op.path;
      const target = op.kind === 'rename' ? op.to : op.path;
      // A swap's source is read as it was; a modify after a move applies to its result (git's "same file after rename").
      const swapped = op.kind !== 'modify' && ctx.movedInto.has(source);
      const existing = await (swapped ? ctx.before : tree).read(source);
      const targetTaken = moves && (await tree.read(target)) !== undefined && !ctx.vacated.has(target);
      if (existing === undefined) {
        const status = op.kind === 'delete' || (moves && (await tree.read(target)) !== undefined) ? 'already-applied' : 'missing';
        return { outcome: { ...info, status, hunks: [] }, writes: [] };
      }
      const result = applyHunks(splitLines(existing), op.hunks, fuzz, { ...ctx.match, locateFailed });
      const content = result.lines.join('');
      // As git apply: a deletion must leave nothing behind, and a rename or copy must not overwrite a file.
      const blocked = (op.kind === 'delete' && content !== '') || targetTaken;
      const status = result.failed.length || blocked ? 'conflict' : 'applied';
      let writes: OperationResult['writes'] = [];
      if (status === 'applied') {
        if (op.kind === 'delete') writes = [{ path: op.path, content: null }];
        else if (op.kind === 'modify') writes = [{ path: op.path, content, mode: op.newMode }];
        else writes = moveWrites(op, content, tree, ctx);
      }
      // A rename that conflicts stays where it was; a copy that conflicts is still written (git apply --reject), its source untouched.
      const partial =
        status === 'conflict' && !blocked && op.kind !== 'delete' ? { path: op.kind === 'copy' ? op.path : source, content } : undefined;
      return { outcome: { ...info, status, hunks: result.outcomes }, writes, partial };
    }
    default:
      return assertNever(op);
  }
}

function reverseOperation(op: FileOperation): FileOperation {
  const hunks = op.hunks.map(reverseHunk);
  switch (op.kind) {
    case 'create':
      return { kind: 'delete', path: op.path, mode: op.mode, hunks };
    case 'delete':
      return { kind: 'create', path: op.path, mode: op.mode, hunks };
    case 'rename':
      return { kind: 'rename', from: op.to, to: op.from, hunks, oldMode: op.newMode, newMode: op.oldMode };
    case 'copy':
      return { kind: 'delete', path: op.path, mode: op.newMode ?? '100644', hunks };
    case 'modify':
      return { kind: 'modify', path: op.path, hunks, oldMode: op.newMode, newMode: op.oldMode };
    default:
      return assertNever(op);
  }
}

/** True when undoing the patch applies strictly: upstream already contains the change. */
async function isAlreadyApplied(patch: Patch, tree: MemoryTree): Promise<boolean> {
  // Binary changes and copies are not undone as text: a copy's hunks do not tell its whole content.
  if (patch.operations.some((op) => op.binary || op.kind === 'copy')) return false;
  const scratch = new MemoryTree(
    (p) => tree.read(p),
    (p) => tree.originOf(p),
  );
  for (const op of patch.operations) {
    const { outcome, writes } = await applyOperation(reverseOperation(op), scratch, 0);
    if (outcome.status !== 'applied') return false;
    for (const w of writes) {
      if (w.content === null) scratch.remove(w.path);
      else scratch.write(w.path, w.content, w.mode);
    }
  }
  return true;
}

/** Each failed hunk merged alone, so one that merges is `merged` even when another hunk of the file conflicts. */
async function conflictingHunks(op: FileOperation, target: string, base: string, failedIndexes: number[]): Promise<Set<number>> {
  const conflicting = new Set<number>();
  for (const index of failedIndexes) {
    // Alone on the base, the hunk is expected at its old line: search from there, not from newStart.
    const alone = applyHunks(splitLines(base), [{ ...op.hunks[index], newStart: op.hunks[index].oldStart }], 0);
    if (alone.failed.length || (await mergeFile(target, base, alone.lines.join(''))).conflicts > 0) conflicting.add(index);
  }
  return conflicting;
}

/** No 3-way merge possible (the patch misses its own base): markers anyway, so a stopped rebase has something to resolve. */
function withRejectMarkers(
  op: FileOperation & { kind: 'modify' | 'rename' },
  tree: MemoryTree,
  failed: OperationResult,
  target: string,
): OperationResult {
  const partial = splitLines(failed.partial?.content ?? target);
  const content = rejectMarkers(
    partial,
    op.hunks,
    failed.outcome.hunks.filter((h) => h.status === 'conflict'),
  );
  const writes: OperationResult['writes'] =
    op.kind === 'rename'
      ? [
          { path: op.from, content: null },
          { path: op.to, content, mode: op.newMode ?? tree.originOf(op.from) },
        ]
      : [{ path: op.path, content, mode: op.newMode }];
  return { ...failed, writes };
}

async function mergeOperation(
  op: FileOperation & { kind: 'modify' | 'rename' },
  tree: MemoryTree,
  failed: OperationResult,
  readBase: (p: string) => Promise<string | undefined>,
): Promise<OperationResult> {
  const source = op.kind === 'rename' ? op.from : op.path;
  const [target, base] = [await tree.read(source), await readBase(source)];
  if (target === undefined || base === undefined) return failed;
  if (op.kind === 'rename' && (await tree.read(op.to)) !== undefined) return failed;
  const patchedBase = applyHunks(splitLines(base), op.hunks, 0);
  if (patchedBase.failed.length) return withRejectMarkers(op, tree, failed, target);
  const merged = await mergeFile(target, base, patchedBase.lines.join(''));
  const regions = conflictRegions(splitLines(merged.content));
  const failedIndexes = failed.outcome.hunks.filter((h) => h.status === 'conflict').map((h) => h.index);
  // One merge per failed hunk is cheap for a fork's patches; a huge diverged patch is blamed whole.
  const classify = merged.conflicts > 0 && failedIndexes.length <= 50;
  let conflicting = classify ? await conflictingHunks(op, target, base, failedIndexes) : new Set<number>();
  // Hunks that merge alone but not together (or too many to classify): blame them all rather than none.
  if (merged.conflicts > 0 && conflicting.size === 0) conflicting = new Set(failedIndexes);
  const inOrder = [...conflicting].sort((a, b) => a - b);
  const mergedLines = splitLines(merged.content);
  const hunks = failed.outcome.hunks.map((h): HunkOutcome => {
    if (h.status !== 'conflict') return h;
    const guess = h.targetLine ?? h.baseLine;
    if (!conflicting.has(h.index)) {
      const hunk = op.hunks[h.index];
      const pos = bestFit(mergedLines, newSide(hunk), guess);
      if (pos === undefined) return { index: h.index, status: 'merged', baseLine: h.baseLine };
      return { index: h.index, status: 'merged', baseLine: h.baseLine, targetLine: pos + 1, offset: pos + 1 - Math.max(hunk.newStart, 1) };
    }
    const region =
      inOrder.length === regions.length
        ? regions[inOrder.indexOf(h.index)]
        : (regions.find((r) => r.end >= guess - 3) ?? regions[regions.length - 1]);
    return { ...h, conflictRange: region };
  });
  const status = merged.conflicts === 0 ? 'applied' : 'conflict';
  const writes: OperationResult['writes'] =
    op.kind === 'rename'
      ? [
          { path: op.from, content: null },
          { path: op.to, content: merged.content, mode: op.newMode ?? tree.originOf(op.from) },
        ]
      : [{ path: op.path, content: merged.content, mode: op.newMode }];
  return { outcome: { ...failed.outcome, status, hunks }, writes, partial: failed.partial };
}

export function patchStatus(files: FileOutcome[]): PatchStatus {
  if (files.some((f) => f.status === 'conflict' || f.status === 'missing')) return 'conflict';
  const hunks = files.flatMap((f) => f.hunks);
  if (hunks.some((h) => h.status === 'fuzz' || h.status === 'merged')) return 'needs-refresh';
  if (files.length > 0 && files.every((f) => f.status === 'already-applied')) return 'already-applied';
  if (files.some((f) => f.status === 'already-applied')) return 'needs-refresh';
  if (hunks.some((h) => h.status === 'offset')) return 'offset';
  return 'clean';
}

/** Strictly (or with fuzz), else already applied, else 3-way; a conflict leaves what `options.onConflict` says. */
export async function applyPatch(patch: Patch, tree: MemoryTree, options: ApplyOptions = {}): Promise<PatchOutcome> {
  const fuzz = options.fuzz ?? 0;
  const staged = new MemoryTree(
    (p) => tree.read(p),
    (p) => tree.originOf(p),
  );
  const ctx = patchContext(patch, tree);
  let results: OperationResult[] = [];
  for (const op of patch.operations) {
    const result = await applyOperation(op, staged, fuzz, ctx, true);
    for (const w of result.writes) {
      if (w.content === null) staged.remove(w.path);
      else staged.write(w.path, w.content, w.mode);
    }
    if ((op.kind === 'rename' || op.kind === 'copy') && result.writes.length) ctx.movedInto.add(op.kind === 'rename' ? op.to : op.path);
    results.push(result);
  }
  const failed = results.some((r) => r.outcome.status === 'conflict' || r.outcome.status === 'missing');
  const base = { name: patch.name, subject: patch.header.subject };
  if (failed && (await isAlreadyApplied(patch, tree))) {
    return { ...base, status: 'already-applied', files: results.map((r) => ({ ...r.outcome, status: 'already-applied', hunks: [] })) };
  }
  if (failed) {
    const merged: OperationResult[] = [];
    for (const [i, op] of patch.operations.entries()) {
      const r = results[i];
      const canMerge =
        options.threeWayBase && !op.binary && r.outcome.status === 'conflict' && (op.kind === 'modify' || op.kind === 'rename');
      merged.push(canMerge ? await mergeOperation(op as FileOperation & { kind: 'modify' | 'rename' }, tree, r, options.threeWayBase!) : r);
    }
    results = merged;
  }
  const files = results.map((r) => r.outcome);
  const status = patchStatus(files);
  const write = (w: OperationResult['writes'][number]) =>
    w.content === null ? tree.remove(w.path) : tree.write(w.path, w.content, w.mode);
  if (status !== 'conflict') for (const r of results) r.writes.forEach(write);
  else if ((options.onConflict ?? 'markers') === 'reject') {
    for (const r of results) {
      if (r.outcome.status === 'applied') r.writes.forEach(write);
      else if (r.partial) tree.write(r.partial.path, r.partial.content);
    }
  } else if (results.some((r) => r.outcome.status === 'conflict' && r.writes.length > 0)) for (const r of results) r.writes.forEach(write);
  return { ...base, status, files };
}

const severity: PatchStatus[] = ['clean', 'offset', 'already-applied', 'needs-refresh', 'conflict'];

export function worstStatus(statuses: PatchStatus[]): PatchStatus {
  return statuses.reduce<PatchStatus>((worst, s) => (severity.indexOf(s) > severity.indexOf(worst) ? s : worst), 'clean');
}

/** A conflicting patch leaves what applies strictly (onConflict 'reject' here); later overlapping hunks get `dependsOn`. */
export async function applySeries(patches: Patch[], tree: MemoryTree, options: ApplyOptions = {}): Promise<SeriesOutcome> {
  const opts: ApplyOptions = { ...options, onConflict: options.onConflict ?? 'reject' };
  const outcomes: PatchOutcome[] = [];
  const leftOut: LeftOutRegions = new Map();
  for (const patch of patches) {
    const sources = patch.operations.map(operationSourcePath);
    const found = await Promise.all(sources.map((p) => (tree.hasChange(p) ? tree.read(p) : Promise.resolve(null))));
    const outcome = await applyPatch(patch, tree, opts);
    if (opts.onConflict === 'reject') trackLeftOutHunks(patch, outcome, leftOut);
    for (const [i, file] of outcome.files.entries()) {
      if (!file.hunks.some((h) => h.differingLines?.length)) continue;
      const release = found[i] === null ? null : await tree.readOriginal(sources[i]);
      for (const h of file.hunks) if (h.differingLines?.length) h.differingLines = withReleaseLines(h.differingLines, release, found[i]);
    }
    outcomes.push(outcome);
  }
  return { patches: outcomes, status: worstStatus(outcomes.map((o) => o.status)) };
}
