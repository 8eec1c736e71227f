import { MeshforkError } from '../errors';
import { loadExeca } from './git';

// The user's own npm, so .npmrc, proxy, CA and registry settings apply; --json makes failures {"error": {code, summary}} on stdout.

export interface NpmPackageInfo {
  versions: string[];
  time: Record<string, string>;
}

/** Where a version's tarball is and the integrity (SRI, usually sha512) it must have. */
export interface NpmDist {
  integrity: string;
  tarball: string;
}

interface NpmRun {
  stdout: string;
  stderr: string;
  exitCode: number;
}

async function runNpm(args: string[], cwd: string): Promise<NpmRun> {
  let result;
  try {
    const execa = await loadExeca();
    result = await execa('npm', args, { cwd, reject: false, stripFinalNewline: false, maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    throw new MeshforkError('TOOL_FAILED', `npm could not be started: ${(error as Error).message}`, { cause: error });
  }
  if ((result as { code?: string }).code === 'ENOENT') {
    throw new MeshforkError('TOOL_MISSING', 'npm is not installed or not on PATH', {
      hint: 'install Node.js with npm (https://nodejs.org) and run the command again',
    });
  }
  return { stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode ?? -1 };
}

// npm retries any failed request (10 s, then 60 s): a registry where nothing listens took 80 s to report. Reads run once
// without retries; only a failure that can pass (a reset, a timeout, a 5xx) is run again with npm's retries.
const nothingThereCodes = [
  'ECONNREFUSED',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
];

async function runNpmRegistryRead(args: string[], cwd: string): Promise<NpmRun> {
  const once = await runNpm([...args, '--fetch-retries=0'], cwd);
  if (once.exitCode === 0) return once;
  const { code, summary } = npmErrorCode(once);
  const passing = unreachableCodes.includes(code) || /ETIMEDOUT|EAI_AGAIN|ECONNRESET/.test(summary);
  if (nothingThereCodes.includes(code) || !passing) return once;
  return runNpm(args, cwd);
}

const unreachableCodes = [
  'ECONNREFUSED',
  'ENOTFOUND',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ERR_SOCKET_TIMEOUT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'E500',
  'E502',
  'E503',
  'E504',
];

function npmErrorCode(run: NpmRun): { code: string; summary: string } {
  const match = /\{\s*"error"[\s\S]*\}\s*$/.exec(run.stdout);
  if (match) {
    try {
      const body = JSON.parse(match[0]) as { error?: { code?: unknown; summary?: unknown } };
      return { code: String(body.error?.code ?? ''), summary: String(body.error?.summary ?? '') };
    } catch {
      // not npm's JSON; fall through to stderr
    }
  }
  const code = /npm error code (\S+)/.exec(run.stderr)?.[1] ?? '';
  return { code, summary: run.stderr.trim().split('\n').slice(-3).join(' ') };
}

function npmFailure(run: NpmRun, spec: string, what: string): MeshforkError {
  const { code, summary } = npmErrorCode(run);
  if (code === 'E404' || code === 'ETARGET') {
    return new MeshforkError('VERSION_UNKNOWN', `${spec}: not found in the npm registry (${summary})`, {
      hint: 'run `meshfork upstream list` to see the releases the registry has',
    });
  }
  if (unreachableCodes.includes(code) || /ECONNREFUSED|ENOTFOUND|ETIMEDOUT|EAI_AGAIN/.test(summary)) {
    return new MeshforkError('UPSTREAM_UNREACHABLE', `npm registry unreachable while trying to ${what} ${spec}: ${summary}`, {
      hint: 'check the network, the registry, proxy and CA settings (`npm config get registry`), then run again',
      details: { npmCode: code },
    });
  }
  return new MeshforkError('TOOL_FAILED', `npm failed to ${what} ${spec} (exit ${run.exitCode}, ${code || 'no code'}): ${summary}`, {
    hint: 'run the same npm command by hand to see the full error',
    details: { npmCode: code, stderr: run.stderr },
  });
}

function parseJson(run: NpmRun, spec: string, what: string): unknown {
  try {
    return JSON.parse(run.stdout);
  } catch (error) {
    throw new MeshforkError('TOOL_FAILED', `npm printed something that is not JSON when asked to ${what} ${spec}`, {
      cause: error,
      details: { stdout: run.stdout.slice(0, 2000) },
    });
  }
}

export async function npmViewPackage(pkg: string, cwd: string): Promise<NpmPackageInfo> {
  const run = await runNpmRegistryRead(['view', pkg, 'versions', 'time', '--json'], cwd);
  if (run.exitCode !== 0) throw npmFailure(run, pkg, 'list');
  const raw = parseJson(run, pkg, 'list');
  const body = (typeof raw === 'object' && raw !== null ? raw : {}) as { versions?: unknown; time?: unknown };
  // A package with a single version prints `versions` as a string.
  const versions = Array.isArray(body.versions) ? body.versions.map(String) : typeof body.versions === 'string' ? [body.versions] : [];
  const time: Record<string, string> = {};
  if (typeof body.time === 'object' && body.time !== null) {
    for (const [key, value] of Object.entries(body.time)) if (typeof value === 'string') time[key] = value;
  }
  return { versions, time };
}

/** VERSION_UNKNOWN when the registry lacks that version. */
export async function npmViewDist(pkg: string, version: string, cwd: string): Promise<NpmDist> {
  const spec = `${pkg}@${version}`;
  const run = await runNpmRegistryRead(['view', spec, 'dist', '--json'], cwd);
  if (run.exitCode !== 0) throw npmFailure(run, spec, 'resolve');
  // npm exits 0 and prints nothing for a version that matches no release in some npm versions.
  if (run.stdout.trim() === '')
    throw npmFailure({ ...run, stdout: '{"error":{"code":"E404","summary":"no such version"}}' }, spec, 'resolve');
  const raw = parseJson(run, spec, 'resolve') as { integrity?: unknown; tarball?: unknown };
  if (typeof raw.integrity !== 'string' || typeof raw.tarball !== 'string') {
    throw new MeshforkError('TOOL_FAILED', `npm view ${spec} dist: no dist.integrity/dist.tarball in the answer`, {
      details: { stdout: run.stdout.slice(0, 2000) },
    });
  }
  return { integrity: raw.integrity, tarball: raw.tarball };
}

export async function npmPack(pkg: string, version: string, destination: string): Promise<string> {
  const spec = `${pkg}@${version}`;
  const run = await runNpm(['pack', spec, '--pack-destination', destination, '--json', '--ignore-scripts'], destination);
  if (run.exitCode !== 0) throw npmFailure(run, spec, 'download');
  const raw = parseJson(run, spec, 'download');
  const first = Array.isArray(raw) ? (raw[0] as { filename?: unknown } | undefined) : undefined;
  if (!first || typeof first.filename !== 'string') {
    throw new MeshforkError('TOOL_FAILED', `npm pack ${spec}: the answer names no file`, {
      details: { stdout: run.stdout.slice(0, 2000) },
    });
  }
  // npm names scoped packages' files "scope-name-version.tgz" in `filename`.
  return first.filename.replace(/^@/, '').replace(/\//, '-');
}

export async function npmCacheDir(cwd: string): Promise<string | undefined> {
  const run = await runNpm(['config', 'get', 'cache'], cwd);
  const dir = run.stdout.trim();
  return run.exitCode === 0 && dir ? dir : undefined;
}

/** package-lock.json with no install or scripts; resolved URLs kept whatever the npmrc says, so the lock is the same everywhere. */
export async function npmLockOnly(dir: string): Promise<void> {
  const run = await runNpm(
    ['install', '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund', '--omit-lockfile-registry-resolved=false', '--json'],
    dir,
  );
  if (run.exitCode !== 0) throw npmFailure(run, 'the image dependencies', 'lock');
}

export async function npmInstallProduction(dir: string): Promise<void> {
  const run = await runNpm(['install', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error', '--json'], dir);
  if (run.exitCode !== 0) throw npmFailure(run, dir, 'install the dependencies of');
}
