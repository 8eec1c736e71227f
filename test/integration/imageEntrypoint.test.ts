/*
 * The image's entrypoint (src/image/assets/entrypoint.js, beside the fixture's render-config.js) run with node, without docker, around a
 * stand-in meshcentral.js: its exit statuses (70 when MeshCentral stops by itself, 73 on a folder the
 * user cannot write, 0 on SIGTERM) and the server identity kept in a real PostgreSQL (identity.js).
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { MINIMAL_IMAGE_ENV, stageImageScripts } from '../support/imageEnvironment';
import { startPostgres, type PostgresServer } from '../support/postgres';
import { REPO_ROOT } from '../support/release';

jest.setTimeout(120_000);

let ENTRYPOINT: string;
const IDENTITY_KEY = 'identity-key-for-the-entrypoint-test-0123456789';
let tmp: string;
let pg: PostgresServer;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'meshfork-entrypoint-'));
  chmodSync(tmp, 0o755);
  ENTRYPOINT = stageImageScripts(path.join(tmp, 'opt-meshfork'));
  pg = await startPostgres();
});
afterAll(async () => {
  await pg?.destroy();
  rmSync(tmp, { recursive: true, force: true });
});

/** A home folder like the image's: app/ with the stand-in and pg, and the three volume folders. */
function home(name: string, standIn: string): string {
  const dir = path.join(tmp, name);
  const app = path.join(dir, 'app');
  mkdirSync(path.join(app, 'node_modules'), { recursive: true });
  for (const volume of ['meshcentral-data', 'meshcentral-files', 'meshcentral-backups']) mkdirSync(path.join(dir, volume));
  symlinkSync(path.join(REPO_ROOT, 'node_modules', 'pg'), path.join(app, 'node_modules', 'pg'));
  writeFileSync(path.join(app, 'meshcentral.js'), standIn);
  return dir;
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the entrypoint; `until` ends it with SIGTERM once stdout matches. */
function run(dir: string, env: Record<string, string>, options: { until?: RegExp; command?: string[] } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const [command, ...args] = [...(options.command ?? []), process.execPath, ENTRYPOINT];
    const child = spawn(command, args, {
      env: { PATH: process.env.PATH as string, MESHFORK_APP_DIR: path.join(dir, 'app'), ...MINIMAL_IMAGE_ENV, ...env },
      cwd: dir,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (options.until?.test(stdout)) child.kill('SIGTERM');
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code, signal) => resolve({ code, stdout, stderr: signal ? `${stderr}[signal ${signal}]` : stderr }));
  });
}

// the handler before the line: the test sends SIGTERM as soon as it reads the line (under load, before a later handler)
const SERVES_UNTIL_SIGINT = `process.on('SIGINT', () => { console.log('Server Ctrl-C exit...'); process.exit(0); });
console.log('MeshCentral HTTPS server running on port 4430.');
setInterval(() => undefined, 1000);
`;

test('MeshCentral stopping by itself, even with exit 0, makes the container exit 70 with its last line as the reason', async () => {
  const dir = home('refusal', `console.log('Loading...');\nconsole.log('ERROR: Unable to install required modules.');\nprocess.exit(0);\n`);
  const result = await run(dir, {});
  expect(result.code).toBe(70);
  expect(result.stdout).toContain('ERROR: Unable to install required modules.');
  expect(result.stderr).toBe(
    'meshfork: MeshCentral stopped by itself with exit 0 before it served: ERROR: Unable to install required modules.\n',
  );
});

test('SIGTERM stops MeshCentral the Ctrl-C way and the container exits 0', async () => {
  const dir = home('sigterm', SERVES_UNTIL_SIGINT);
  const result = await run(dir, {}, { until: /server running/ });
  expect(result.code).toBe(0);
  expect(result.stdout).toContain('meshfork: SIGTERM received, stopping MeshCentral');
  expect(result.stdout).toContain('Server Ctrl-C exit...');
});

test('a volume folder the user cannot write: exit 73 and one line naming the folder, its owner and the chown to run', async () => {
  const dir = home('volume', SERVES_UNTIL_SIGINT);
  // The test runs as root (which may write anywhere): the entrypoint runs as uid 10001, as in the image.
  const asImageUser = process.getuid?.() === 0 ? ['setpriv', '--reuid=10001', '--regid=10001', '--clear-groups', '--'] : [];
  if (asImageUser.length === 0) chmodSync(path.join(dir, 'meshcentral-data'), 0o555);
  const result = await run(dir, {}, { command: asImageUser });
  expect(result.code).toBe(73);
  const data = path.join(dir, 'meshcentral-data');
  expect(result.stderr).toBe(
    `meshfork: cannot start MeshCentral: ${data} is owned by uid ${process.getuid?.()} and not writable by uid ${asImageUser.length ? 10001 : process.getuid?.()}; prepare the volume with \`chown -R 10001:10001 DIR\` on the host (a named volume: \`docker run --rm --user 0 --entrypoint chown -v VOLUME:${data} IMAGE -R 10001:10001 ${data}\`)\n`,
  );
  expect(result.stdout).not.toContain('server running');
});

describe('the server identity in PostgreSQL', () => {
  /** A stand-in that makes a root and an agent-server certificate (as MeshCentral does when it finds none), then serves. */
  const MAKES_CERTIFICATES = `const fs = require('fs'); const path = require('path'); const { execFileSync } = require('child_process');
const data = path.join(__dirname, '..', 'meshcentral-data');
for (const name of ['root', 'agentserver']) {
  if (fs.existsSync(path.join(data, name + '-cert-public.crt'))) continue;
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=' + name, '-keyout', path.join(data, name + '-cert-private.key'), '-out', path.join(data, name + '-cert-public.crt')], { stdio: 'ignore' });
}
${SERVES_UNTIL_SIGINT}`;
  const env = () => ({
    ...pg.env,
    POSTGRES_SSL: 'false',
    MESHCENTRAL_DATABASE: 'postgres',
    MESHCENTRAL_POSTGRES_DB: 'meshcentral_identity',
    MESHCENTRAL_IDENTITY_KEY: IDENTITY_KEY,
  });
  const files = (dir: string) =>
    ['root-cert-public.crt', 'root-cert-private.key', 'agentserver-cert-public.crt', 'agentserver-cert-private.key'].map((n) =>
      readFileSync(path.join(dir, 'meshcentral-data', n), 'utf8'),
    );

  test('the first start keeps what MeshCentral made (sealed, no key text in the row); a fresh folder gets the same files back', async () => {
    const first = home('identity-1', MAKES_CERTIFICATES);
    const one = await run(first, env(), { until: /server identity kept in PostgreSQL \(/ });
    expect(one.stderr).toBe('');
    expect(one.code).toBe(0);
    expect(one.stdout).toContain('meshfork: no server identity kept in PostgreSQL yet');
    // The identity lives in MeshCentral's own database (created by the entrypoint), not the dashboard's.
    expect((await pg.query("SELECT to_regclass('meshfork_identity') AS t")).rows[0].t).toBeNull();
    const client = new Client({ host: pg.host, port: pg.port, user: pg.user, password: pg.password, database: 'meshcentral_identity' });
    await client.connect();
    const kept = await client.query('SELECT sealed, files FROM meshfork_identity').finally(() => client.end());
    expect(kept.rows[0].files).toEqual([
      'agentserver-cert-private.key',
      'agentserver-cert-public.crt',
      'root-cert-private.key',
      'root-cert-public.crt',
    ]);
    const sealed = kept.rows[0].sealed as Buffer;
    expect(sealed.includes('PRIVATE KEY')).toBe(false);
    expect(sealed.includes('CERTIFICATE')).toBe(false);

    const second = home('identity-2', MAKES_CERTIFICATES);
    const two = await run(second, env(), { until: /server running/ });
    expect(two.code).toBe(0);
    expect(two.stdout).toMatch(/meshfork: server identity restored from PostgreSQL \(agentserver [0-9A-F:]{95}, root [0-9A-F:]{95}\)/);
    expect(files(second)).toEqual(files(first));

    // Another key cannot open it: exit 78 naming the variable, MeshCentral not started.
    const third = home('identity-3', MAKES_CERTIFICATES);
    const wrong = await run(third, { ...env(), MESHCENTRAL_IDENTITY_KEY: 'another-identity-key-0123456789-0123456789' });
    expect(wrong.code).toBe(78);
    expect(wrong.stderr).toBe(
      'meshfork: cannot start MeshCentral: MESHCENTRAL_IDENTITY_KEY: the identity kept in table meshfork_identity does not open with this MESHCENTRAL_IDENTITY_KEY (set the key the first deployment used)\n',
    );
    expect(wrong.stdout).not.toContain('server running');
  });
});
