/*
 * `meshfork verify` as data: a fixed list of checks, each passed, failed or skipped, each failure
 * a problem that names the patch, the file and the line.
 */

/** Why a check failed, which decides the exit code (README "Exit codes"). */
export type FailureKind =
  /** config, lock, series or patch files are wrong: exit 2 */
  | 'input'
  /** the series or the patched tree is broken: exit 1 */
  | 'broken'
  /** the series works but a patch must be refreshed (the base already has it, not what export writes): exit 3 */
  | 'refresh'
  /** a program, the upstream or a server could not be reached: exit 4 */
  | 'environment';

/** One finding: where it is, what is wrong, what to run next. */
export interface Problem {
  message: string;
  /** Patch file name as listed in the series, when the problem is in (or caused by) a patch. */
  patch?: string;
  /** File the problem is in: a patch file, a config file, or a path inside the release. */
  file?: string;
  /** 1-based line in `file`. */
  line?: number;
  hint?: string;
}

export type CheckStatus = 'pass' | 'fail' | 'skip';

/** Stable check ids, in the order verify runs them. */
export const CHECK_IDS = [
  'config',
  'series',
  'patch-headers',
  'patch-policy',
  'applies-strictly',
  'up-to-date',
  'patched-js-parses',
  'patched-package-json',
  'image-assets',
  'smoke',
] as const;
export type CheckId = (typeof CHECK_IDS)[number];

export interface CheckResult {
  id: CheckId;
  title: string;
  status: CheckStatus;
  /** Set when status is "fail". */
  kind?: FailureKind;
  /** Why the check did not run (status "skip"). */
  reason?: string;
  problems: Problem[];
}

/** The whole verify report (`meshfork --json verify`). */
export interface VerifyReport {
  schemaVersion: 1;
  base: string | null;
  ok: boolean;
  exitCode: 0 | 1 | 2 | 3 | 4;
  checks: CheckResult[];
}

export const CHECK_TITLES: Record<CheckId, string> = {
  config: 'config and lock are valid',
  series: 'series and patches/ agree',
  'patch-headers': 'every patch has a subject, a description and an upstream status',
  'patch-policy': 'patch policy: no trailing whitespace added, no generated or vendored file changed, no move-only patch',
  'applies-strictly': 'the series applies to the base strictly (exact or offset, never fuzz)',
  'up-to-date': 'exporting the applied series reproduces patches/ byte for byte',
  'patched-js-parses': 'every patched .js file parses after each patch that writes it (node --check)',
  'patched-package-json': 'the patched package.json is valid',
  'image-assets': 'the image config template renders to valid JSON from the sample environment',
  smoke: "the patched MeshCentral starts and the project's smoke script (smoke.script) passes against it",
};

/** Exit code priority: input errors stop everything (2), then broken (1), environment (4), refresh (3). */
export function exitCodeOf(checks: CheckResult[]): VerifyReport['exitCode'] {
  const kinds = new Set(checks.filter((c) => c.status === 'fail').map((c) => c.kind));
  if (kinds.has('input')) return 2;
  if (kinds.has('broken')) return 1;
  if (kinds.has('environment')) return 4;
  if (kinds.has('refresh')) return 3;
  return 0;
}

/** "patches/x.patch:12: message" style location for text output. */
export function formatWhere(problem: Problem): string {
  if (!problem.file) return problem.patch ?? '';
  return problem.line === undefined ? problem.file : `${problem.file}:${problem.line}`;
}
