import path from 'node:path';
import { applyPatch, MemoryTree, type FileReader, type PatchOutcome } from '../engine';
import { displayText } from '../series/lines';
import type { FileChange } from '../series/writer';
import { operationSourcePath, operationTargetPath, type FileOperation, type Patch } from '../series/types';
import { baseLineOf } from '../checkReport/baseLines';
import type { LoadedPatch } from './seriesState';
import type { FailureKind, Problem } from './types';

/** What one patch did to the tree: the writer's input for the up-to-date check. */
export interface AppliedPatch {
  name: string;
  changes: FileChange[];
}

export interface AppliesCheck {
  applied: AppliedPatch[]; // up to the first failure
  files?: AppliedPatch; // the files folder's pseudo-patch
  tree?: MemoryTree; // only when every patch applied
  kind?: FailureKind;
  problems: Problem[];
}

function modes(op: FileOperation): { oldMode?: string; newMode?: string } {
  switch (op.kind) {
    case 'create':
      return { newMode: op.mode };
    case 'delete':
      return { oldMode: op.mode };
    default:
      return { oldMode: op.oldMode, newMode: op.newMode ?? op.oldMode };
  }
}

async function changesOf(patch: Patch, before: Map<string, string | undefined>, tree: MemoryTree): Promise<FileChange[]> {
  return Promise.all(
    patch.operations.map(async (op): Promise<FileChange> => {
      const from = operationSourcePath(op);
      const to = operationTargetPath(op);
      return {
        oldPath: op.kind === 'create' ? null : from,
        newPath: op.kind === 'delete' ? null : to,
        oldContent: op.kind === 'create' ? null : (before.get(from) ?? ''),
        newContent: op.kind === 'delete' ? null : ((await tree.read(to)) ?? ''),
        ...modes(op),
      };
    }),
  );
}

// Already applied (drop it) or a conflict, as sync check decides; fuzz decides nothing: a hunk placed by
// ignoring context lines still has wrong context.
/** Line `line` of `file` as the patch found it, named by the base release's own line when it differs (item 5 of issue 22). */
type LineLabel = (file: string, line: number) => string;

function failureProblems(patch: Patch, strict: PatchOutcome, file: string, label: LineLabel): { kind: FailureKind; problems: Problem[] } {
  if (strict.status === 'already-applied') {
    return {
      kind: 'refresh',
      problems: [
        {
          patch: patch.name,
          file,
          message: 'the base already contains this change (the patch applies in reverse)',
          hint: 'drop it from the series (remove its line from patches/series and the file)',
        },
      ],
    };
  }
  const problems: Problem[] = [];
  strict.files.forEach((fileOutcome, i) => {
    const op = patch.operations[i];
    if (fileOutcome.status === 'missing') {
      problems.push({
        patch: patch.name,
        file,
        line: op.hunks[0]?.headerLine,
        message: `${operationSourcePath(op)} does not exist in the base`,
      });
      return;
    }
    for (const hunk of fileOutcome.hunks.filter((h) => h.status === 'conflict')) {
      const differs = hunk.differingLines?.[0];
      const source = operationSourcePath(op);
      const detail = differs
        ? `; ${label(source, differs.line)} is ${JSON.stringify(displayText(differs.actual).trim())}, the patch expects ${JSON.stringify(displayText(differs.expected).trim())}`
        : '';
      problems.push({
        patch: patch.name,
        file,
        line: op.hunks[hunk.index].headerLine,
        message: `${fileOutcome.path} hunk ${hunk.index + 1} does not apply at ${label(source, hunk.baseLine)}${detail}`,
      });
    }
  });
  return { kind: 'broken', problems };
}

function newFilesProblems(files: Patch, outcome: PatchOutcome, baseVersion: string): Problem[] {
  return outcome.files
    .filter((f) => f.status !== 'applied')
    .map((f) => ({
      patch: files.name,
      file: `${files.name}${f.path}`,
      message:
        f.status === 'already-applied'
          ? `${f.path} already exists in the base with the same bytes`
          : `${f.path} already exists in the base`,
      hint: `upstream now ships ${f.path}: delete ${files.name}${f.path} (same bytes) or rename it, then \`meshfork verify\` against ${baseVersion}`,
    }));
}

/** Strictly, patch by patch; the first that does not apply stops it (later ones build on it). The files folder goes first. */
export async function checkApplies(
  patches: LoadedPatch[],
  base: FileReader,
  patchesRel: string,
  baseVersion: string,
  files?: Patch,
): Promise<AppliesCheck> {
  const tree = new MemoryTree(base);
  const applied: AppliedPatch[] = [];
  let created: AppliedPatch | undefined;
  if (files) {
    const outcome = await applyPatch(files, tree, { fuzz: 0 });
    if (outcome.status !== 'clean') {
      const problems = newFilesProblems(files, outcome, baseVersion);
      if (patches.length) problems.push({ message: `${patches.length} patch(es) not tried: they build on the files of ${files.name}` });
      return { applied, kind: 'broken', problems };
    }
    created = { name: files.name, changes: await changesOf(files, new Map(), tree) };
  }
  const all = patches.map((p) => p.patch);
  for (const [index, { patch }] of patches.entries()) {
    const label: LineLabel = (file, line) => {
      const own = baseLineOf(all, index, file, line);
      if (own === line) return `base line ${line}`;
      return own === undefined
        ? `line ${line} (of a file an earlier patch creates)`
        : `base line ${own} (line ${line} with the earlier patches)`;
    };
    const before = new Map<string, string | undefined>();
    for (const op of patch.operations) before.set(operationSourcePath(op), await tree.read(operationSourcePath(op)));
    const outcome = await applyPatch(patch, tree, { fuzz: 0 });
    if (outcome.status === 'clean' || outcome.status === 'offset') {
      applied.push({ name: patch.name, changes: await changesOf(patch, before, tree) });
      continue;
    }
    const failure = failureProblems(patch, outcome, path.join(patchesRel, patch.name), label);
    const hint = `fix the patch so it applies to ${baseVersion}: \`meshfork sync rebase --to ${baseVersion}\` stops at it with conflict markers for you to resolve, then \`meshfork sync continue\``;
    for (const problem of failure.problems) problem.hint ??= hint;
    const later = patches.length - applied.length - 1;
    if (later > 0) failure.problems.push({ message: `${later} later patch(es) not tried: they build on ${patch.name}` });
    return { applied, files: created, kind: failure.kind, problems: failure.problems };
  }
  return { applied, files: created, tree, problems: [] };
}
