import path from 'node:path';
import { isMeshforkError, type ErrorCode } from '../errors';
import type { FailureKind, Problem } from './types';

/** "/abs/project/patches/x.patch:12: msg" -> file, line and message, for problems made from errors. */
export function problemFromError(error: unknown, root: string): Problem {
  if (!isMeshforkError(error)) throw error;
  const match = /^(\/[^:\n]+?)(?::(\d+))?(?::\d+)?: ([\s\S]*)$/.exec(error.message);
  const problem: Problem = match
    ? { file: relativeTo(root, match[1]), line: match[2] === undefined ? undefined : Number(match[2]), message: match[3] }
    : { message: error.message };
  if (error.hint) problem.hint = error.hint;
  if (problem.file?.endsWith('.patch') || problem.file?.endsWith('.diff')) problem.patch = path.basename(problem.file);
  return problem;
}

/** Which kind of failure an error stands for (errors.ts exit codes: 2 input, 4 environment). */
export function failureKindOf(error: unknown): FailureKind {
  if (!isMeshforkError(error)) throw error;
  const environment: ErrorCode[] = [
    'UPSTREAM_UNREACHABLE',
    'INTEGRITY_MISMATCH',
    'CACHE_CORRUPT',
    'TOOL_MISSING',
    'TOOL_FAILED',
    'IO_FAILED',
  ];
  return environment.includes(error.code) ? 'environment' : 'input';
}

export function relativeTo(root: string, file: string): string {
  const rel = path.relative(root, file);
  return rel.startsWith('..') || path.isAbsolute(rel) ? file : rel;
}
