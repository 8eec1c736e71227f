/*
 * A real, patched MeshCentral for end-to-end tests: the series applied to a release by `meshfork apply`,
 * its npm dependencies installed (cached under .cache/meshcentral-modules by a hash of package.json),
 * then `node meshcentral.js --datapath DIR` on a free loopback port, stopped by its PID.
 */
import { REPO_ROOT as ROOT } from './release';
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureBuilt } from './cli';
import { freePort } from './postgres';
import { SHARED_CACHE } from './cache';
import { BASE_SETTINGS } from './jwtTenants';
import {
  startMeshCentral as startSmokeServer,
  writeMeshCentralConfig,
  type MeshCentralServer,
  type StartOptions as SmokeStartOptions,
} from '../../src/verify/smoke/meshcentralServer';

const MODULE_CACHE = path.join(ROOT, '.cache', 'meshcentral-modules');

export interface PatchedRelease {
  dir: string;
  /** Deletes the tree. */
  remove(): void;
}

/**
 * The series of `options.project` (a folder holding meshfork.config.json and patches/, and files/ when the
 * series has one) applied to meshcentral@version by `meshfork apply --to VERSION --out DIR`, with its npm
 * dependencies. meshfork runs in a throw-away copy of the project so the test never writes the project's
 * meshfork.lock.json; the download cache is shared under .cache/ for speed. The caller names the project:
 * the payload's tests pass the live one (test/payload/support/liveProject.ts), the tool's a fixture.
 */
export async function patchedRelease(
  version: string,
  options: { project: string; build?: boolean; patches?: string },
): Promise<PatchedRelease> {
  if (options.build !== false) ensureBuilt(); // benchmarks pass false: `npm run bench` has just built dist/
  const parent = mkdtempSync(path.join(os.tmpdir(), `meshfork-mc-${version}-`));
  const project = path.join(parent, 'project');
  mkdirSync(project);
  execFileSync('cp', ['-a', path.join(options.project, 'meshfork.config.json'), project]);
  // options.patches: another series folder (the bench measures an earlier series beside today's)
  execFileSync('cp', ['-a', options.patches ?? path.join(options.project, 'patches'), path.join(project, 'patches')]);
  // the payload's new files (config "files"); an earlier series from options.patches still creates them itself
  const files = path.join(options.project, 'files');
  if (!options.patches && existsSync(files)) execFileSync('cp', ['-a', files, path.join(project, 'files')]);
  const dir = path.join(parent, 'meshcentral');
  const result = await runMeshfork(['apply', '--to', version, '--out', dir], project);
  if (result.exitCode !== 0) {
    rmSync(parent, { recursive: true, force: true });
    throw new Error(`meshfork apply --to ${version} failed (exit ${result.exitCode}):\n${result.output}`);
  }
  installDependencies(dir);
  return { dir, remove: () => rmSync(parent, { recursive: true, force: true }) };
}

/** `node bin/meshfork ...args` in cwd with the shared download cache; never rejects on a non-zero exit. */
function runMeshfork(args: string[], cwd: string): Promise<{ exitCode: number; output: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, MESHFORK_CACHE: SHARED_CACHE };
  delete env.CI;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'meshfork'), ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (output += d.toString('utf8')));
    child.once('exit', (code) => resolve({ exitCode: code ?? -1, output }));
  });
}

/** `npm install --omit=dev` once per distinct package.json; later trees get hard links to the cached node_modules. */
export function installDependencies(dir: string): void {
  const key = createHash('sha256')
    .update(readFileSync(path.join(dir, 'package.json')))
    .digest('hex')
    .slice(0, 16);
  const cached = path.join(MODULE_CACHE, key);
  if (!existsSync(path.join(cached, 'node_modules'))) {
    const work = `${cached}.tmp-${process.pid}-${Date.now()}`;
    mkdirSync(work, { recursive: true });
    execFileSync('cp', [path.join(dir, 'package.json'), work]);
    execFileSync('npm', ['install', '--omit=dev', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'], {
      cwd: work,
      stdio: 'pipe',
      timeout: 300_000,
    });
    try {
      renameSync(work, cached);
    } catch {
      rmSync(work, { recursive: true, force: true }); // another worker cached the same package.json first
    }
  }
  try {
    execFileSync('cp', ['-al', path.join(cached, 'node_modules'), path.join(dir, 'node_modules')], { stdio: 'pipe' });
  } catch {
    // hard links cannot cross file systems (the temp dir may be on another one): copy instead
    rmSync(path.join(dir, 'node_modules'), { recursive: true, force: true });
    execFileSync('cp', ['-a', path.join(cached, 'node_modules'), path.join(dir, 'node_modules')]);
  }
}

export type { MeshCentralServer } from '../../src/verify/smoke/meshcentralServer';

/** What a test may pass: the smoke check's options (settings go on top of the e2e tenants' BASE_SETTINGS). */
export type StartOptions = SmokeStartOptions;

/** The smoke check's MeshCentral (src/verify/smoke), with jwtAuth's issuer, audience and root tenant of the e2e tests. */
export function startMeshCentral(appDir: string, options: StartOptions = {}): Promise<MeshCentralServer> {
  return startSmokeServer(appDir, { ...options, settings: { ...BASE_SETTINGS, ...options.settings } });
}

/** Starts MeshCentral and waits for it to exit on its own (start-up refusals); returns its output and exit code. */
export async function runMeshCentralUntilExit(
  appDir: string,
  options: StartOptions = {},
): Promise<{ output: string; exitCode: number | null }> {
  const datapath = options.datapath ?? mkdtempSync(path.join(os.tmpdir(), 'meshfork-mcdata-'));
  if (options.copyFrom) execFileSync('cp', ['-a', `${options.copyFrom}/.`, datapath]);
  const port = await freePort();
  writeMeshCentralConfig(datapath, port, { ...BASE_SETTINGS, ...options.settings });
  const child = spawn(process.execPath, ['meshcentral.js', '--datapath', datapath, ...(options.args ?? [])], {
    cwd: appDir,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString('utf8')));
  child.stderr.on('data', (d: Buffer) => (output += d.toString('utf8')));
  const timer = setTimeout(() => child.pid !== undefined && process.kill(child.pid, 'SIGKILL'), options.timeoutMs ?? 90_000);
  const exitCode = await new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  clearTimeout(timer);
  if (options.datapath === undefined) rmSync(datapath, { recursive: true, force: true });
  return { output, exitCode };
}
