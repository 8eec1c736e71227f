/*
 * A real, throw-away PostgreSQL server for end-to-end tests: Debian's binaries (/usr/lib/postgresql/N/bin),
 * a fresh data directory in a temp folder, a free loopback port, the unix socket in the temp folder.
 * initdb and postgres refuse to run as root, so as root they run as the `postgres` system user (setpriv).
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { freePort } from '../../src/util/freePort';

/** A running test PostgreSQL; stop()/start() simulate an outage on the same port and data. */
export interface PostgresServer {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  /** Environment variables as jwt-auth.js reads them. */
  env: Record<string, string>;
  query(sql: string, params?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
  /** Fast shutdown (clients are disconnected); the data directory is kept. */
  stop(): Promise<void>;
  /** Starts again after stop(), same port and data. */
  start(): Promise<void>;
  /** Stops the server and deletes its folder. */
  destroy(): Promise<void>;
}

function postgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(path.join(root, v, 'bin', 'postgres'))) : [];
  if (versions.length === 0) {
    throw new Error(
      'PostgreSQL server binaries not found under /usr/lib/postgresql: install the Debian package `postgresql` (see .ci/run)',
    );
  }
  versions.sort((a, b) => Number(b) - Number(a));
  return path.join(root, versions[0], 'bin');
}

/** Runs as the postgres system user when we are root (postgres refuses root), as ourselves otherwise. */
function asPostgresUser(command: string, args: string[]): [string, string[]] {
  if (process.getuid?.() !== 0) return [command, args];
  return ['setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', '--', command, ...args]];
}

export { freePort };

async function waitForConnection(connect: () => Promise<void>, timeoutMs: number, log: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await connect();
      return;
    } catch (error) {
      if (Date.now() > deadline)
        throw new Error(`PostgreSQL did not accept connections within ${timeoutMs} ms: ${(error as Error).message}\n${log()}`, {
          cause: error,
        });
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** TLS for the server: certificate and key PEM files (copied into the server's folder with the modes postgres wants). */
export interface PostgresTls {
  certFile: string;
  keyFile: string;
}

export async function startPostgres(options: { tls?: PostgresTls } = {}): Promise<PostgresServer> {
  const bin = postgresBinDir();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'meshfork-pg-'));
  const dataDir = path.join(dir, 'data');
  const password = `pw-${process.pid}-${Date.now()}`;
  const passwordFile = path.join(dir, 'pwfile');
  writeFileSync(passwordFile, `${password}\n`);
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(dir, uid, gid);
    chownSync(passwordFile, uid, gid);
  }
  const [initCmd, initArgs] = asPostgresUser(path.join(bin, 'initdb'), [
    '-D',
    dataDir,
    '-U',
    'postgres',
    `--pwfile=${passwordFile}`,
    '--auth-host=scram-sha-256',
    '--auth-local=trust',
    '-E',
    'UTF8',
    '--no-sync',
  ]);
  execFileSync(initCmd, initArgs, { stdio: ['ignore', 'pipe', 'pipe'] });

  const tlsArgs: string[] = [];
  if (options.tls) {
    const cert = path.join(dir, 'server.crt');
    const key = path.join(dir, 'server.key');
    writeFileSync(cert, readFileSync(options.tls.certFile));
    writeFileSync(key, readFileSync(options.tls.keyFile), { mode: 0o600 });
    if (process.getuid?.() === 0) {
      const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
      const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
      chownSync(cert, uid, gid);
      chownSync(key, uid, gid);
    }
    tlsArgs.push('-c', 'ssl=on', '-c', `ssl_cert_file=${cert}`, '-c', `ssl_key_file=${key}`);
  }
  const port = await freePort();
  let child: ChildProcess | null = null;
  let output = '';
  const connectionConfig = { host: '127.0.0.1', port, user: 'postgres', password, database: 'postgres' };

  const start = async (): Promise<void> => {
    const [cmd, args] = asPostgresUser(path.join(bin, 'postgres'), [
      '-D',
      dataDir,
      '-p',
      String(port),
      '-k',
      dir,
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
      ...tlsArgs,
    ]);
    child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    await waitForConnection(
      async () => {
        if (child?.exitCode != null) throw new Error(`postgres exited with code ${child.exitCode}`);
        const client = new Client(connectionConfig);
        await client.connect();
        await client.end();
      },
      30000,
      () => output,
    );
  };

  const stop = async (): Promise<void> => {
    const running = child;
    child = null;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    running.kill('SIGINT'); // postgres "fast shutdown": disconnect clients, checkpoint, exit
    await exited;
  };

  await start();
  return {
    ...connectionConfig,
    env: {
      POSTGRES_HOST: '127.0.0.1',
      POSTGRES_PORT: String(port),
      POSTGRES_USER: 'postgres',
      POSTGRES_PASSWORD: password,
      POSTGRES_DB: 'postgres',
    },
    async query(sql, params = []) {
      const client = new Client(connectionConfig);
      await client.connect();
      try {
        const result = await client.query(sql, params);
        return { rows: result.rows as Record<string, unknown>[] };
      } finally {
        await client.end();
      }
    },
    stop,
    start,
    async destroy() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
