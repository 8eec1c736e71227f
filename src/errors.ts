/** Documented process exit codes (README "Exit codes"). */
export const ExitCode = {
  ok: 0,
  conflict: 1,
  usage: 2,
  needsRefresh: 3,
  environment: 4,
  bug: 70,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * Stable error codes. Tests assert on these; never rename one, add new ones instead.
 * Each maps to the exit code the entry point uses.
 */
export const errorCodes = {
  USAGE: ExitCode.usage,
  CONFIG_INVALID: ExitCode.usage,
  CONFIG_MISSING: ExitCode.usage,
  SERIES_INVALID: ExitCode.usage,
  PATCH_INVALID: ExitCode.usage,
  PATCH_BINARY: ExitCode.usage,
  PATH_UNSAFE: ExitCode.usage,
  VERSION_UNKNOWN: ExitCode.usage,
  VERSION_OUT_OF_RANGE: ExitCode.usage,
  NO_RELEASES: ExitCode.usage,
  BASE_UNKNOWN: ExitCode.usage,
  LOCK_MISMATCH: ExitCode.usage,
  LOCK_INVALID: ExitCode.usage,
  OUTPUT_EXISTS: ExitCode.usage,
  STATE_INVALID: ExitCode.usage,
  SMOKE_SCRIPT_MISSING: ExitCode.usage,
  IMAGE_ASSETS_MISSING: ExitCode.usage,
  CONFLICT: ExitCode.conflict,
  UPSTREAM_UNREACHABLE: ExitCode.environment,
  INTEGRITY_MISMATCH: ExitCode.environment,
  CACHE_CORRUPT: ExitCode.environment,
  TOOL_MISSING: ExitCode.environment,
  TOOL_FAILED: ExitCode.environment,
  IO_FAILED: ExitCode.environment,
} as const;
export type ErrorCode = keyof typeof errorCodes;

export interface MeshforkErrorOptions {
  /** The next step for the user, usually a command to run. */
  hint?: string;
  cause?: unknown;
  /** Extra machine-readable detail, included in --json error output. */
  details?: Record<string, unknown>;
}

/** The one error class of meshfork: a stable code, a message naming the file/line/field, and a hint. */
export class MeshforkError extends Error {
  readonly code: ErrorCode;
  readonly hint?: string;
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: MeshforkErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MeshforkError';
    this.code = code;
    this.hint = options.hint;
    this.details = options.details;
  }

  get exitCode(): ExitCode {
    return errorCodes[this.code];
  }
}

export function isMeshforkError(error: unknown): error is MeshforkError {
  return error instanceof MeshforkError;
}

export function assertNever(value: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(value)}`);
}

/**
 * A full disk, wherever it surfaced: ENOSPC/EDQUOT from Node, or "No space left on device" in a
 * tool's stderr (git, tar) that a wrapper reported as something else. The entry point reports it
 * as IO_FAILED (exit 4) with a hint about space instead of the wrapper's guess.
 */
export function diskFullError(error: unknown): MeshforkError | undefined {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as NodeJS.ErrnoException).code;
    const details = isMeshforkError(e) ? JSON.stringify(e.details ?? {}) : '';
    if (
      code === 'ENOSPC' ||
      code === 'EDQUOT' ||
      /No space left on device|Disk quota exceeded|Out of diskspace/.test(e.message + details)
    ) {
      const message = isMeshforkError(error) || !(error instanceof Error) ? String((error as Error).message ?? error) : error.message;
      return new MeshforkError('IO_FAILED', `no space left on device: ${message}`, {
        hint: 'free space on that disk (or set MESHFORK_CACHE to a folder on a larger disk for the download cache), then run the command again',
        cause: error,
      });
    }
  }
  return undefined;
}
