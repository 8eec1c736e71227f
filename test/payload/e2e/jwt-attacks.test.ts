/*
 * The JWT attack suite against a real patched MeshCentral (the live base) and a real PostgreSQL. Every attack runs on
 * the entry points it applies to (?token=, Authorization: Bearer, WebSocket Bearer, WebSocket ?jwt=, the
 * cookie after a login) and asserts the exact HTTP status or WebSocket close message, that no session was
 * made, and the reason code logged for that very attack: each attack comes from its own client address
 * (X-Forwarded-For through `trustedProxy: 127.0.0.1`), so the log line `reason=R, entry=E, ip=IP` is its own
 * and MeshCentral's bad-login throttle (fed by JWT refusals) counts each attacker apart.
 */
import { createHmac, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import jwt from 'jsonwebtoken';
import { freePort, PostgresServer } from '../../support/postgres';
import { runMeshCentralUntilExit, startMeshCentral, MeshCentralServer, PatchedRelease } from '../../support/meshcentral';
import {
  controlSession,
  httpsGet,
  httpsPost,
  loggedInCookie,
  rawHttps,
  sessionOf,
  type ControlResult,
  type HttpAnswer,
} from '../../support/meshClient';
import { AGENT_SIGN_KEY, AUDIENCE, b64url, ISSUER, JWT_SECRET, TENANT_B, USERS } from '../../support/jwtTenants';
import { startJwtStack, stopJwtStack } from '../../support/jwtStack';
import { LIVE_BASE } from '../support/liveBase';
import { multipartPost } from './jwtSessionSuite';

jest.setTimeout(180_000);

const DASHBOARD = 'https://dash.example';
let pg: PostgresServer;
let release: PatchedRelease;
let server: MeshCentralServer;

beforeAll(async () => {
  ({ pg, release, server } = await startJwtStack(LIVE_BASE, {
    jwtAuthCacheSeconds: 1,
    jwtAuthClockTolerance: 0,
    jwtAuthOrigins: [DASHBOARD],
    trustedProxy: '127.0.0.1',
    jwtAuthRefusalLogPerMinute: 100000,
  }));
}, 600_000);

afterAll(async () => {
  await stopJwtStack({ pg, release, server });
});

const now = (): number => Math.floor(Date.now() / 1000);
let jtis = 0;
let addresses = 0;
/** A client address of its own (its own /24, MeshCentral throttles per /24). */
const nextIp = (): string => {
  addresses++;
  return `10.${Math.floor(addresses / 250)}.${addresses % 250}.7`;
};

/** Claims of a valid token for amy on this server (sub, tenant, email, issuer, audience, a fresh jti, 60 s). */
function claims(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    sub: USERS.amy.id,
    tenant_id: USERS.amy.tenant,
    email: USERS.amy.email,
    iss: ISSUER,
    aud: AUDIENCE,
    iat: now(),
    exp: now() + 60,
    jti: `atk-${++jtis}`,
    ...extra,
  };
}
function sign(payload: Record<string, unknown>, key: jwt.Secret = JWT_SECRET, algorithm: jwt.Algorithm = 'HS256'): string {
  return jwt.sign(payload, key, { algorithm });
}
function without(...keys: string[]): Record<string, unknown> {
  const c = claims();
  for (const k of keys) delete c[k];
  return c;
}
function forged(header: unknown, payload: unknown, signature = ''): string {
  return `${b64url(header)}.${b64url(payload)}.${signature}`;
}
/** HS256 by hand, for payloads jsonwebtoken refuses to sign (string times). */
function rawSign(payload: Record<string, unknown>): string {
  const body = `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url(payload)}`;
  return `${body}.${createHmac('sha256', JWT_SECRET).update(body).digest('base64url')}`;
}
function serverPublicKeyPem(): string {
  const cert = readFileSync(path.join(server.datapath, 'webserver-cert-public.crt'), 'utf8');
  return createPublicKey(cert).export({ type: 'spki', format: 'pem' }).toString();
}

type Entry = 'query' | 'bearer' | 'ws-bearer' | 'ws-jwt';
const ALL: Entry[] = ['query', 'bearer', 'ws-bearer', 'ws-jwt'];
const URL_ENTRIES: Entry[] = ['query', 'ws-jwt'];

interface TokenAttack {
  name: string;
  token: () => string;
  reason: string;
  entries?: Entry[];
}

const tokenAttacks: TokenAttack[] = [
  { name: 'alg: none, empty signature', token: () => forged({ alg: 'none', typ: 'JWT' }, claims()), reason: 'bad-algorithm' },
  { name: 'alg: NONE with a signature', token: () => forged({ alg: 'NONE', typ: 'JWT' }, claims(), 'c2ln'), reason: 'bad-algorithm' },
  { name: 'no alg in the header', token: () => forged({ typ: 'JWT' }, claims(), 'c2ln'), reason: 'bad-algorithm' },
  {
    name: 'HS256 signed with a different secret',
    token: () => sign(claims(), 'another-secret-that-is-long-enough-0123456789'),
    reason: 'bad-signature',
  },
  {
    name: 'RS256 signed with an attacker RSA key',
    token: () =>
      sign(
        claims(),
        generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        'RS256',
      ),
    reason: 'bad-algorithm',
  },
  {
    name: 'RS256/HS256 confusion: HMAC keyed with the server public key',
    token: () => sign(claims(), serverPublicKeyPem()),
    reason: 'bad-signature',
  },
  { name: 'HS512 with the right secret while HS256 is pinned', token: () => sign(claims(), JWT_SECRET, 'HS512'), reason: 'bad-algorithm' },
  { name: 'signed with AGENT_SIGN_KEY', token: () => sign(claims(), AGENT_SIGN_KEY), reason: 'agent-token' },
  {
    name: 'payload swapped under a valid signature',
    token: () => {
      const [h, , s] = sign(claims()).split('.');
      return `${h}.${b64url(claims({ sub: USERS.alice.id }))}.${s}`;
    },
    reason: 'bad-signature',
  },
  { name: 'expired', token: () => sign(claims({ iat: now() - 120, exp: now() - 60 })), reason: 'expired' },
  { name: 'nbf in the future', token: () => sign(claims({ nbf: now() + 30 })), reason: 'not-yet-valid' },
  { name: 'iat in the future', token: () => sign(claims({ iat: now() + 30, exp: now() + 90 })), reason: 'not-yet-valid' },
  { name: 'no exp', token: () => sign(without('exp')), reason: 'no-exp' },
  { name: 'exp a string', token: () => rawSign(claims({ exp: String(now() + 60) })), reason: 'bad-claims' },
  { name: 'iat a string (not taken as now)', token: () => rawSign(claims({ iat: 'now' })), reason: 'bad-claims' },
  { name: 'nbf a string', token: () => rawSign(claims({ nbf: 'soon' })), reason: 'bad-claims' },
  { name: 'lifetime over the 24 h maximum', token: () => sign(claims({ exp: now() + 48 * 3600 })), reason: 'lifetime' },
  {
    name: 'no iat and an exp 48 h away',
    token: () => jwt.sign({ ...without('iat'), exp: now() + 48 * 3600 }, JWT_SECRET, { algorithm: 'HS256', noTimestamp: true }),
    reason: 'lifetime',
  },
  { name: 'wrong issuer', token: () => sign(claims({ iss: 'https://evil.example' })), reason: 'wrong-issuer' },
  { name: 'no issuer', token: () => sign(without('iss')), reason: 'wrong-issuer' },
  { name: 'wrong audience (a dashboard API token)', token: () => sign(claims({ aud: 'dashboard-api' })), reason: 'wrong-audience' },
  { name: 'no audience', token: () => sign(without('aud')), reason: 'wrong-audience' },
  { name: 'audience list without ours', token: () => sign(claims({ aud: ['dashboard-api', 'refresh'] })), reason: 'wrong-audience' },
  { name: 'no sub (email alone no longer names a user)', token: () => sign(without('sub')), reason: 'bad-claims' },
  { name: 'sub an object', token: () => sign(claims({ sub: { id: USERS.amy.id } })), reason: 'bad-claims' },
  { name: 'no tenant_id', token: () => sign(without('tenant_id')), reason: 'bad-claims' },
  { name: 'jti an object', token: () => sign(claims({ jti: { a: 1 } })), reason: 'bad-claims' },
  { name: 'email not a string', token: () => sign(claims({ email: [USERS.alice.email] })), reason: 'bad-claims' },
  {
    name: "SQL injection in email with spaces: ' OR '1'='1",
    token: () => sign(claims({ email: "x@a.example' OR '1'='1" })),
    reason: 'bad-claims',
  },
  {
    name: "alice's sub with tenant B",
    token: () => sign(claims({ sub: USERS.alice.id, email: USERS.alice.email, tenant_id: TENANT_B })),
    reason: 'unknown-user',
  },
  {
    name: 'sub of alice, email of amy (the sub names the user)',
    token: () => sign(claims({ sub: USERS.alice.id })),
    reason: 'email-mismatch',
  },
  { name: 'deleted user', token: () => sign(claims({ sub: USERS.dora.id, email: USERS.dora.email })), reason: 'deleted-user' },
  { name: 'unknown sub', token: () => sign(claims({ sub: 'u-nobody', email: undefined })), reason: 'unknown-user' },
  {
    name: "SQL injection in sub: ' OR '1'='1",
    token: () => sign(claims({ sub: "u-amy' OR '1'='1", email: undefined })),
    reason: 'unknown-user',
  },
  {
    name: 'SQL injection in tenant_id: DROP TABLE users',
    token: () => sign(claims({ tenant_id: "'; DROP TABLE users; --" })),
    reason: 'unknown-user',
  },
  { name: 'malformed: two parts', token: () => sign(claims()).split('.').slice(0, 2).join('.'), reason: 'malformed' },
  {
    name: 'malformed: bad base64 in the header',
    token: () => `e*yJ!hbGc.${sign(claims()).split('.').slice(1).join('.')}`,
    reason: 'malformed',
  },
  {
    name: 'malformed: header that is not JSON',
    token: () => `${b64url('not json')}.${sign(claims()).split('.').slice(1).join('.')}`,
    reason: 'malformed',
  },
  { name: 'malformed: payload a JSON array', token: () => forged({ alg: 'HS256' }, [1, 2], 'c2ln'), reason: 'malformed' },
  { name: 'token over 8 KB', token: () => `${sign(claims())}${'A'.repeat(9000)}`, reason: 'malformed' },
  {
    name: 'a crit header (no extension is understood)',
    token: () => jwt.sign(claims(), JWT_SECRET, { algorithm: 'HS256', header: { alg: 'HS256', crit: ['exp'] } as jwt.JwtHeader }),
    reason: 'unknown-crit',
  },
  { name: 'URL token without jti', token: () => sign(without('jti')), reason: 'no-jti', entries: URL_ENTRIES },
  {
    name: 'URL token living 10 minutes (URL maximum 120 s)',
    token: () => sign(claims({ exp: now() + 600 })),
    reason: 'lifetime',
    entries: URL_ENTRIES,
  },
];

/** Refusal reason codes the WebSocket entry points share with the HTTP ones. */
const ENTRY_LOG: Record<Entry, string> = { query: 'http-query', bearer: 'http-bearer', 'ws-bearer': 'websocket', 'ws-jwt': 'websocket' };

/** Waits until the output after `mark` contains `text` (for log lines without the client address). */
async function expectLoggedAfter(mark: number, text: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!server.output().slice(mark).includes(text)) {
    if (Date.now() > deadline) throw new Error(`server did not log "${text}"`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function expectLogged(text: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!server.output().includes(text)) {
    if (Date.now() > deadline) throw new Error(`server did not log "${text}"`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** One attack on one entry point from its own address: the answer, checked, and its log line. */
async function attack(entry: Entry, token: string, reason: string, status = 401, extraHeaders: Record<string, string> = {}): Promise<void> {
  const ip = nextIp();
  const headers = { 'x-forwarded-for': ip, ...extraHeaders };
  if (entry === 'query' || entry === 'bearer') {
    const answer: HttpAnswer =
      entry === 'query'
        ? await httpsGet(server.port, `/?token=${encodeURIComponent(token)}`, headers)
        : await httpsGet(server.port, '/meshagents?meshaction=generic', { ...headers, authorization: `Bearer ${token}` });
    expect({ status: answer.status, session: loggedInCookie(answer) }).toEqual({ status, session: null });
    if (entry === 'bearer' && status === 401) expect(answer.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
  } else {
    const ws: ControlResult =
      entry === 'ws-bearer'
        ? await controlSession(server.port, { headers: { ...headers, authorization: `Bearer ${token}` } })
        : await controlSession(server.port, { headers, query: `jwt=${encodeURIComponent(token)}` });
    expect({ userinfo: ws.userinfo, close: ws.closeMessage }).toEqual({
      userinfo: undefined,
      close: { cause: 'noauth', msg: 'noauth-jwt' },
    });
  }
  await expectLogged(`reason=${reason}, entry=${ENTRY_LOG[entry]}, ip=${ip}`);
}

const tokenCases = tokenAttacks.flatMap((a) => (a.entries ?? ALL).map((entry) => ({ ...a, entry })));

/** Attacks that are not a bad token: request shape, origin, replay, session switch, cookies after the fact. */
const otherAttacks = [
  'replayed ?token=',
  'replayed ?jwt=',
  'duplicated ?token=',
  'nested ?token[a]=',
  'duplicated ?jwt=',
  'Bearer and ?jwt= on one WebSocket',
  'absolute-form target with ?token=',
  'absolute-form target with Bearer',
  'empty Bearer',
  'Bearer with two tokens',
  'empty ?token=',
  'cross-site ?token= from a page outside the allow-list',
  'cross-site ?token= without Origin or Referer',
  'cross-site ?jwt= WebSocket from another origin',
  "session switch: bob's token over amy's cookie",
  'cookie WebSocket from another origin (cross-site WebSocket hijacking)',
  'cookie after logout (HTTP)',
  'cookie after logout (WebSocket)',
  'cookie after the user is deleted',
  'ended session via /?x=/agent.ashx/.websocket',
  'ended session via ?x=/meshrelay.ashx/.websocket',
  'ended session via ?x=/localrelay.ashx/.websocket',
  'ended session with an Upgrade: websocket header',
  'authCookie of an ended session in uploadfilebatch.ashx',
  'authCookie of an ended session in uploadfile.ashx',
  'authCookie of an ended session as control.ashx?auth=',
  'cross-site POST with the cookie to uploadfilebatch.ashx',
  'cross-site POST with the cookie to uploadfile.ashx',
  'cross-site POST with the cookie to restoreserver.ashx',
  'used URL token as a Bearer header',
  'used URL token as a Bearer on control.ashx',
  'upload form without a file part (crash)',
  'agent installer of a tenant group without a session',
  "mesh settings of tenant A with tenant B's Bearer",
  'POST /createaccount',
  'password login of a non-allow-listed name',
  'throttled address with a valid token',
];

test('the suite has at least 60 distinct attacks', () => {
  const names = new Set([...tokenCases.map((c) => `${c.name} via ${c.entry}`), ...otherAttacks]);
  expect(names.size).toBeGreaterThanOrEqual(60);
});

test('control: a valid contract token is accepted on every entry point', async () => {
  const ip = nextIp();
  const answer = await httpsGet(server.port, `/?token=${sign(claims())}`, { 'x-forwarded-for': ip });
  expect(answer.status).toBe(302);
  expect(loggedInCookie(answer)).not.toBeNull();
  expect(
    (await httpsGet(server.port, '/meshagents?meshaction=generic', { 'x-forwarded-for': ip, authorization: `Bearer ${sign(claims())}` }))
      .status,
  ).toBe(200);
  expect(
    (await controlSession(server.port, { headers: { 'x-forwarded-for': ip, authorization: `Bearer ${sign(claims())}` } })).userinfo?.name,
  ).toBe(USERS.amy.name);
  expect((await controlSession(server.port, { headers: { 'x-forwarded-for': ip }, query: `jwt=${sign(claims())}` })).userinfo?.name).toBe(
    USERS.amy.name,
  );
});

test.each(tokenCases)('refused: $name via $entry ($reason)', async ({ token, reason, entry }) => {
  await attack(entry, token(), reason);
});

test("a token over Node's 16 KB header limit never reaches MeshCentral: 431 on HTTP, the upgrade refused with 431", async () => {
  // 20 KB: over the limit, yet read by the server in one go, so its 431 is not lost to a connection reset.
  const huge = `${sign(claims())}${'A'.repeat(20 * 1024)}`;
  const query = await httpsGet(server.port, `/?token=${huge}`);
  expect(query.status).toBe(431);
  const bearer = await httpsGet(server.port, '/', { authorization: `Bearer ${huge}` });
  expect(bearer.status).toBe(431);
  const ws = await controlSession(server.port, { headers: { authorization: `Bearer ${huge}` } });
  expect(ws.userinfo).toBeUndefined();
  expect(ws.error).toBe('HTTP 431');
});

describe('request-level attacks', () => {
  test('replayed URL tokens: the second use of a jti is refused on ?token= and ?jwt=', async () => {
    const once = sign(claims());
    expect((await httpsGet(server.port, `/?token=${once}`, { 'x-forwarded-for': nextIp() })).status).toBe(302);
    await attack('query', once, 'replayed');
    const wsOnce = sign(claims());
    expect((await controlSession(server.port, { query: `jwt=${wsOnce}`, headers: { 'x-forwarded-for': nextIp() } })).userinfo?.name).toBe(
      USERS.amy.name,
    );
    await attack('ws-jwt', wsOnce, 'replayed');
  });

  test('duplicated or nested token parameters: 400 / closed, reason duplicate-token', async () => {
    for (const target of [`/?token=${sign(claims())}&token=${sign(claims())}`, `/?token[a]=${sign(claims())}`]) {
      const ip = nextIp();
      const answer = await httpsGet(server.port, target, { 'x-forwarded-for': ip });
      expect({ status: answer.status, session: loggedInCookie(answer) }).toEqual({ status: 400, session: null });
      await expectLogged(`reason=duplicate-token, entry=http-query, ip=${ip}`);
    }
    for (const options of [
      { query: `jwt=${sign(claims())}&jwt=${sign(claims())}` },
      { query: `jwt=${sign(claims())}`, authorization: `Bearer ${sign(claims())}` },
    ]) {
      const ip = nextIp();
      const headers: Record<string, string> = {
        'x-forwarded-for': ip,
        ...(options.authorization ? { authorization: options.authorization } : {}),
      };
      const ws = await controlSession(server.port, { headers, query: options.query });
      expect({ userinfo: ws.userinfo, close: ws.closeMessage }).toEqual({
        userinfo: undefined,
        close: { cause: 'noauth', msg: 'noauth-jwt' },
      });
      await expectLogged(`reason=duplicate-token, entry=websocket, ip=${ip}`);
    }
  });

  test('odd request targets and empty tokens: 400 bad-request, 401 malformed', async () => {
    const t = sign(claims());
    const ip1 = nextIp();
    expect(
      (
        await rawHttps(
          server.port,
          `GET http:///?token=${t} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Forwarded-For: ${ip1}\r\nConnection: close\r\n\r\n`,
        )
      ).status,
    ).toBe(400);
    await expectLogged(`reason=bad-request, entry=http-query, ip=${ip1}`);
    const ip2 = nextIp();
    expect(
      (
        await rawHttps(
          server.port,
          `GET http:///meshagents HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${t}\r\nX-Forwarded-For: ${ip2}\r\nConnection: close\r\n\r\n`,
        )
      ).status,
    ).toBe(400);
    await expectLogged(`reason=bad-request, entry=http-bearer, ip=${ip2}`);
    await attack('bearer', '', 'malformed');
    await attack('bearer', `${t} ${t}`, 'malformed');
    await attack('query', '', 'malformed');
  });

  test('login CSRF: cross-site ?token= / ?jwt= from outside the allow-list is refused with 403 bad-origin', async () => {
    await attack('query', sign(claims()), 'bad-origin', 403, { 'sec-fetch-site': 'cross-site', referer: 'https://evil.example/page' });
    await attack('query', sign(claims()), 'bad-origin', 403, { 'sec-fetch-site': 'cross-site' });
    await attack('ws-jwt', sign(claims()), 'bad-origin', 401, { origin: 'https://evil.example' });
    // The dashboard itself is allowed.
    const ok = await httpsGet(server.port, `/?token=${sign(claims())}`, {
      'x-forwarded-for': nextIp(),
      'sec-fetch-site': 'cross-site',
      referer: `${DASHBOARD}/devices`,
    });
    expect(ok.status).toBe(302);
  });

  test("no silent session switch: bob's token over amy's cookie is refused (403) and amy's session stays", async () => {
    const ip = nextIp();
    const login = await httpsGet(server.port, `/?token=${sign(claims())}`, { 'x-forwarded-for': ip });
    const amy = loggedInCookie(login) as string;
    const amyId = sessionOf(login)?.userid;
    const bob = sign(claims({ sub: USERS.bob.id, email: USERS.bob.email, tenant_id: TENANT_B }));
    const answer = await httpsGet(server.port, `/?token=${bob}`, { 'x-forwarded-for': ip, cookie: amy });
    // MeshCentral may re-send amy's cookie (it refreshes sessions once a minute); it never becomes bob's.
    expect({ status: answer.status, userid: sessionOf(answer)?.userid ?? amyId }).toEqual({ status: 403, userid: amyId });
    await expectLogged(`reason=session-switch, entry=http-query, ip=${ip}`);
    const still = await controlSession(server.port, { headers: { 'x-forwarded-for': ip, cookie: amy } });
    expect(still.userinfo?.name).toBe(USERS.amy.name);
  });

  test('cross-site WebSocket hijacking: the JWT cookie on control.ashx from another origin is refused', async () => {
    const ip = nextIp();
    const cookie = loggedInCookie(await httpsGet(server.port, `/?token=${sign(claims())}`, { 'x-forwarded-for': ip })) as string;
    const ws = await controlSession(server.port, { headers: { 'x-forwarded-for': ip, cookie, origin: 'https://evil.example' } });
    expect({ userinfo: ws.userinfo, close: ws.closeMessage }).toEqual({
      userinfo: undefined,
      close: { cause: 'noauth', msg: 'noauth-jwt' },
    });
    await expectLogged(`reason=bad-origin, entry=websocket, ip=${ip}`);
  });
});

describe('cookie after login', () => {
  test("after /logout: HTTP 401 logged-out, WebSocket closed (the token's exp no longer ends a session, issue 20)", async () => {
    const ip = nextIp();
    const cookie = loggedInCookie(
      await httpsGet(server.port, `/?token=${sign(claims({ exp: now() + 2 }))}`, { 'x-forwarded-for': ip }),
    ) as string;
    expect(cookie).not.toBeNull();
    await new Promise((r) => setTimeout(r, 3000));
    expect((await httpsGet(server.port, '/meshagents?meshaction=generic', { 'x-forwarded-for': ip, cookie })).status).toBe(200);
    expect((await httpsGet(server.port, '/logout', { 'x-forwarded-for': ip, cookie })).status).toBe(302);
    await expectLogged('JWT Auth: session ended, reason=logged-out, ip=' + ip);
    // A copy of the cookie: upstream's list of destroyed sessions answers first (no user: 404), the session table behind it.
    expect((await httpsGet(server.port, '/meshagents?meshaction=generic', { 'x-forwarded-for': ip, cookie })).status).toBe(404);
    const ws = await controlSession(server.port, { headers: { 'x-forwarded-for': ip, cookie } });
    expect(ws.userinfo).toBeUndefined();
  });

  test('user deleted after login: 401 deleted-user once the 1 s cache has expired', async () => {
    const ip = nextIp();
    const bill = { sub: USERS.bill.id, email: USERS.bill.email, tenant_id: TENANT_B };
    const cookie = loggedInCookie(await httpsGet(server.port, `/?token=${sign(claims(bill))}`, { 'x-forwarded-for': ip })) as string;
    await pg.query('UPDATE users SET deleted_at = now() WHERE user_id = $1', [USERS.bill.id]);
    try {
      await new Promise((r) => setTimeout(r, 1500));
      expect((await httpsGet(server.port, '/meshagents?meshaction=generic', { 'x-forwarded-for': ip, cookie })).status).toBe(401);
      await expectLogged(`reason=deleted-user, entry=cookie, ip=${ip}`);
    } finally {
      await pg.query('UPDATE users SET deleted_at = NULL WHERE user_id = $1', [USERS.bill.id]);
    }
  });
});

let endedUsers = 0;
/** A session whose user is then deleted in PostgreSQL (ended by the sweep within the 1 s cache + 2 s): its cookie and the page's authCookie. */
async function endedSession(ip: string): Promise<{ cookie: string; auth: string }> {
  const id = `u-ended-${++endedUsers}`;
  await pg.query("INSERT INTO users (user_id, email, name, role, tenant_id) VALUES ($1, $2, 'Ended', 'user', 'tenant-a')", [
    id,
    `${id}@a.example`,
  ]);
  const cookie = loggedInCookie(
    await httpsGet(server.port, `/?token=${sign(claims({ sub: id, email: `${id}@a.example` }))}`, { 'x-forwarded-for': ip }),
  ) as string;
  const auth = /var authCookie = '([^']+)'/.exec((await httpsGet(server.port, '/', { 'x-forwarded-for': ip, cookie })).body)?.[1] as string;
  expect(auth).toBeDefined();
  await pg.query('UPDATE users SET deleted_at = now() WHERE user_id = $1', [id]);
  await new Promise((r) => setTimeout(r, 4000));
  return { cookie, auth };
}

describe('ways around the session check (issue 20)', () => {
  test.each([
    ['/?x=/agent.ashx/.websocket', {}],
    ['/meshagents?meshaction=generic&x=/meshrelay.ashx/.websocket', {}],
    ['/?x=/localrelay.ashx/.websocket', {}],
    ['/', { upgrade: 'websocket' }],
  ])('an ended session via %s %j: 401 deleted-user, not the page', async (target, extra) => {
    const ip = nextIp();
    const { cookie } = await endedSession(ip);
    const answer = await httpsGet(server.port, target, { 'x-forwarded-for': ip, cookie, ...extra });
    expect(answer.status).toBe(401);
    await expectLogged(`reason=deleted-user, entry=cookie, ip=${ip}`);
  });

  test.each(['uploadfilebatch.ashx', 'uploadfile.ashx'])(
    'the authCookie of an ended session in %s: 401, deleted-user (entry auth-cookie)',
    async (endpoint) => {
      const { auth } = await endedSession(nextIp());
      const mark = server.output().length;
      const answer = await multipartPost(
        server.port,
        `/${endpoint}`,
        { auth, nodeIds: 'node//none', linuxpath: '/tmp', link: '/' },
        { files: 'x' },
      );
      expect(answer.status).toBe(401);
      await expectLoggedAfter(mark, 'reason=deleted-user, entry=auth-cookie');
    },
  );

  test('the authCookie of an ended session as control.ashx?auth=: closed, deleted-user (entry auth-cookie)', async () => {
    const { auth } = await endedSession(nextIp());
    const mark = server.output().length;
    const ws = await controlSession(server.port, { query: `auth=${encodeURIComponent(auth)}` });
    expect(ws.userinfo).toBeUndefined();
    expect(ws.closeMessage?.cause).toBe('noauth');
    await expectLoggedAfter(mark, 'reason=deleted-user, entry=auth-cookie');
  });

  test.each(['uploadfilebatch.ashx', 'uploadfile.ashx', 'restoreserver.ashx'])(
    'a cross-site POST with the session cookie to %s: 403 bad-origin (entry state-change)',
    async (endpoint) => {
      const ip = nextIp();
      const cookie = loggedInCookie(await httpsGet(server.port, `/?token=${sign(claims())}`, { 'x-forwarded-for': ip })) as string;
      const answer = await multipartPost(
        server.port,
        `/${endpoint}`,
        { nodeIds: 'node//none', linuxpath: '/tmp', link: '/' },
        { files: 'x', datafile: 'x' },
        { 'x-forwarded-for': ip, cookie, origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
      );
      expect(answer.status).toBe(403);
      await expectLogged(`reason=bad-origin, entry=state-change, ip=${ip}`);
    },
  );

  test('a used URL token as a Bearer header and as a Bearer on control.ashx: replayed', async () => {
    const once = sign(claims());
    expect((await httpsGet(server.port, `/?token=${once}`, { 'x-forwarded-for': nextIp() })).status).toBe(302);
    await attack('bearer', once, 'replayed');
    await attack('ws-bearer', once, 'replayed');
  });

  test('an upload form without a file part gets 400; the server does not crash', async () => {
    const answer = await multipartPost(
      server.port,
      '/uploadfilebatch.ashx',
      { nodeIds: 'x', linuxpath: '/tmp' },
      {},
      { authorization: `Bearer ${sign(claims())}` },
    );
    expect(answer.status).toBe(400);
    await new Promise((r) => setTimeout(r, 1000));
    expect((await httpsGet(server.port, '/')).status).toBe(200);
  });
});

describe('around the tokens', () => {
  test('agent downloads and mesh settings of a tenant group need a user with rights on it (403 no-rights)', async () => {
    const ws = await controlSession(server.port, { headers: { authorization: `Bearer ${sign(claims())}` } });
    const short = encodeURIComponent((ws.meshes?.[0]._id as string).split('/')[2]);
    const ip = nextIp();
    expect((await httpsGet(server.port, `/meshagents?id=6&meshid=${short}`, { 'x-forwarded-for': ip })).status).toBe(403);
    await expectLogged(`reason=no-rights, entry=agent-download, ip=${ip}`);
    const ip2 = nextIp();
    const bob = sign(claims({ sub: USERS.bob.id, email: USERS.bob.email, tenant_id: TENANT_B }));
    expect(
      (await httpsGet(server.port, `/meshsettings?id=${short}`, { 'x-forwarded-for': ip2, authorization: `Bearer ${bob}` })).status,
    ).toBe(403);
    await expectLogged(`reason=no-rights, entry=agent-download, ip=${ip2}`);
  });

  test('POST /createaccount: 403 local-accounts-off; password login of any name: refused, local-login', async () => {
    const ip = nextIp();
    const created = await httpsPost(
      server.port,
      '/createaccount',
      { username: 'mallory', email: 'm@evil.example', password1: 'Mall0ry-Passw0rd!', password2: 'Mall0ry-Passw0rd!' },
      { 'x-forwarded-for': ip },
    );
    expect(created.status).toBe(403);
    await expectLogged(`reason=local-accounts-off, entry=createaccount, ip=${ip}`);
    const mark = server.output().length;
    const login = await httpsPost(
      server.port,
      '/login',
      { action: 'login', username: 'mallory', password: 'Mall0ry-Passw0rd!' },
      { 'x-forwarded-for': nextIp() },
    );
    expect({ status: login.status, session: loggedInCookie(login) }).toEqual({ status: 200, session: null });
    expect(server.output().slice(mark)).toContain('reason=local-login, entry=password');
  });

  test("MeshCentral's bad-login throttle: after 10 refusals an address is refused (429 throttled) even with a valid token; others are not", async () => {
    const ip = nextIp();
    for (let i = 0; i < 10; i++) {
      const refused = await httpsGet(server.port, `/?token=${sign(claims(), 'wrong-secret-0123456789-0123456789-abcd')}`, {
        'x-forwarded-for': ip,
      });
      expect(refused.status).toBe(401);
    }
    const blocked = await httpsGet(server.port, `/?token=${sign(claims())}`, { 'x-forwarded-for': ip });
    expect({ status: blocked.status, session: loggedInCookie(blocked) }).toEqual({ status: 429, session: null });
    await expectLogged(`reason=throttled, entry=http-query, ip=${ip}`);
    expect((await httpsGet(server.port, `/?token=${sign(claims())}`, { 'x-forwarded-for': nextIp() })).status).toBe(302);
  });

  test('SQL injection attempts left the users table intact', async () => {
    const { rows } = await pg.query("SELECT count(*)::int AS n FROM users WHERE user_id NOT LIKE 'u-ended-%'");
    expect(rows[0].n).toBe(Object.keys(USERS).length);
  });

  test('WebSockets do not take ?token= (2FA codes use it there): a valid JWT in ?token= opens no session', async () => {
    const ws = await controlSession(server.port, { query: `token=${sign(claims())}` });
    expect(ws.userinfo).toBeUndefined();
    expect(ws.closeMessage?.cause).toBe('noauth');
  });

  test('relay WebSockets (meshrelay.ashx) close on a refused ?jwt= or Bearer token too', async () => {
    const ip = nextIp();
    const viaQuery = await controlSession(server.port, {
      path: 'meshrelay.ashx',
      query: `jwt=${sign(claims({ exp: now() - 60, iat: now() - 120 }))}`,
      headers: { 'x-forwarded-for': ip },
    });
    const viaBearer = await controlSession(server.port, {
      path: 'meshrelay.ashx',
      headers: { 'x-forwarded-for': ip, authorization: `Bearer ${sign(claims(), 'wrong-secret-0123456789-0123456789-abc')}` },
    });
    expect(viaQuery.closeMessage).toEqual({ cause: 'noauth', msg: 'noauth-jwt' });
    expect(viaBearer.closeMessage).toEqual({ cause: 'noauth', msg: 'noauth-jwt' });
    await expectLogged(`reason=expired, entry=websocket, ip=${ip}`);
    await expectLogged(`reason=bad-signature, entry=websocket, ip=${ip}`);
  });

  test('a refused Bearer token closes the WebSocket even when a valid session cookie comes with it', async () => {
    const ip = nextIp();
    const cookie = loggedInCookie(await httpsGet(server.port, `/?token=${sign(claims())}`, { 'x-forwarded-for': ip })) as string;
    const ws = await controlSession(server.port, {
      headers: { 'x-forwarded-for': ip, cookie, authorization: `Bearer ${sign(claims({ exp: now() - 60, iat: now() - 120 }))}` },
    });
    expect({ userinfo: ws.userinfo, close: ws.closeMessage }).toEqual({
      userinfo: undefined,
      close: { cause: 'noauth', msg: 'noauth-jwt' },
    });
  });

  test('no token value from the suite appears in the server output', () => {
    expect(server.output()).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/);
  });
});

describe('start-up', () => {
  test('PostgreSQL unreachable at start: MeshCentral runs, says so, and refuses JWT logins with db-down', async () => {
    const closedPort = String(await freePort());
    const down = await startMeshCentral(release.dir, {
      env: { JWT_SECRET, ...pg.env, POSTGRES_PORT: closedPort },
      copyFrom: server.datapath,
    });
    try {
      await down.waitForOutput(/JWT Auth: PostgreSQL unreachable at start-up \(reason=db-down, ECONNREFUSED\)/);
      expect(down.output()).not.toContain('JWT Auth: PostgreSQL connected');
      const answer = await httpsGet(down.port, `/?token=${sign(claims())}`);
      expect({ status: answer.status, session: loggedInCookie(answer) }).toEqual({ status: 401, session: null });
      await down.waitForOutput('reason=db-down, entry=http-query');
      expect((await httpsGet(down.port, '/')).status).toBe(200);
    } finally {
      await down.stop();
    }
  });

  test('a database without the users table: logged as db-error at start and on login', async () => {
    await pg.query('CREATE DATABASE empty_db');
    const empty = await startMeshCentral(release.dir, {
      env: { JWT_SECRET, ...pg.env, POSTGRES_DB: 'empty_db' },
      copyFrom: server.datapath,
    });
    try {
      await empty.waitForOutput(/JWT Auth: PostgreSQL answered but the users table is not usable \(reason=db-error, 42P01/);
      const answer = await httpsGet(empty.port, `/?token=${sign(claims())}`);
      expect(answer.status).toBe(401);
      await empty.waitForOutput('reason=db-error, entry=http-query');
    } finally {
      await empty.stop();
    }
  });

  test('jwtAuth on without JWT_SECRET, or with one shorter than 32 bytes: MeshCentral stops with a clear message', async () => {
    const missing = await runMeshCentralUntilExit(release.dir, { env: { ...pg.env }, copyFrom: server.datapath });
    expect(missing.output).toContain('ERROR: JWT Auth: JWT_SECRET is not set');
    expect(missing.output).not.toContain('MeshCentral HTTPS server running');
    expect(missing.exitCode).toBe(0); // exited on its own, like MeshCentral's other fatal configuration errors
    const short = await runMeshCentralUntilExit(release.dir, { env: { ...pg.env, JWT_SECRET: 'short-secret' }, copyFrom: server.datapath });
    expect(short.output).toContain('ERROR: JWT Auth: JWT_SECRET is shorter than 32 bytes');
    expect(short.output).not.toContain('short-secret');
    expect(short.exitCode).toBe(0);
  });
});
