/*
 * Run the built `bin/meshfork` as a user would: a real child process with its own cwd and
 * environment, capturing stdout, stderr and the exit code. The binary runs dist/, so tests call
 * ensureBuilt() in beforeAll (cheap when dist/ is newer than src/).
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmdirSync, rmSync, statSync, utimesSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from './release';

export const MESHFORK_BIN = path.join(REPO_ROOT, 'bin', 'meshfork');
const DIST_ENTRY = path.join(REPO_ROOT, 'dist', 'cli', 'main.js');
const BUILD_LOCK = path.join(REPO_ROOT, '.cache', 'build.lock');

export interface CliResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface CliOptions {
  /** Default: the temp folder, never the repository root (a test without `-C` must not read the live project). */
  cwd?: string;
  /** Added to a clean environment (PATH, HOME, MESHFORK_CACHE from the test process; CI and colour variables removed). */
  env?: Record<string, string | undefined>;
  input?: string;
  timeoutMs?: number;
}

/** The environment a test run starts from: no colour forcing, no CI flag, unless a test sets them. */
function baseEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of ['NO_COLOR', 'FORCE_COLOR', 'CI', 'MESHFORK_CONFIG']) delete env[key];
  return env;
}

/** Run `node bin/meshfork ...args`; never rejects on a non-zero exit code. */
export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const env = baseEnv();
  for (const [key, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [MESHFORK_BIN, ...args],
      { cwd: options.cwd ?? os.tmpdir(), env, timeout: options.timeoutMs ?? 600_000, maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        const code = error ? (error as NodeJS.ErrnoException & { code?: unknown }).code : 0;
        if (error && typeof code !== 'number') {
          reject(new Error(`meshfork ${args.join(' ')} did not run: ${error.message}\n${stderr}`));
          return;
        }
        resolve({ stdout, stderr, exitCode: typeof code === 'number' ? code : 0 });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
  });
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

function isFresh(): boolean {
  return existsSync(DIST_ENTRY) && statSync(DIST_ENTRY).mtimeMs >= newestMtime(path.join(REPO_ROOT, 'src'));
}

/**
 * Build dist/ with tsc unless it is newer than every file in src/. Parallel jest workers take a
 * lock directory so only one compiles. A tsc error fails the test that asked for the build.
 */
export function ensureBuilt(): void {
  if (isFresh()) return;
  mkdirSync(path.dirname(BUILD_LOCK), { recursive: true });
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(BUILD_LOCK);
      break;
    } catch {
      // A lock left by a killed run (a build takes well under a minute) is taken over.
      const age = Date.now() - (statSync(BUILD_LOCK, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 300_000) rmSync(BUILD_LOCK, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new Error(`timed out waiting for ${BUILD_LOCK}; remove it if no build is running`);
      else execFileSync('sleep', ['0.5']);
    }
  }
  try {
    if (isFresh()) return;
    try {
      execFileSync(process.execPath, [path.join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], {
        cwd: REPO_ROOT,
        stdio: 'pipe',
      });
      // as `npm run build`: the code stamp the check memo keys on (src/util/codeStamp.ts)
      execFileSync(process.execPath, [path.join(REPO_ROOT, 'dist', 'util', 'codeStamp.js')], { cwd: REPO_ROOT, stdio: 'pipe' });
    } catch (error) {
      // A type error fails the tests: a dist/ emitted anyway (or left from an earlier build) would test other code than src/.
      const output = error as { stdout?: Buffer; stderr?: Buffer };
      // tsc emits despite errors: mark that dist/ stale so the next test does not take it as fresh.
      if (existsSync(DIST_ENTRY)) utimesSync(DIST_ENTRY, 0, 0);
      throw new Error(`tsc -p tsconfig.build.json failed:\n${output.stdout?.toString() ?? ''}${output.stderr?.toString() ?? ''}`, {
        cause: error,
      });
    }
  } finally {
    rmdirSync(BUILD_LOCK);
  }
}
