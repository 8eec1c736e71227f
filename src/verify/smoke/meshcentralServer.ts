/*
 * A patched MeshCentral run from its tree: `node meshcentral.js --datapath DIR` with a loopback
 * config.json on a free port (plus the settings the caller gives), stopped by its PID. The smoke check and the
 * end-to-end tests (test/support/meshcentral.ts) both start it through here.
 */
import type { ChildProcess } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnNode } from '../../tools/node';
import { freePort } from '../../util/freePort';

export interface MeshCentralServer {
  port: number;
  pid: number;
  datapath: string;
  /** Everything the server printed so far (stdout and stderr). */
  output(): string;
  /** Resolves when the output contains `text` (or rejects after timeoutMs, or when the server exits). */
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
  /** Start on a copy of this data folder (certificates and signed agents made already: start-up takes seconds, not a minute). */
  copyFrom?: string;
  /** Extra command-line arguments after `--datapath DIR`. */
  args?: string[];
  /** A file the output is appended to as it arrives (the smoke script reads it). */
  logFile?: string;
}

/** The line MeshCentral prints once its HTTPS server listens. */
export const HTTPS_RUNNING = 'MeshCentral HTTPS server running';

/** config.json for a loopback server: no redirect/MPS ports, no update checks. */
export function writeMeshCentralConfig(datapath: string, port: number, settings: Record<string, unknown> = {}): void {
  const config = {
    settings: {
      cert: 'localhost',
      port,
      redirPort: 0,
      mpsPort: 0,
      WANonly: true,
      exactPorts: true,
      selfUpdate: false,
      noAgentUpdate: true,
      checkUpdates: false,
      agentTimeStampServer: false,
      ...settings,
    },
    domains: { '': { title: 'meshfork' } },
  };
  writeFileSync(path.join(datapath, 'config.json'), JSON.stringify(config, null, 2));
}

/** Starts `node meshcentral.js` from a patched tree and waits until HTTPS listens. */
export async function startMeshCentral(appDir: string, options: StartOptions = {}): Promise<MeshCentralServer> {
  const datapath = options.datapath ?? mkdtempSync(path.join(os.tmpdir(), 'meshfork-mcdata-'));
  if (options.copyFrom) cpSync(options.copyFrom, datapath, { recursive: true, preserveTimestamps: true });
  const port = await freePort();
  writeMeshCentralConfig(datapath, port, options.settings);
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, ...options.env };
  const child: ChildProcess = spawnNode(['meshcentral.js', '--datapath', datapath, ...(options.args ?? [])], { cwd: appDir, env });
  let output = '';
  const waiters: (() => void)[] = [];
  const wake = (): void => {
    for (const w of waiters.splice(0)) w();
  };
  const onData = (d: Buffer): void => {
    output += d.toString('utf8');
    if (options.logFile) appendFileSync(options.logFile, d);
    wake();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      wake();
      resolve();
    }),
  );

  const waitForOutput = (text: string | RegExp, timeoutMs = 30_000): Promise<void> =>
    new Promise((resolve, reject) => {
      const deadline = setTimeout(
        () => reject(new Error(`MeshCentral did not print ${String(text)} within ${timeoutMs} ms. Output:\n${output}`)),
        timeoutMs,
      );
      const check = (): void => {
        const found = typeof text === 'string' ? output.includes(text) : text.test(output);
        if (found) {
          clearTimeout(deadline);
          resolve();
          return;
        }
        if (child.exitCode !== null || child.signalCode !== null) {
          clearTimeout(deadline);
          reject(
            new Error(`MeshCentral exited (${child.exitCode ?? child.signalCode}) before printing ${String(text)}. Output:\n${output}`),
          );
          return;
        }
        waiters.push(check);
      };
      check();
    });

  const stop = async (stopOptions: { keepData?: boolean } = {}): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      process.kill(child.pid, 'SIGINT'); // MeshCentral's own Ctrl-C handler stops it cleanly
      const killer = setTimeout(() => {
        if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
      }, 10_000);
      await exited;
      clearTimeout(killer);
    }
    if (!stopOptions.keepData) rmSync(datapath, { recursive: true, force: true });
  };

  try {
    await waitForOutput(HTTPS_RUNNING, options.timeoutMs ?? 90_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { port, pid: child.pid ?? -1, datapath, output: () => output, waitForOutput, stop };
}
