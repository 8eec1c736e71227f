/*
 * The JWT attack suite against a real patched MeshCentral 1.1.55 and a real PostgreSQL: every case must be
 * refused on every entry point (no logged-in session cookie, WebSocket closed before any user info) and
 * logged with its reason code. Issuer and audience checks are configured on this server.
 */
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import jwt from 'jsonwebtoken';
import { freePort, PostgresServer } from '../support/postgres';
import { runMeshCentralUntilExit, startMeshCentral, MeshCentralServer, PatchedRelease } from '../support/meshcentral';
import { controlSession, httpsGet, loggedInCookie } from '../support/meshClient';
import { AGENT_SIGN_KEY, b64url, JWT_SECRET, TENANT_A, TENANT_B, USERS } from '../support/jwtTenants';
import { startJwtStack, stopJwtStack } from '../support/jwtStack';

jest.setTimeout(180_000);

const ISSUER = 'https://dashboard.example';
const AUDIENCE = 'meshcentral';

let pg: PostgresServer;
let release: PatchedRelease;
let server: MeshCentralServer;

beforeAll(async () => {
  ({ pg, release, server } = await startJwtStack('1.1.55', { jwtAuthIssuer: ISSUER, jwtAuthAudience: AUDIENCE, jwtAuthCacheSeconds: 1 }));
}, 600_000);

afterAll(async () => {
  await stopJwtStack({ pg, release, server });
});

const now = (): number => Math.floor(Date.now() / 1000);

/** Claims of a valid token for amy on this server (issuer and audience included). */
function claims(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { email: USERS.amy.email, tenant_id: USERS.amy.tenant, iss: ISSUER, aud: AUDIENCE, iat: now(), exp: now() + 3600, ...extra };
}

/** Signs exactly these claims (jsonwebtoken keeps a given iat; noTimestamp would delete it). */
function sign(payload: Record<string, unknown>, key: jwt.Secret = JWT_SECRET, algorithm: jwt.Algorithm = 'HS256'): string {
  return jwt.sign(payload, key, { algorithm });
}

function without(key: string): Record<string, unknown> {
  const c = claims();
  delete c[key];
  return c;
}

/** Token built by hand: any header, any payload, any signature. */
function forged(header: unknown, payload: unknown, signature = ''): string {
  return `${b64url(header)}.${b64url(payload)}.${signature}`;
}

function tamperedPayload(): string {
  const [header, , signature] = sign(claims()).split('.');
  return `${header}.${b64url(claims({ email: USERS.alice.email }))}.${signature}`;
}

function serverPublicKeyPem(): string {
  const cert = readFileSync(path.join(server.datapath, 'webserver-cert-public.crt'), 'utf8');
  return createPublicKey(cert).export({ type: 'spki', format: 'pem' }).toString();
}

interface AttackCase {
  name: string;
  token: () => string;
  /** Reason code the server must log; null when the request never reaches MeshCentral (HTTP 431). */
  reason: string | null;
}

const cases: AttackCase[] = [
  { name: 'alg: none, empty signature', token: () => forged({ alg: 'none', typ: 'JWT' }, claims()), reason: 'bad-algorithm' },
  { name: 'alg: NONE with a signature', token: () => forged({ alg: 'NONE', typ: 'JWT' }, claims(), 'c2ln'), reason: 'bad-algorithm' },
  { name: 'HS256 signed with a different secret', token: () => sign(claims(), 'another-secret-that-is-long-enough-0123456789'), reason: 'bad-signature' },
  { name: 'RS256 token signed with an attacker RSA key', token: () => sign(claims(), generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), 'RS256'), reason: 'bad-algorithm' },
  { name: 'RS256/HS256 confusion: HMAC keyed with the server public key', token: () => sign(claims(), serverPublicKeyPem()), reason: 'bad-signature' },
  { name: 'HS512 with the right secret while HS256 is pinned', token: () => sign(claims(), JWT_SECRET, 'HS512'), reason: 'bad-algorithm' },
  { name: 'expired', token: () => sign(claims({ iat: now() - 7200, exp: now() - 3600 })), reason: 'expired' },
  { name: 'nbf in the future', token: () => sign(claims({ nbf: now() + 3600 })), reason: 'not-yet-valid' },
  { name: 'iat in the future', token: () => sign(claims({ iat: now() + 3600, exp: now() + 7200 })), reason: 'not-yet-valid' },
  { name: 'no exp', token: () => sign(without('exp')), reason: 'no-exp' },
  { name: 'no iat and an exp 48 h away', token: () => jwt.sign({ ...without('iat'), exp: now() + 48 * 3600 }, JWT_SECRET, { algorithm: 'HS256', noTimestamp: true }), reason: 'lifetime' },
  { name: 'lifetime over the 24 h maximum', token: () => sign(claims({ exp: now() + 48 * 3600 })), reason: 'lifetime' },
  { name: 'wrong issuer', token: () => sign(claims({ iss: 'https://evil.example' })), reason: 'wrong-issuer' },
  { name: 'no issuer while one is configured', token: () => sign(without('iss')), reason: 'wrong-issuer' },
  { name: 'wrong audience', token: () => sign(claims({ aud: 'another-app' })), reason: 'wrong-audience' },
  { name: 'email of tenant A with tenant_id of tenant B', token: () => sign(claims({ email: USERS.alice.email, tenant_id: TENANT_B })), reason: 'wrong-tenant' },
  { name: 'deleted user', token: () => sign(claims({ email: USERS.dora.email, tenant_id: USERS.dora.tenant })), reason: 'deleted-user' },
  { name: 'unknown user', token: () => sign(claims({ email: 'nobody@a.example', tenant_id: TENANT_A })), reason: 'unknown-user' },
  { name: "SQL injection in email: alice@a.example'--", token: () => sign(claims({ email: "alice@a.example'--", tenant_id: TENANT_A })), reason: 'unknown-user' },
  { name: "SQL injection in email with spaces: ' OR '1'='1", token: () => sign(claims({ email: "x@a.example' OR '1'='1", tenant_id: TENANT_A })), reason: 'bad-claims' },
  { name: "SQL injection in tenant_id: ' OR '1'='1", token: () => sign(claims({ email: USERS.alice.email, tenant_id: "tenant-a' OR '1'='1" })), reason: 'wrong-tenant' },
  { name: 'SQL injection in tenant_id: DROP TABLE users', token: () => sign(claims({ email: USERS.alice.email, tenant_id: "'; DROP TABLE users; --" })), reason: 'wrong-tenant' },
  { name: 'email claim that is not a string', token: () => sign(claims({ email: [USERS.alice.email] })), reason: 'bad-claims' },
  { name: 'token signed with AGENT_SIGN_KEY', token: () => sign(claims(), AGENT_SIGN_KEY), reason: 'agent-token' },
  { name: 'payload swapped under a valid signature', token: tamperedPayload, reason: 'bad-signature' },
  { name: 'malformed: two parts', token: () => sign(claims()).split('.').slice(0, 2).join('.'), reason: 'malformed' },
  { name: 'malformed: bad base64 in the header', token: () => `e*yJ!hbGc.${sign(claims()).split('.').slice(1).join('.')}`, reason: 'malformed' },
  { name: 'malformed: header that is not JSON', token: () => `${b64url('not json')}.${sign(claims()).split('.').slice(1).join('.')}`, reason: 'malformed' },
  { name: 'huge token (1 MB)', token: () => `${sign(claims())}${'A'.repeat(1024 * 1024)}`, reason: null },
];

/** Waits until the output written after `mark` contains `text` (log lines arrive through a pipe). */
async function expectLogged(mark: number, text: string): Promise<void> {
  const deadline = Date.now() + 3000;
  while (!server.output().slice(mark).includes(text)) {
    if (Date.now() > deadline) throw new Error(`server did not log "${text}"; it logged:\n${server.output().slice(mark)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('the suite has at least 20 distinct refused cases', () => {
  expect(new Set(cases.map((c) => c.name)).size).toBeGreaterThanOrEqual(20);
});

test('control: a valid token with issuer and audience is accepted on this server', async () => {
  const answer = await httpsGet(server.port, `/?token=${sign(claims())}`);
  expect(answer.status).toBe(302);
  expect(loggedInCookie(answer)).not.toBeNull();
  const ws = await controlSession(server.port, { headers: { authorization: `Bearer ${sign(claims())}` } });
  expect(ws.userinfo?.name).toBe(USERS.amy.name);
});

test.each(cases)('refused: $name', async ({ token: makeToken, reason }) => {
  const token = makeToken();
  const mark = server.output().length;

  const query = await httpsGet(server.port, `/?token=${encodeURIComponent(token)}`).catch((e: Error) => ({ status: -1, error: e.message, setCookies: [] as string[], headers: {}, body: '' }));
  expect(query.status === 401 || (reason === null && (query.status === 431 || query.status === -1))).toBe(true);
  expect(loggedInCookie(query)).toBeNull();

  const bearer = await httpsGet(server.port, '/', { authorization: `Bearer ${token}` }).catch(() => ({ status: -1, setCookies: [] as string[], headers: {} as Record<string, string>, body: '' }));
  expect(bearer.status === 401 || (reason === null && (bearer.status === 431 || bearer.status === -1))).toBe(true);
  expect(loggedInCookie(bearer)).toBeNull();
  if (bearer.status === 401) expect(bearer.headers['www-authenticate']).toBe('Bearer error="invalid_token"');

  const ws = await controlSession(server.port, { headers: { authorization: `Bearer ${token}` } });
  expect(ws.userinfo).toBeUndefined();
  expect(ws.meshes).toBeUndefined();
  if (reason !== null) expect(ws.closeMessage).toEqual({ cause: 'noauth', msg: 'noauth-jwt' });
  else expect(ws.error ?? ws.closeMessage).toBeDefined();

  if (reason !== null) {
    await expectLogged(mark, `reason=${reason}, entry=http-query`);
    await expectLogged(mark, `reason=${reason}, entry=http-bearer`);
    await expectLogged(mark, `reason=${reason}, entry=websocket`);
  }
});

test('a user deleted in the dashboard is refused once the user cache (1 s here, 60 s at most) has expired', async () => {
  expect((await httpsGet(server.port, `/?token=${sign(claims())}`)).status).toBe(302); // amy, now cached
  await pg.query('UPDATE users SET deleted_at = now() WHERE user_id = $1', [USERS.amy.id]);
  try {
    await new Promise((r) => setTimeout(r, 1500));
    const mark = server.output().length;
    const answer = await httpsGet(server.port, `/?token=${sign(claims())}`);
    expect(answer.status).toBe(401);
    expect(loggedInCookie(answer)).toBeNull();
    await expectLogged(mark, 'reason=deleted-user, entry=http-query');
  } finally {
    await pg.query('UPDATE users SET deleted_at = NULL WHERE user_id = $1', [USERS.amy.id]);
  }
});

test('SQL injection attempts left the users table intact', async () => {
  const { rows } = await pg.query('SELECT count(*)::int AS n FROM users');
  expect(rows[0].n).toBe(Object.keys(USERS).length);
});

test('WebSockets do not take ?token= (2FA codes use it there): a valid JWT in ?token= opens no session', async () => {
  const ws = await controlSession(server.port, { query: `token=${sign(claims())}` });
  expect(ws.userinfo).toBeUndefined();
  expect(ws.closeMessage?.cause).toBe('noauth');
});

test('relay WebSockets (meshrelay.ashx) close on a refused ?jwt= or Bearer token too', async () => {
  const expired = sign(claims({ exp: now() - 3600, iat: now() - 7200 }));
  const mark = server.output().length;
  const viaQuery = await controlSession(server.port, { path: 'meshrelay.ashx', query: `jwt=${expired}` });
  const viaBearer = await controlSession(server.port, { path: 'meshrelay.ashx', headers: { authorization: `Bearer ${sign(claims(), 'wrong-secret-0123456789-0123456789-abc')}` } });
  expect(viaQuery.closeMessage).toEqual({ cause: 'noauth', msg: 'noauth-jwt' });
  expect(viaBearer.closeMessage).toEqual({ cause: 'noauth', msg: 'noauth-jwt' });
  await expectLogged(mark, 'reason=expired, entry=websocket, ip=127.0.0.1');
  await expectLogged(mark, 'reason=bad-signature, entry=websocket, ip=127.0.0.1');
});

test('a refused Bearer token closes the WebSocket even when a valid session cookie comes with it', async () => {
  const login = await httpsGet(server.port, `/?token=${sign(claims())}`);
  const cookie = loggedInCookie(login) as string;
  expect(cookie).not.toBeNull();
  const ws = await controlSession(server.port, { headers: { cookie, authorization: `Bearer ${sign(claims({ exp: now() - 3600, iat: now() - 7200 }))}` } });
  expect(ws.userinfo).toBeUndefined();
  expect(ws.closeMessage).toEqual({ cause: 'noauth', msg: 'noauth-jwt' });
});

test('no token value from the suite appears in the server output', () => {
  const output = server.output();
  expect(output).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/); // nothing that looks like a JWT
});

describe('start-up', () => {
  test('PostgreSQL unreachable at start: MeshCentral runs, says so, and refuses JWT logins with db-down', async () => {
    const closedPort = String(await freePort());
    const down = await startMeshCentral(release.dir, { env: { JWT_SECRET, ...pg.env, POSTGRES_PORT: closedPort } });
    try {
      await down.waitForOutput(/JWT Auth: PostgreSQL unreachable at start-up \(reason=db-down, ECONNREFUSED\)/);
      expect(down.output()).not.toContain('JWT Auth: PostgreSQL connected');
      const answer = await httpsGet(down.port, `/?token=${sign(claims())}`);
      expect(answer.status).toBe(401);
      expect(loggedInCookie(answer)).toBeNull();
      await down.waitForOutput('reason=db-down, entry=http-query');
      expect((await httpsGet(down.port, '/')).status).toBe(200);
    } finally {
      await down.stop();
    }
  });

  test('a database without the users table: logged as db-error at start and on login', async () => {
    await pg.query('CREATE DATABASE empty_db');
    const empty = await startMeshCentral(release.dir, { env: { JWT_SECRET, ...pg.env, POSTGRES_DB: 'empty_db' } });
    try {
      await empty.waitForOutput(/JWT Auth: PostgreSQL answered but the users table is not usable \(reason=db-error, 42P01/);
      const answer = await httpsGet(empty.port, `/?token=${sign(claims())}`);
      expect(answer.status).toBe(401);
      await empty.waitForOutput('reason=db-error, entry=http-query');
    } finally {
      await empty.stop();
    }
  });
});

describe('start-up refusals', () => {
  test('jwtAuth on without JWT_SECRET: MeshCentral stops with a clear message', async () => {
    const { output, exitCode } = await runMeshCentralUntilExit(release.dir, { env: { ...pg.env } });
    expect(output).toContain('ERROR: JWT Auth: JWT_SECRET is not set');
    expect(output).not.toContain('MeshCentral HTTPS server running');
    expect(exitCode).toBe(0); // exited on its own, like MeshCentral's other fatal configuration errors
  });

  test('a JWT_SECRET shorter than 32 bytes is refused', async () => {
    const { output, exitCode } = await runMeshCentralUntilExit(release.dir, { env: { ...pg.env, JWT_SECRET: 'short-secret' } });
    expect(output).toContain('ERROR: JWT Auth: JWT_SECRET is shorter than 32 bytes');
    expect(output).not.toContain('short-secret');
    expect(output).not.toContain('MeshCentral HTTPS server running');
    expect(exitCode).toBe(0);
  });
});
