/*
 * A real, patched MeshCentral for end-to-end tests: the series applied to a release by `meshfork apply`,
 * its npm dependencies installed (cached under .cache/meshcentral-modules by a hash of package.json),
 * then `node meshcentral.js --datapath DIR` on a free loopback port, stopped by its PID.
 */
import { REPO_ROOT as ROOT } from './release';
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureBuilt } from './cli';
import { freePort } from './postgres';

const MODULE_CACHE = path.join(ROOT, '.cache', 'meshcentral-modules');
const MESHFORK_CACHE = path.join(ROOT, '.cache', 'meshfork');

export interface PatchedRelease {
  dir: string;
  /** Deletes the tree. */
  remove(): void;
}

/**
 * The series in patches/ applied to meshcentral@version by `meshfork apply --to VERSION --out DIR`, with its
 * npm dependencies. meshfork runs in a throw-away copy of the project (config + patches) so the test never
 * writes this repository's meshfork.lock.json; the download cache is shared under .cache/ for speed.
 */
export async function patchedRelease(version: string, options: { build?: boolean } = {}): Promise<PatchedRelease> {
  if (options.build !== false) ensureBuilt(); // benchmarks pass false: `npm run bench` has just built dist/
  const parent = mkdtempSync(path.join(os.tmpdir(), `meshfork-mc-${version}-`));
  const project = path.join(parent, 'project');
  mkdirSync(project);
  for (const entry of ['meshfork.config.json', 'meshfork.schema.json', 'patches']) {
    if (existsSync(path.join(ROOT, entry))) execFileSync('cp', ['-a', path.join(ROOT, entry), project]);
  }
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
  const env: NodeJS.ProcessEnv = { ...process.env, MESHFORK_CACHE };
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
  const key = createHash('sha256').update(readFileSync(path.join(dir, 'package.json'))).digest('hex').slice(0, 16);
  const cached = path.join(MODULE_CACHE, key);
  if (!existsSync(path.join(cached, 'node_modules'))) {
    const work = `${cached}.tmp-${process.pid}-${Date.now()}`;
    mkdirSync(work, { recursive: true });
    execFileSync('cp', [path.join(dir, 'package.json'), work]);
    execFileSync('npm', ['install', '--omit=dev', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'], { cwd: work, stdio: 'pipe', timeout: 300_000 });
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

export interface MeshCentralServer {
  port: number;
  pid: number;
  datapath: string;
  /** Everything the server printed so far (stdout and stderr). */
  output(): string;
  /** Resolves when the output contains `text` (or rejects after timeoutMs). */
  waitForOutput(text: string | RegExp, timeoutMs?: number): Promise<void>;
  /** Stops the server by its PID; deletes the data folder unless keepData (to start again on it). */
  stop(options?: { keepData?: boolean }): Promise<void>;
}

export interface StartOptions {
  /** Extra config.json settings (MeshCentral lower-cases the keys itself). */
  settings?: Record<string, unknown>;
  env?: Record<string, string>;
  timeoutMs?: number;
  /** Start on the data folder of a stopped server (its config.json is rewritten with a new port). */
  datapath?: string;
}

/** config.json for a loopback test server: the settings the issue lists, plus jwtAuth on. */
function writeConfig(datapath: string, port: number, settings: Record<string, unknown> = {}): void {
  const config = {
    settings: {
      cert: 'localhost', port, redirPort: 0, mpsPort: 0, WANonly: true, exactPorts: true, selfUpdate: false,
      noAgentUpdate: true, checkUpdates: false, agentTimeStampServer: false, jwtAuth: true, ...settings,
    },
    domains: { '': { title: 'meshfork e2e' } },
  };
  writeFileSync(path.join(datapath, 'config.json'), JSON.stringify(config, null, 2));
}

/** Starts `node meshcentral.js` from a patched tree with `jwtAuth: true` and waits until HTTPS listens. */
export async function startMeshCentral(appDir: string, options: StartOptions = {}): Promise<MeshCentralServer> {
  const datapath = options.datapath ?? mkdtempSync(path.join(os.tmpdir(), 'meshfork-mcdata-'));
  const port = await freePort();
  writeConfig(datapath, port, options.settings);
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, ...options.env };
  const child: ChildProcess = spawn(process.execPath, ['meshcentral.js', '--datapath', datapath], { cwd: appDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const waiters: (() => void)[] = [];
  const onData = (d: Buffer): void => {
    output += d.toString('utf8');
    for (const w of waiters.splice(0)) w();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<void>((resolve) => child.once('exit', () => { for (const w of waiters.splice(0)) w(); resolve(); }));

  const waitForOutput = (text: string | RegExp, timeoutMs = 30_000): Promise<void> =>
    new Promise((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error(`MeshCentral did not print ${String(text)} within ${timeoutMs} ms. Output:\n${output}`)), timeoutMs);
      const check = (): void => {
        const found = typeof text === 'string' ? output.includes(text) : text.test(output);
        if (found) { clearTimeout(deadline); resolve(); return; }
        if (child.exitCode !== null || child.signalCode !== null) { clearTimeout(deadline); reject(new Error(`MeshCentral exited (${child.exitCode ?? child.signalCode}) before printing ${String(text)}. Output:\n${output}`)); return; }
        waiters.push(check);
      };
      check();
    });

  const stop = async (stopOptions: { keepData?: boolean } = {}): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      process.kill(child.pid, 'SIGINT'); // MeshCentral's own Ctrl-C handler stops it cleanly
      const killer = setTimeout(() => { if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL'); }, 10_000);
      await exited;
      clearTimeout(killer);
    }
    if (!stopOptions.keepData) rmSync(datapath, { recursive: true, force: true });
  };

  try {
    await waitForOutput('MeshCentral HTTPS server running', options.timeoutMs ?? 90_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { port, pid: child.pid ?? -1, datapath, output: () => output, waitForOutput, stop };
}

/** Starts MeshCentral and waits for it to exit on its own (start-up refusals); returns its output and exit code. */
export async function runMeshCentralUntilExit(appDir: string, options: StartOptions = {}): Promise<{ output: string; exitCode: number | null }> {
  const datapath = mkdtempSync(path.join(os.tmpdir(), 'meshfork-mcdata-'));
  const port = await freePort();
  writeConfig(datapath, port, options.settings);
  const child = spawn(process.execPath, ['meshcentral.js', '--datapath', datapath], { cwd: appDir, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString('utf8')));
  child.stderr.on('data', (d: Buffer) => (output += d.toString('utf8')));
  const timer = setTimeout(() => child.pid !== undefined && process.kill(child.pid, 'SIGKILL'), options.timeoutMs ?? 90_000);
  const exitCode = await new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  clearTimeout(timer);
  rmSync(datapath, { recursive: true, force: true });
  return { output, exitCode };
}
