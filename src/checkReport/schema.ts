// The single definition of --json (schemaVersion 1): the types and schemas/sync-check.schema.json are generated from it.
// Add fields, never rename or remove: consumers in CI parse this.
import { z } from 'zod';
import { SCHEMA_VERSION } from './schemaVersion';

export { SCHEMA_VERSION };

const line = z.number().int().min(0);

export const patchStatusSchema = z
  .enum(['clean', 'offset', 'needs-refresh', 'conflict', 'already-applied'])
  .describe(
    'clean: applies exactly; offset: applies at shifted lines; needs-refresh: only with fuzz or a 3-way merge; conflict: cannot be placed; already-applied: upstream already contains the change',
  );

export const hunkStatusSchema = z.enum(['exact', 'offset', 'fuzz', 'merged', 'conflict']);
export const fileStatusSchema = z.enum(['applied', 'conflict', 'already-applied', 'missing']);

export const commitSchema = z
  .object({
    commit: z.string().describe('full commit id in the upstream repository'),
    subject: z.string().describe('first line of the commit message'),
    author: z.string(),
    date: z.string().describe('author date, ISO 8601'),
  })
  .strict();

const lineEndingSchema = z.enum(['CRLF', 'LF', 'none']);

export const differingLineSchema = z
  .object({
    line: line.describe('1-based line in the file as the patch found it: the release, plus the earlier patches on that file'),
    releaseLine: line
      .nullable()
      .describe('the same line counted in the target release alone (what reports show); null when an earlier patch of the series wrote it'),
    expected: z.string().describe('what the hunk expected there (from the base release), without the line ending'),
    actual: z.string().describe('what the target release has, without the line ending'),
    difference: z
      .enum(['content', 'line-ending', 'trailing-whitespace', 'indentation', 'whitespace', 'missing'])
      .describe(
        'what differs: content, or only the line ending, trailing whitespace, indentation or other whitespace; missing: the file ends before this line',
      ),
    endings: z
      .object({ expected: lineEndingSchema, actual: lineEndingSchema })
      .strict()
      .nullable()
      .describe('for a line-ending difference: the ending on each side; else null'),
  })
  .strict();

export const hunkDependencySchema = z
  .object({
    patch: z.string().describe('the earlier patch whose hunk was left out'),
    path: z.string(),
    index: line.describe('0-based index of that hunk in its file'),
  })
  .strict();

export const hunkReportSchema = z
  .object({
    index: line.describe('0-based index of the hunk within its file'),
    status: hunkStatusSchema,
    patchLine: line.nullable().describe("line of the hunk's @@ header in the patch file"),
    oldStart: line.describe('old start line of the @@ header: the base with the earlier patches of the series applied'),
    baseLine: line.describe(
      'first line of the hunk in the base release itself (oldStart mapped back through the earlier patches on the file)',
    ),
    baseLines: line.describe('number of base lines the hunk covers'),
    targetLine: line
      .nullable()
      .describe(
        'placed hunks: where the new side begins in the patched file, counting earlier hunks, as git apply -v prints it; conflicts: where the old side fits best in the file as the patch found it',
      ),
    offset: z.number().int().nullable().describe("targetLine - the @@ new start line (git apply -v's offset), for placed hunks"),
    fuzz: line.nullable().describe('context lines ignored, for status fuzz'),
    conflictRange: z.object({ start: line, end: line }).strict().nullable().describe('conflict region in the merged target file'),
    differingLines: z.array(differingLineSchema).describe('for conflicts: target lines that differ from the hunk'),
    culprits: z
      .array(commitSchema)
      .nullable()
      .describe(
        'upstream commits between base and target that touched these lines; null when the upstream has no history (npm) or the hunk applied',
      ),
    lackedBaseCommits: z
      .array(commitSchema)
      .nullable()
      .describe(
        'a target that does not descend from the base (branched from an older tag): commits of the base that the target lacks and that touched these lines, so these lines differ because the target never got them; [] when the target descends from the base; null when the upstream has no history (npm) or the hunk applied',
      ),
    dependsOn: z
      .array(hunkDependencySchema)
      .describe('conflicting hunks of earlier patches, left out, whose lines this hunk overlaps: resolve those first'),
  })
  .strict();

export const fileReportSchema = z
  .object({
    path: z.string().describe('path the operation writes'),
    from: z.string().nullable().describe('source path of a rename or copy'),
    kind: z.enum(['modify', 'create', 'delete', 'rename', 'copy']),
    status: fileStatusSchema,
    hunks: z.array(hunkReportSchema),
    culprits: z
      .array(commitSchema)
      .nullable()
      .describe(
        'for a file missing from the release (status missing): the upstream commits between base and the release that deleted or renamed it; null otherwise and for an npm upstream',
      ),
    renamedTo: z.string().nullable().describe('for a missing file: where the deleting commit moved it, when git sees a rename; else null'),
  })
  .strict();

export const patchReportSchema = z
  .object({
    name: z.string().describe('patch file name, as listed in series'),
    subject: z.string(),
    status: patchStatusSchema,
    files: z.array(fileReportSchema),
  })
  .strict();

export const statusCountsSchema = z
  .object({ clean: line, offset: line, 'needs-refresh': line, conflict: line, 'already-applied': line })
  .strict()
  .describe('number of patches per status');

export const releaseReportSchema = z
  .object({
    version: z.string(),
    identity: z.string().nullable().describe('npm sha512 integrity or git commit of the release'),
    inSupports: z.boolean().describe('false only when checked with --ignore-range'),
    status: patchStatusSchema.describe('worst patch status: conflict > needs-refresh > already-applied > offset > clean'),
    exitCode: z.union([z.literal(0), z.literal(1), z.literal(3)]),
    counts: statusCountsSchema,
    patches: z.array(patchReportSchema),
    securityCommits: z
      .array(commitSchema)
      .nullable()
      .describe('commits between base and this release whose message mentions security, CVE or vulnerability; null for an npm upstream'),
  })
  .strict();

export const syncCheckReportSchema = z
  .object({
    schemaVersion: z.literal(SCHEMA_VERSION),
    upstream: z.object({ kind: z.enum(['npm', 'git']), source: z.string().describe('npm package name or git URL') }).strict(),
    base: z.string().describe('the release the series is made on (config "base")'),
    supports: z.string().describe('config "supports" range'),
    newest: z.string().nullable().describe('newest upstream release inside supports; null with --to (the release list is not fetched)'),
    mode: z.enum(['newest', 'to', 'all']).describe('newest: the default; to: --to VERSION; all: --all'),
    fuzz: line.describe('--fuzz used for every release'),
    upToDate: z
      .boolean()
      .describe(
        'true when the default or --all found no release in supports newer than the base; releases then holds the base itself, checked; always false with --to',
      ),
    baseChecked: z.boolean().describe('true when releases[0] is the base itself, checked because no newer release exists'),
    status: patchStatusSchema.describe('worst status over every checked release'),
    exitCode: z.union([z.literal(0), z.literal(1), z.literal(3)]).describe('the process exit code'),
    next: z
      .string()
      .nullable()
      .describe(
        'the next command to run, e.g. meshfork sync rebase --to 1.1.56; null when the newest checked release is not newer than the base or is outside supports',
      ),
    releases: z.array(releaseReportSchema).describe('one entry per checked release, ascending'),
  })
  .strict();

export type PatchStatus = z.infer<typeof patchStatusSchema>;
export type UpstreamCommit = z.infer<typeof commitSchema>;
export type HunkReport = z.infer<typeof hunkReportSchema>;
export type FileReport = z.infer<typeof fileReportSchema>;
export type PatchReport = z.infer<typeof patchReportSchema>;
export type StatusCounts = z.infer<typeof statusCountsSchema>;
export type ReleaseReport = z.infer<typeof releaseReportSchema>;
export type SyncCheckReport = z.infer<typeof syncCheckReportSchema>;
