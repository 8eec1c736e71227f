/*
 * Deploying the image as App Platform does, on real parts: containers with no disk of their own (each
 * new container gets fresh anonymous volumes, removed with it) against one real PostgreSQL with TLS
 * from a private CA made here, given as an environment value; the server identity kept in that
 * database (MESHCENTRAL_IDENTITY_KEY); the real MeshAgent the release ships for linux x86-64
 * (agents/meshagent_x86-64, copied out of the image) connecting with its group's .msh and reconnecting
 * after a redeploy; and the start-up failures a platform must see as failures. Nothing is mocked.
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes, X509Certificate } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureBuilt } from '../support/cli';
import { docker, dockerOk, ensureBaseImage } from '../support/docker';
import { buildCaFile, copyProject, meshforkIn } from '../support/imageProject';
import { AGENT_SIGN_KEY, JWT_SECRET, seedTenants, TENANT_A, tokenFor, USERS } from '../support/jwtTenants';
import { httpsGet, loggedInCookie, openControl } from '../support/meshClient';
import { freePort, startPostgres, type PostgresServer } from '../support/postgres';
import { makePrivateCa, type PrivateCa } from '../support/privateCa';

jest.setTimeout(900_000);

const REPOSITORY = 'meshfork-deploy-e2e/meshcentral';
const ISSUER = 'https://dashboard.deploy.invalid';
const AUDIENCE = 'meshcentral-deploy';
const DB_USER = 'mesh_deploy';
const DB_PASSWORD = `deploy-${randomBytes(6).toString('hex')}`;
const IDENTITY_KEY = `identity-${randomBytes(24).toString('hex')}`;
const AGENT = 'meshagent_x86-64';

let tmp: string;
let image: string;
let pg: PostgresServer;
let ca: PrivateCa;
const containers: string[] = [];

const step = (what: string): void => void process.stderr.write(`[image-deploy ${new Date().toISOString()}] ${what}\n`);

function token(user: (typeof USERS)[keyof typeof USERS]): string {
  return tokenFor(user, { iss: ISSUER, aud: AUDIENCE, jti: randomBytes(12).toString('hex') });
}

/** The environment of a deployment like deploy/digitalocean-app.yaml's: PostgreSQL for everything, TLS verified against the CA given as a value. */
function deployEnv(port: number, overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string | undefined> = {
    // A certificate name with a dot: MeshCentral runs a name without one ("localhost") in LAN mode,
    // whose .msh has no server address (MeshServer=local) for an agent to connect to.
    MESHCENTRAL_URL: `https://127.0.0.1:${port}`,
    MESHCENTRAL_PORT: String(port),
    MESHCENTRAL_AGENT_PORT: '0',
    MESHCENTRAL_DATABASE: 'postgres',
    MESHCENTRAL_POSTGRES_DB: 'meshcentral_deploy',
    MESHCENTRAL_IDENTITY_KEY: IDENTITY_KEY,
    // No traffic off the machine: no agent code-signing timestamps, no agent self-updates.
    MESHCENTRAL_SETTINGS: JSON.stringify({ agentTimeStampServer: false, noAgentUpdate: true }),
    JWT_SECRET,
    AGENT_SIGN_KEY,
    JWT_ISSUER: ISSUER,
    JWT_AUDIENCE: AUDIENCE,
    POSTGRES_HOST: '127.0.0.1',
    POSTGRES_PORT: String(pg.port),
    POSTGRES_USER: DB_USER,
    POSTGRES_PASSWORD: DB_PASSWORD,
    POSTGRES_DB: 'postgres',
    POSTGRES_SSL: 'true',
    POSTGRES_SSL_CA: Buffer.from(ca.caPem).toString('base64'),
    ...overrides,
  };
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}

/** `docker run` on the host network; values travel in the client's environment (`-e NAME`), never in argv. */
function runArgs(name: string, env: Record<string, string>, extra: string[] = []): string[] {
  return ['run', '--name', name, '--network', 'host', ...Object.keys(env).flatMap((k) => ['-e', k]), ...extra, image];
}

interface Deployment {
  name: string;
  port: number;
  logs(): Promise<string>;
}

/** Starts a container and waits until MeshCentral serves, JWT Auth has tried PostgreSQL and `ready` (if given) is in the log. */
async function deploy(port: number, env: Record<string, string>, ready?: RegExp): Promise<Deployment> {
  const name = `meshfork-deploy-${process.pid}-${randomBytes(3).toString('hex')}`;
  await dockerOk(runArgs(name, env, ['-d']), { env });
  containers.push(name);
  const logs = async () => {
    const run = await docker(['logs', name]);
    return run.stdout + run.stderr;
  };
  const deadline = Date.now() + 240_000;
  for (;;) {
    const output = await logs();
    if (
      output.includes('MeshCentral HTTPS server running') &&
      /JWT Auth: PostgreSQL (connected|unreachable)/.test(output) &&
      (!ready || ready.test(output))
    )
      break;
    const state = JSON.parse(await dockerOk(['inspect', '--format', '{{json .State}}', name])) as { Running: boolean; ExitCode: number };
    if (!state.Running || Date.now() > deadline)
      throw new Error(`the container did not start MeshCentral (running ${state.Running}, exit ${state.ExitCode}):\n${output}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
  return { name, port, logs };
}

/** Removes a deployment with its anonymous volumes: what is left is only what PostgreSQL keeps. */
async function undeploy(deployment: Deployment): Promise<void> {
  await dockerOk(['rm', '--force', '--volumes', deployment.name]);
}

/** A ?token= login (retried while the series' first database connection is still being made). */
async function login(port: number, user: (typeof USERS)[keyof typeof USERS]): Promise<string> {
  let answer = await httpsGet(port, `/?token=${token(user)}`);
  for (const deadline = Date.now() + 60_000; answer.status === 401 && Date.now() < deadline;) {
    await new Promise((r) => setTimeout(r, 2000));
    answer = await httpsGet(port, `/?token=${token(user)}`);
  }
  expect(answer.status).toBe(302);
  const cookie = loggedInCookie(answer);
  expect(cookie).not.toBeNull();
  return cookie as string;
}

/** sha256 fingerprints of the root and agent-server certificates the container's MeshCentral uses. */
async function certificateHashes(deployment: Deployment): Promise<{ root: string; agentserver: string }> {
  const read = async (name: string) =>
    new X509Certificate(await dockerOk(['exec', deployment.name, 'cat', `/opt/meshcentral/meshcentral-data/${name}-cert-public.crt`]))
      .fingerprint256;
  return { root: await read('root'), agentserver: await read('agentserver') };
}

interface GroupView {
  userId: string;
  meshes: { _id: string; name: string }[];
  /** Devices of every group, with MeshCentral's connection bits (1: agent connected). */
  nodes: { _id: string; name: string; meshid: string; conn?: number }[];
}

async function groupView(port: number, cookie: string): Promise<GroupView> {
  const control = await openControl(port, { cookie });
  try {
    const userinfo = control.messages.find((m) => m.action === 'userinfo') as { userinfo: { _id: string } };
    control.send({ action: 'meshes' });
    const meshes = (await control.waitFor((m) => m.action === 'meshes')).meshes as GroupView['meshes'];
    control.send({ action: 'nodes' });
    const byMesh = (await control.waitFor((m) => m.action === 'nodes')).nodes as Record<string, GroupView['nodes']>;
    const nodes = Object.entries(byMesh).flatMap(([meshid, list]) => list.map((n) => ({ _id: n._id, name: n.name, meshid, conn: n.conn })));
    return { userId: userinfo.userinfo._id, meshes, nodes };
  } finally {
    control.close();
  }
}

async function waitForConnectedAgent(port: number, cookie: string, meshId: string, timeoutMs: number): Promise<GroupView['nodes'][number]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const view = await groupView(port, cookie);
    const connected = view.nodes.find((n) => n.meshid === meshId && ((n.conn ?? 0) & 1) === 1);
    if (connected) return connected;
    if (Date.now() > deadline) throw new Error(`no agent connected in ${meshId} within ${timeoutMs} ms: ${JSON.stringify(view.nodes)}`);
    await new Promise((r) => setTimeout(r, 2000));
  }
}

beforeAll(async () => {
  ensureBuilt();
  tmp = mkdtempSync(path.join(os.tmpdir(), 'meshfork-image-deploy-'));
  chmodSync(tmp, 0o755);
  const project = path.join(tmp, 'project');
  mkdirSync(project);
  const { sourceDateEpoch } = copyProject(project, REPOSITORY);
  const base = await ensureBaseImage();
  ca = makePrivateCa(mkdtempSync(path.join(tmp, 'ca-')));
  pg = await startPostgres({ tls: { certFile: ca.serverCertFile, keyFile: ca.serverKeyFile } });
  await seedTenants(pg);
  await pg.query(`CREATE ROLE ${DB_USER} LOGIN CREATEDB PASSWORD '${DB_PASSWORD}'`);
  await pg.query(`GRANT SELECT ON users TO ${DB_USER}`);
  step(`postgres ${pg.port} with TLS from a private CA; build`);
  const built = await meshforkIn(
    project,
    ['--json', 'build', '--frozen-lock', '--base-image', base, '--network', 'host', '--ca-file', buildCaFile()],
    { SOURCE_DATE_EPOCH: sourceDateEpoch },
  );
  if (built.exitCode !== 0) throw new Error(`meshfork build exited ${built.exitCode}:\n${built.stderr}`);
  image = (JSON.parse(built.stdout) as { imageId: string }).imageId;
  step(`built ${image}`);
}, 1_200_000);

afterAll(async () => {
  for (const name of containers) await docker(['rm', '--force', '--volumes', name]);
  if (image) await docker(['rmi', '-f', image]);
  await pg?.destroy();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test('PostgreSQL with TLS from a private CA given as PEM text (nedb mode): the JWT lookups verify against it; without it they cannot connect', async () => {
  const port = await freePort();
  const nedb = { MESHCENTRAL_DATABASE: undefined, MESHCENTRAL_POSTGRES_DB: undefined, MESHCENTRAL_IDENTITY_KEY: undefined };
  const withCa = await deploy(port, deployEnv(port, { ...nedb, POSTGRES_SSL_CA: ca.caPem }));
  expect(await withCa.logs()).toContain('JWT Auth: PostgreSQL connected');
  await login(port, USERS.amy);
  // The series' connections to the dashboard database are TLS ones.
  const ssl = await pg.query('SELECT count(*)::int AS n FROM pg_stat_ssl JOIN pg_stat_activity USING (pid) WHERE usename = $1 AND ssl', [
    DB_USER,
  ]);
  expect(ssl.rows[0].n).toBeGreaterThanOrEqual(1);
  await undeploy(withCa);

  // The fault the CA fixes: TLS on, the CA not given, the provider's certificate does not verify.
  const withoutCa = await deploy(port, deployEnv(port, { ...nedb, POSTGRES_SSL_CA: undefined }));
  expect(await withoutCa.logs()).toContain(
    'JWT Auth: PostgreSQL unreachable at start-up (reason=db-down, UNABLE_TO_VERIFY_LEAF_SIGNATURE)',
  );
  expect((await httpsGet(port, `/?token=${token(USERS.amy)}`)).status).toBe(401);
  await undeploy(withoutCa);
});

test('two deployments with no volume against the same PostgreSQL (TLS, CA as base64): same root and agent-server certificates, JWT users and groups kept, and the real MeshAgent reconnects by itself', async () => {
  const port = await freePort();
  const env = deployEnv(port);
  step('deployment 1');
  const first = await deploy(port, env, /meshfork: server identity kept in PostgreSQL \(/);
  expect(await first.logs()).toContain('meshfork: no server identity kept in PostgreSQL yet');
  // MeshCentral's own database connections are TLS ones, verified against the CA (rejectUnauthorized).
  const meshSsl = await pg.query(
    "SELECT bool_and(ssl) AS all_tls, count(*)::int AS n FROM pg_stat_ssl JOIN pg_stat_activity USING (pid) WHERE datname = 'meshcentral_deploy'",
  );
  expect(meshSsl.rows[0]).toEqual({ all_tls: true, n: expect.any(Number) });
  expect(meshSsl.rows[0].n).toBeGreaterThanOrEqual(1);
  const hashes = await certificateHashes(first);
  const cookie = await login(port, USERS.alice);
  const before = await groupView(port, cookie);
  expect(before.meshes.map((m) => m.name)).toEqual([`Tenant ${TENANT_A}`]);
  const meshId = before.meshes[0]._id;

  // The group's .msh, as the dashboard's agent download gives it, and the agent binary the release ships.
  const msh = await httpsGet(port, `/meshsettings?id=${encodeURIComponent(meshId.split('/').pop() as string)}`, { cookie });
  expect(msh.status).toBe(200);
  expect(msh.body).toContain(`MeshServer=wss://127.0.0.1:${port}/agent.ashx`);
  const serverId = /^ServerID=([0-9A-F]+)\r?$/m.exec(msh.body)?.[1];
  expect(serverId).toMatch(/^[0-9A-F]{96}$/);
  const agentDir = path.join(tmp, 'agent');
  mkdirSync(agentDir);
  const holder = (await dockerOk(['create', image])).trim();
  await dockerOk(['cp', `${holder}:/opt/meshcentral/app/agents/${AGENT}`, agentDir]);
  await dockerOk(['rm', holder]);
  chmodSync(path.join(agentDir, AGENT), 0o755);
  writeFileSync(path.join(agentDir, `${AGENT}.msh`), msh.body);
  // Runs here? (a 64-bit Linux with glibc: it prints its build and exits)
  const info = execFileSync(path.join(agentDir, AGENT), ['-info'], { cwd: agentDir, timeout: 30_000 }).toString();
  expect(info).toContain('Agent ARCHID: 6');

  let agent: ChildProcess | undefined;
  let agentOutput = '';
  try {
    agent = spawn(path.join(agentDir, AGENT), ['connect'], { cwd: agentDir, stdio: ['ignore', 'pipe', 'pipe'] });
    agent.stdout?.on('data', (d: Buffer) => (agentOutput = (agentOutput + d.toString()).slice(-4000)));
    agent.stderr?.on('data', (d: Buffer) => (agentOutput = (agentOutput + d.toString()).slice(-4000)));
    step('agent started');
    const device = await waitForConnectedAgent(port, cookie, meshId, 120_000).catch((error: Error) => {
      throw new Error(`${error.message}\nagent output:\n${agentOutput}`);
    });
    step(`agent ${device._id} connected; redeploy`);

    await undeploy(first);
    const second = await deploy(port, env, /meshfork: server identity restored from PostgreSQL \(/);
    expect(await second.logs()).not.toContain('identity kept in PostgreSQL (');
    expect(await certificateHashes(second)).toEqual(hashes);
    // JWT users and groups are MeshCentral's PostgreSQL data: the same user, the same group, the same device.
    const cookieAgain = await login(port, USERS.alice);
    const after = await groupView(port, cookieAgain);
    expect(after.userId).toBe(before.userId);
    expect(after.meshes).toEqual(before.meshes);
    const msh2 = await httpsGet(port, `/meshsettings?id=${encodeURIComponent(meshId.split('/').pop() as string)}`, { cookie: cookieAgain });
    expect(/^ServerID=([0-9A-F]+)\r?$/m.exec(msh2.body)?.[1]).toBe(serverId);
    // The agent was left running: it reconnects on its own to the new container, as the same device.
    const reconnected = await waitForConnectedAgent(port, cookieAgain, meshId, 240_000).catch((error: Error) => {
      throw new Error(`${error.message}\nagent output:\n${agentOutput}`);
    });
    expect(reconnected._id).toBe(device._id);
    step('agent reconnected');
    await undeploy(second);
  } finally {
    agent?.kill('SIGKILL');
  }

  // The control: the same deployment without MESHCENTRAL_IDENTITY_KEY makes a new identity, so the
  // hashes above stayed because the identity was kept, not because MeshCentral made the same one again.
  const third = await deploy(port, { ...env, MESHCENTRAL_IDENTITY_KEY: '' });
  expect(await third.logs()).toContain('meshfork: MESHCENTRAL_IDENTITY_KEY is not set');
  const fresh = await certificateHashes(third);
  expect(fresh.root).not.toBe(hashes.root);
  expect(fresh.agentserver).not.toBe(hashes.agentserver);
  await undeploy(third);
});

describe('start-up failures a platform sees as failures', () => {
  const runOnce = async (name: string, env: Record<string, string>, extra: string[] = []) => {
    const run = await docker(runArgs(`meshfork-deploy-${name}-${process.pid}`, env, ['--rm', ...extra]), { env });
    return run;
  };

  test('a setting MeshCentral refuses (nousers with jwtAuth) and one needing a module the image cannot install: exit 70 with the reason', async () => {
    const port = await freePort();
    const nedb = { MESHCENTRAL_DATABASE: undefined, MESHCENTRAL_POSTGRES_DB: undefined, MESHCENTRAL_IDENTITY_KEY: undefined };
    const nousers = await runOnce('nousers', deployEnv(port, { ...nedb, MESHCENTRAL_SETTINGS: JSON.stringify({ nousers: true }) }));
    expect(nousers.exitCode).toBe(70);
    expect(nousers.stderr).toMatch(
      /^meshfork: MeshCentral stopped by itself with exit \d+ before it served: .*settings\.noUsers logs everybody in without a password; it cannot be combined with settings\.jwtAuth\.$/m,
    );
    const modules = await runOnce('module', deployEnv(port, { ...nedb, MESHCENTRAL_SETTINGS: JSON.stringify({ prometheus: true }) }));
    expect(modules.exitCode).toBe(70);
    expect(modules.stderr).toMatch(
      /^meshfork: MeshCentral stopped by itself with exit \d+ before it served: ERROR: Unable to install required modules\./m,
    );
  });

  test('a data volume owned by root: exit 73 with one line naming the folder and the chown that prepares it', async () => {
    const port = await freePort();
    const volume = path.join(tmp, 'root-owned');
    mkdirSync(volume);
    chmodSync(volume, 0o755);
    const run = await runOnce('volume', deployEnv(port), ['-v', `${volume}:/opt/meshcentral/meshcentral-data`]);
    expect(run.exitCode).toBe(73);
    const data = '/opt/meshcentral/meshcentral-data';
    expect(run.stderr).toBe(
      `meshfork: cannot start MeshCentral: ${data} is owned by uid 0 and not writable by uid 10001; prepare the volume with \`chown -R 10001:10001 DIR\` on the host (a named volume: \`docker run --rm --user 0 --entrypoint chown -v VOLUME:${data} IMAGE -R 10001:10001 ${data}\`)\n`,
    );
    expect(run.stdout).toBe('');
  });
});
