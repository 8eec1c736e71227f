/*
 * JWT single sign-on, end to end on real parts: a real PostgreSQL with the dashboard's users and two
 * tenants, the patch series applied to the live base (meshfork.config.json) by `meshfork apply`, its dependencies installed, and a real
 * MeshCentral with jwtAuth on. Nothing is mocked.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PostgresServer } from '../../support/postgres';
import { startMeshCentral, MeshCentralServer, PatchedRelease } from '../../support/meshcentral';
import { controlSession, httpsGet, loggedInCookie, openControl, sessionOf } from '../../support/meshClient';
import { AGENT_SIGN_KEY, JWT_SECRET, ROOT_TENANT, TENANT_A, TENANT_B, tokenFor, USERS } from '../../support/jwtTenants';
import { startJwtStack, stopJwtStack } from '../../support/jwtStack';
import { LIVE_BASE } from '../support/liveBase';
import { liveReleaseFile } from '../support/liveRelease';

jest.setTimeout(180_000);

let pg: PostgresServer;
let release: PatchedRelease;
let server: MeshCentralServer;
const issuedTokens: string[] = [];

function token(...args: Parameters<typeof tokenFor>): string {
  const t = tokenFor(...args);
  issuedTokens.push(t);
  return t;
}

beforeAll(async () => {
  ({ pg, release, server } = await startJwtStack(LIVE_BASE));
}, 600_000);

afterAll(async () => {
  await stopJwtStack({ pg, release, server });
});

/** Logs in through /?token= and returns the Cookie header of the new session. */
async function loginCookie(user: (typeof USERS)[keyof typeof USERS]): Promise<string> {
  const answer = await httpsGet(server.port, `/?token=${token(user)}`);
  const cookie = loggedInCookie(answer);
  if (answer.status !== 302 || !cookie) throw new Error(`login of ${user.email} failed: HTTP ${answer.status}`);
  return cookie;
}

test('meshfork apply wrote the patched release, and MeshCentral logs the PostgreSQL connection', () => {
  expect(readFileSync(path.join(release.dir, 'jwt-auth.js'), 'latin1')).toContain('module.exports.CreateJwtAuth');
  // the pg MeshCentral itself installs for PostgreSQL on the live base (jwt-series.test.ts checks the pin)
  const basePg = /modules\.push\('pg@([0-9.]+)'\)/.exec(liveReleaseFile(LIVE_BASE, 'meshcentral.js'))?.[1];
  expect(basePg).toMatch(/^\d+\.\d+\.\d+$/);
  expect(JSON.parse(readFileSync(path.join(release.dir, 'package.json'), 'utf8')).dependencies.pg).toBe(basePg);
  expect(server.output()).toContain(`MeshCentral v${LIVE_BASE}`);
  expect(server.output()).toMatch(/^JWT Auth: PostgreSQL connected/m);
});

test('GET /?token= logs in: redirect without the token, a session cookie, then the logged-in app', async () => {
  const answer = await httpsGet(server.port, `/?token=${token(USERS.alice)}&viewmode=1`);
  expect(answer.status).toBe(302);
  expect(answer.headers.location).toBe('/?viewmode=1');
  expect(answer.headers['cache-control']).toBe('no-store');
  const session = sessionOf(answer);
  expect(session?.userid).toMatch(/^user\/\/~jwt:[0-9a-f]{40}$/);
  expect(session?.ip).toBe('127.0.0.1');
  const cookie = loggedInCookie(answer) as string;

  const app = await httpsGet(server.port, '/?viewmode=1', { cookie });
  expect(app.status).toBe(200);
  expect(app.body).toContain('id="logoutControl"');

  const anonymous = await httpsGet(server.port, '/');
  expect(anonymous.status).toBe(200);
  expect(anonymous.body).not.toContain('id="logoutControl"');
});

test('control.ashx with the session cookie receives userinfo for the right user, and only the tenant group', async () => {
  const cookie = await loginCookie(USERS.alice);
  const result = await controlSession(server.port, { headers: { cookie } });
  expect(result.error).toBeUndefined();
  expect(result.userinfo?.name).toBe(USERS.alice.name);
  expect(result.userinfo?.email).toBe(USERS.alice.email);
  expect(result.userinfo?.siteadmin).toBe(64); // tenant admin: no site rights beyond its group, may not create groups
  expect(result.meshes?.map((m) => m.name)).toEqual([`Tenant ${TENANT_A}`]);
});

test('control.ashx with Authorization: Bearer (and with ?jwt=) receives userinfo, no cookie needed', async () => {
  const bearer = await controlSession(server.port, { headers: { authorization: `Bearer ${token(USERS.amy)}` } });
  expect(bearer.userinfo?.name).toBe(USERS.amy.name);
  expect(bearer.meshes?.map((m) => m.name)).toEqual([`Tenant ${TENANT_A}`]);

  const query = await controlSession(server.port, { query: `jwt=${token(USERS.bob)}` });
  expect(query.userinfo?.name).toBe(USERS.bob.name);
  expect(query.meshes?.map((m) => m.name)).toEqual([`Tenant ${TENANT_B}`]);
});

test('each user sees only the device group of their own tenant; ids never collide across tenants', async () => {
  const a = await controlSession(server.port, { headers: { authorization: `Bearer ${token(USERS.amy)}` } });
  const b = await controlSession(server.port, { headers: { authorization: `Bearer ${token(USERS.bob)}` } });
  expect(a.meshes).toHaveLength(1);
  expect(b.meshes).toHaveLength(1);
  expect(a.meshes?.[0]._id).not.toBe(b.meshes?.[0]._id);
  expect(Object.keys(a.userinfo?.links ?? {})).toEqual([a.meshes?.[0]._id]);
  expect(Object.keys(b.userinfo?.links ?? {})).toEqual([b.meshes?.[0]._id]);
  expect(a.userinfo?._id).not.toBe(b.userinfo?._id);

  // Same user_id and email in another tenant would still be another MeshCentral user: the id hashes [tenant, user_id].
  expect(a.userinfo?._id).toMatch(/^user\/\/~jwt:/);
});

test('role admin in the root tenant is full site admin', async () => {
  const root = await controlSession(server.port, { headers: { authorization: `Bearer ${token(USERS.rita)}` } });
  expect(root.userinfo?.siteadmin).toBe(0xffffffff);
  expect(root.meshes?.map((m) => m.name)).toContain(`Tenant ${ROOT_TENANT}`);
  const member = await controlSession(server.port, { headers: { authorization: `Bearer ${token(USERS.amy)}` } });
  expect(member.userinfo?.siteadmin).toBe(64);
});

test('Authorization: Bearer works on plain HTTP requests', async () => {
  const app = await httpsGet(server.port, '/', { authorization: `Bearer ${token(USERS.amy)}` });
  expect(app.status).toBe(200);
  expect(app.body).toContain('id="logoutControl"');
});

test('the meshagents?meshaction= download path accepts the JWT session as before', async () => {
  const cookie = await loginCookie(USERS.alice);
  const withSession = await httpsGet(server.port, '/meshagents?meshaction=generic', { cookie });
  expect(withSession.status).toBe(200);
  expect(JSON.parse(withSession.body).username).toBe(USERS.alice.name);
  const without = await httpsGet(server.port, '/meshagents?meshaction=generic');
  expect(without.status).not.toBe(200);
});

test('PostgreSQL stopped mid-run: logins fail closed with reason db-down, then work again without restarting MeshCentral', async () => {
  await pg.stop();
  try {
    // bill has never logged in, so no cached answer can let him through.
    const refused = await httpsGet(server.port, `/?token=${token(USERS.bill)}`);
    expect(refused.status).toBe(401);
    expect(loggedInCookie(refused)).toBeNull();
    const ws = await controlSession(server.port, { headers: { authorization: `Bearer ${token(USERS.bill)}` } });
    expect(ws.userinfo).toBeUndefined();
    expect(ws.closeMessage).toEqual({ cause: 'noauth', msg: 'noauth-jwt' });
    expect(server.output()).toMatch(/JWT Auth: login refused, reason=db-down, entry=http-query/);
    // MeshCentral itself keeps serving.
    expect((await httpsGet(server.port, '/')).status).toBe(200);
  } finally {
    await pg.start();
  }
  const cookie = await loginCookie(USERS.bill);
  const session = await controlSession(server.port, { headers: { cookie } });
  expect(session.userinfo?.name).toBe(USERS.bill.name);
  expect(session.meshes?.map((m) => m.name)).toEqual([`Tenant ${TENANT_B}`]);
});

test('token values never appear in the server output', () => {
  expect(issuedTokens.length).toBeGreaterThan(5);
  const output = server.output();
  for (const t of issuedTokens) {
    expect(output).not.toContain(t);
    expect(output).not.toContain(t.split('.')[2]);
  }
});

test('a new JWT user is created the way MeshCentral creates accounts: accountcreate event, kept in its database across a restart', async () => {
  await pg.query("INSERT INTO users (user_id, email, name, role, tenant_id) VALUES ('u-carl', 'carl@a.example', 'Carl New', 'user', $1)", [
    TENANT_A,
  ]);
  const carl = { id: 'u-carl', email: 'carl@a.example', name: 'Carl New', role: 'user', tenant: TENANT_A } as const;
  const admin = await openControl(server.port, { authorization: `Bearer ${token(USERS.rita)}` });
  try {
    const login = await httpsGet(server.port, `/?token=${token(carl)}`);
    const carlId = sessionOf(login)?.userid as string;
    expect(carlId).toMatch(/^user\/\/~jwt:/);
    const created = await admin.waitFor(
      (m) =>
        m.action === 'event' &&
        (m.event as { action?: string; userid?: string }).action === 'accountcreate' &&
        (m.event as { userid?: string }).userid === carlId,
    );
    expect((created.event as { account: { email: string } }).account.email).toBe(carl.email);
  } finally {
    admin.close();
  }

  // NeDB appends to meshcentral.db asynchronously, and stopping MeshCentral kills its worker process:
  // wait until the account is on disk (that is the claim under test), then restart on the same data.
  const datapath = server.datapath;
  const deadline = Date.now() + 10_000;
  while (!readFileSync(path.join(datapath, 'meshcentral.db'), 'utf8').includes(carl.email)) {
    if (Date.now() > deadline) throw new Error('the new account never reached meshcentral.db');
    await new Promise((r) => setTimeout(r, 100));
  }
  await server.stop({ keepData: true });
  server = await startMeshCentral(release.dir, { env: { JWT_SECRET, AGENT_SIGN_KEY, ...pg.env }, datapath });
  const afterRestart = await openControl(server.port, { authorization: `Bearer ${token(USERS.rita)}` });
  try {
    afterRestart.send({ action: 'users' });
    const list = await afterRestart.waitFor((m) => m.action === 'users');
    const users = list.users as { _id: string; email?: string; name: string; links?: Record<string, { rights: number }> }[];
    const stored = users.find((u) => u.email === carl.email);
    expect(stored?.name).toBe(carl.name);
    const alice = users.find((u) => u.email === USERS.alice.email);
    expect(Object.keys(alice?.links ?? {})).toEqual(Object.keys(stored?.links ?? {})); // same tenant group, same id after the restart
  } finally {
    afterRestart.close();
  }
});
