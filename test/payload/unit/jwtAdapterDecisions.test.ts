/*
 * The decisions the MeshCentral adapters of jwt-auth.js (CreateJwtAuth) take, each a pure function
 * required from files/jwt-auth.js directly: token checks in order, the user cache, the user record a row
 * makes, the tenant group, the session outcome, the refusal answer, cookie options, request and socket
 * classification, login cookies and local accounts.
 */
import jwt from 'jsonwebtoken';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the payload is untyped CommonJS; the tests call its functions with MeshCentral's shapes
type Checks = Record<string, any>;

const SECRET = 'unit-secret-0123456789-abcdefghijklmnopqrstuvwxyz';
const SETTINGS = {
  jwtauthissuer: 'https://dash.example',
  jwtauthaudience: 'meshcentral',
  jwtauthroottenant: 'root',
  jwtauthorigins: ['https://dash.example'],
};
const ENV = { JWT_SECRET: SECRET };
const T0 = 1_700_000_000_000;
const NOW = T0 / 1000;

let c: Checks;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the payload's options object, untyped like the payload
let options: any;

beforeAll(() => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the payload is plain CommonJS, as MeshCentral loads it
  c = (require('../../../files/jwt-auth.js') as { checks: Checks }).checks;
  options = c.readOptions(SETTINGS, ENV);
});

function reasonOf(fn: () => unknown): string | null {
  try {
    fn();
  } catch (error) {
    if (error instanceof c.JwtRefusal) return (error as { reason: string }).reason;
    throw error;
  }
  return null;
}

const sign = (extra: object = {}): string =>
  jwt.sign(
    {
      sub: 'u-1',
      tenant_id: 't-1',
      iss: SETTINGS.jwtauthissuer,
      aud: SETTINGS.jwtauthaudience,
      iat: NOW,
      exp: NOW + 60,
      jti: 'j-1',
      ...extra,
    },
    SECRET,
    { algorithm: 'HS256' },
  );

describe('tokenClaims: every token check, in order, at a given time', () => {
  beforeAll(() => jest.useFakeTimers({ now: T0 }));
  afterAll(() => jest.useRealTimers());

  test('a URL token is accepted once, then replayed; as a Bearer token afterwards it is replayed too', () => {
    const replay = c.createReplayStore(10);
    const token = sign();
    expect(c.tokenClaims(jwt, token, true, options, replay, T0)).toEqual({
      sub: 'u-1',
      tenant: 't-1',
      email: null,
      jti: 'j-1',
      exp: NOW + 60,
    });
    expect(reasonOf(() => c.tokenClaims(jwt, token, true, options, replay, T0 + 1000))).toBe('replayed');
    expect(reasonOf(() => c.tokenClaims(jwt, token, false, options, replay, T0 + 1000))).toBe('replayed');
  });

  test('a Bearer token needs no jti and is not remembered; a URL token without jti is no-jti', () => {
    const replay = c.createReplayStore(10);
    const token = sign({ jti: undefined });
    expect(c.tokenClaims(jwt, token, false, options, replay, T0).jti).toBeNull();
    expect(replay.size()).toBe(0);
    expect(reasonOf(() => c.tokenClaims(jwt, token, true, options, replay, T0))).toBe('no-jti');
  });

  test('URL tokens over 120 s are lifetime; shape, crit and algorithm are checked before the signature', () => {
    const replay = c.createReplayStore(10);
    expect(reasonOf(() => c.tokenClaims(jwt, sign({ exp: NOW + 121 }), true, options, replay, T0))).toBe('lifetime');
    expect(c.tokenClaims(jwt, sign({ exp: NOW + 121 }), false, options, replay, T0).exp).toBe(NOW + 121);
    expect(reasonOf(() => c.tokenClaims(jwt, 'a.b', false, options, replay, T0))).toBe('malformed');
    const crit = jwt.sign({ sub: 'u' }, 'other-key-0123456789-0123456789-xx', { header: { alg: 'HS256', crit: ['x'] } as jwt.JwtHeader });
    expect(reasonOf(() => c.tokenClaims(jwt, crit, false, options, replay, T0))).toBe('unknown-crit');
    const hs384 = jwt.sign({ sub: 'u' }, SECRET, { algorithm: 'HS384' });
    expect(reasonOf(() => c.tokenClaims(jwt, hs384, false, options, replay, T0))).toBe('bad-algorithm');
  });
});

describe('the user lookup', () => {
  test.each([
    [{ code: '22P02' }, 'unknown-user'],
    [{ code: '42P01' }, 'db-error'],
    [{ code: '08006' }, 'db-down'],
    [{ code: '57P01' }, 'db-down'],
    [{ code: 'ECONNREFUSED' }, 'db-down'],
    [{ message: 'timeout' }, 'db-down'],
  ])('database error %j: %s', (err, reason) => {
    expect(c.databaseErrorReason(err)).toBe(reason);
  });

  test('the cache keeps a row cacheSeconds, by tenant and sub apart; 0 s keeps nothing', () => {
    const cache = c.createUserCache(30);
    const row = { user_id: 'u' };
    cache.put('t', 'u', row, T0);
    expect(cache.get('t', 'u', T0 + 29_999)).toBe(row);
    expect(cache.get('t', 'u', T0 + 30_000)).toBeNull();
    expect(cache.get('u', 't', T0)).toBeNull();
    cache.forget('t', 'u');
    expect(cache.get('t', 'u', T0)).toBeNull();
    const none = c.createUserCache(0);
    none.put('t', 'u', row, T0);
    expect(none.get('t', 'u', T0)).toBeNull();
  });
});

describe('the MeshCentral user a row makes', () => {
  test('an admin of the root tenant is site admin with all rights; others may not create groups and get member rights', () => {
    expect(c.userProfile({ role: 'Admin', email: 'A@X.example', name: 'Ann' }, 'root', options)).toEqual({
      role: 'admin',
      siteadmin: 0xffffffff,
      meshRights: 0xffffffff,
      email: 'a@x.example',
      name: 'Ann',
    });
    expect(c.userProfile({ role: 'admin', email: 'b@x.example', name: '' }, 't-1', options)).toEqual({
      role: 'admin',
      siteadmin: 64,
      meshRights: 0xffffffff,
      email: 'b@x.example',
      name: 'b@x.example',
    });
    expect(c.userProfile({ role: 'viewer', email: null, name: 'n'.repeat(70) }, 'root', options)).toEqual({
      role: 'user',
      siteadmin: 64,
      meshRights: 8 | 16 | 32 | 64 | 128,
      email: '',
      name: 'n'.repeat(64),
    });
  });

  test('links to other JWT tenant groups are dropped; the own group and non-JWT groups stay', () => {
    const meshes = { 'mesh//own': { jwttenant: 't' }, 'mesh//other': { jwttenant: 'u' }, 'mesh//plain': {} };
    expect(c.foreignTenantLinks({ 'mesh//own': {}, 'mesh//other': {}, 'mesh//plain': {}, 'mesh//gone': {} }, 'mesh//own', meshes)).toEqual([
      'mesh//other',
    ]);
  });

  test('the login time is written at most once a minute', () => {
    expect(c.isLoginTimeStale(undefined, 1000)).toBe(true);
    expect(c.isLoginTimeStale(941, 1000)).toBe(false);
    expect(c.isLoginTimeStale(940, 1000)).toBe(true);
  });

  test('the tenant group: the remembered one while it exists, else the stored mapping in this domain, else none', () => {
    const meshes: Record<string, Record<string, unknown>> = {
      'mesh//a': { jwttenant: 't', domain: '' },
      'mesh/d/b': { jwttenant: 't', domain: 'd' },
      'mesh//c': { jwttenant: 't', domain: '', deleted: 1 },
    };
    expect(c.findTenantMeshId(meshes, 't', '', 'mesh/d/b')).toBe('mesh/d/b');
    expect(c.findTenantMeshId(meshes, 't', '', 'mesh//c')).toBe('mesh//a');
    expect(c.findTenantMeshId(meshes, 't', 'd', null)).toBe('mesh/d/b');
    expect(c.findTenantMeshId(meshes, 'x', '', null)).toBeNull();
  });
});

describe('the session outcome of a re-validation', () => {
  test("userVerdict: a changed role, then MeshCentral's lock bit", () => {
    expect(c.userVerdict({ role: 'admin' }, { role: 'admin' }, { siteadmin: 64 })).toBeNull();
    expect(c.userVerdict({ role: 'user' }, { role: 'admin' }, { siteadmin: 64 })).toBe('role-changed');
    expect(c.userVerdict({ role: 'user' }, { role: 'user' }, { siteadmin: 64 | 32 })).toBe('locked-user');
  });

  test.each(['db-down', 'db-error', 'internal-error', 'throttled'])('%s refuses the request and keeps the session', (reason) => {
    expect(c.endsSession(reason)).toBe(false);
  });

  test.each(['deleted-user', 'role-changed', 'locked-user', 'session-idle', 'session-max-age', 'wrong-tenant'])(
    '%s ends the session',
    (reason) => {
      expect(c.endsSession(reason)).toBe(true);
    },
  );

  test("bad logins: the client's refusals count, ended sessions and outages do not", () => {
    expect(c.countsAsBadLogin('bad-signature')).toBe(true);
    expect(c.countsAsBadLogin('replayed')).toBe(true);
    for (const reason of ['db-down', 'session-idle', 'logged-out', 'no-jwt-session', 'throttled'])
      expect(c.countsAsBadLogin(reason)).toBe(false);
  });

  test("a Bearer socket ends at its token's exp plus the clock tolerance; one re-read per user, per Bearer token", () => {
    expect(c.isBearerSocketExpired(NOW, options, T0 + 29_999)).toBe(false);
    expect(c.isBearerSocketExpired(NOW, options, T0 + 30_000)).toBe(true);
    expect(c.sweepKey({ sid: 's', userid: 'u' })).toBe('u');
    expect(c.sweepKey({ userid: 'u', exp: 5 })).toBe('bearer\u0000u\u00005');
  });
});

describe('the refusal answer and its log lines', () => {
  test('401 hides the reason; a Bearer 401 says invalid_token; other statuses name the reason', () => {
    expect(c.refusalResponse('expired', true)).toEqual({
      status: 401,
      headers: { 'Cache-Control': 'no-store', 'WWW-Authenticate': 'Bearer error="invalid_token"' },
      body: 'Single sign-on refused (the token or session is not valid).',
    });
    expect(c.refusalResponse('expired', false)).toEqual({
      status: 401,
      headers: { 'Cache-Control': 'no-store' },
      body: 'Single sign-on refused (the token or session is not valid).',
    });
    expect(c.refusalResponse('bad-origin', true)).toEqual({
      status: 403,
      headers: { 'Cache-Control': 'no-store' },
      body: 'Single sign-on refused (bad-origin).',
    });
    expect(c.refusalResponse('throttled', false).status).toBe(429);
    expect(c.refusalResponse('duplicate-token', false).status).toBe(400);
    expect(c.refusalResponse('internal-error', false).status).toBe(500);
  });

  test('lines name reason, entry and address', () => {
    expect(c.refusalLines('expired', 'cookie', '10.0.0.1')).toEqual({
      console: 'JWT Auth: login refused, reason=expired, entry=cookie, ip=10.0.0.1',
      authLog: 'JWT login refused (expired) from 10.0.0.1 via cookie',
    });
  });
});

describe('sessions, cookies and framing', () => {
  test("JWT user ids and the session id a cookie names (only its own user's)", () => {
    expect(c.isJwtUserId('user//~jwt:abc')).toBe(true);
    expect(c.isJwtUserId('user//admin')).toBe(false);
    expect(c.isJwtUserId(undefined)).toBe(false);
    expect(c.sessionIdOf({ userid: 'u', jwt: { i: 's' } }, 'u')).toBe('s');
    expect(c.sessionIdOf({ userid: 'u', jwt: { i: 's' } }, 'v')).toBeNull();
    expect(c.sessionIdOf({ userid: 'u', jwt: 's' }, 'u')).toBeNull();
    expect(c.sessionIdOf(undefined, 'u')).toBeNull();
  });

  test('session fields from a login', () => {
    const login = { user: { _id: 'user//~jwt:a' }, claims: { tenant: 't', sub: 's' }, row: { role: 'admin' } };
    expect(c.sessionFields(login, '10.0.0.1', true)).toEqual({
      userid: 'user//~jwt:a',
      tenant: 't',
      sub: 's',
      role: 'admin',
      ip: '10.0.0.1',
      partitioned: true,
    });
  });

  test('cookie options: attributes, and for a session a lifetime up to its maximum age (at least 1 s)', () => {
    expect(c.sessionCookieOptions(false, null, T0, 100)).toEqual({});
    expect(c.sessionCookieOptions(true, null, T0, 100)).toEqual({ secure: true });
    expect(c.sessionCookieOptions(true, { created: T0, partitioned: true }, T0 + 40_000, 100)).toEqual({
      secure: true,
      sameSite: 'none',
      partitioned: true,
      maxAge: 60_000,
    });
    expect(c.sessionCookieOptions(false, { created: T0, partitioned: false }, T0 + 100_000, 100)).toEqual({ maxAge: 1000 });
  });

  test("frame-ancestors is added to a response's CSP, never invented", () => {
    expect(c.withFrameAncestors("default-src 'self'", options)).toBe("default-src 'self'; frame-ancestors 'self' https://dash.example");
    expect(c.withFrameAncestors(undefined, options)).toBeNull();
  });
});

describe('request and socket classification', () => {
  test('an HTTP Bearer token is read on HTTP requests only, not on WebSocket upgrades', () => {
    expect(c.httpBearerOf({ headers: { authorization: 'Bearer abc' } })).toBe('abc');
    expect(c.httpBearerOf({ headers: { authorization: 'Bearer abc' }, ws: {} })).toBeNull();
    expect(c.httpBearerOf({ headers: {} })).toBeNull();
  });

  test('after a refused cookie session: WebSockets and /logout to their hooks, ?token= to the URL login, the rest refused', () => {
    const domain = { url: '/' };
    expect(c.afterSessionRefusal({ ws: {}, path: '/', query: {} }, domain)).toBe('hand-to-hook');
    expect(c.afterSessionRefusal({ path: '/logout', query: {} }, domain)).toBe('hand-to-hook');
    expect(c.afterSessionRefusal({ path: '/', query: { token: 'x' } }, domain)).toBe('url-login');
    expect(c.afterSessionRefusal({ path: '/', query: {} }, domain)).toBe('refuse');
  });

  test("a URL login over another user's session is a session switch", () => {
    expect(c.isSessionSwitch(undefined, 'a')).toBe(false);
    expect(c.isSessionSwitch('a', 'a')).toBe(false);
    expect(c.isSessionSwitch('b', 'a')).toBe(true);
  });

  test('agent downloads naming a JWT tenant group need rights on it', () => {
    const meshes = { 'mesh//g': { jwttenant: 't', links: { 'user//~jwt:a': { rights: 8 } } }, 'mesh//plain': { links: {} } };
    const domain = { id: '' };
    expect(c.hasRightsOnTenantGroups({ id: 'g' }, domain, meshes, { _id: 'user//~jwt:a' })).toBe(true);
    expect(c.hasRightsOnTenantGroups({ meshid: 'mesh//g' }, domain, meshes, { _id: 'user//~jwt:b' })).toBe(false);
    expect(c.hasRightsOnTenantGroups({ id: 'g' }, domain, meshes, null)).toBe(false);
    expect(c.hasRightsOnTenantGroups({ id: 'plain' }, domain, meshes, null)).toBe(true);
    expect(c.hasRightsOnTenantGroups({ id: 'g' }, null, meshes, null)).toBe(true);
  });

  test("a WebSocket's token: Bearer, or a one-time ?jwt=; both or twice is duplicate-token", () => {
    expect(c.socketToken({ headers: { authorization: 'Bearer b' }, query: {} })).toEqual({ token: 'b', isUrlToken: false });
    expect(c.socketToken({ headers: {}, query: { jwt: 'q' } })).toEqual({ token: 'q', isUrlToken: true });
    expect(c.socketToken({ headers: {}, query: {} })).toBeNull();
    expect(reasonOf(() => c.socketToken({ headers: { authorization: 'Bearer b' }, query: { jwt: 'q' } }))).toBe('duplicate-token');
    expect(reasonOf(() => c.socketToken({ headers: {}, query: { jwt: ['q', 'r'] } }))).toBe('duplicate-token');
  });
});

describe('login cookies and password logins', () => {
  test("a JWT user's login cookie under the login or server key needs a live session; anything else passes", () => {
    expect(c.isJwtLoginCookie({ userid: 'user//~jwt:a' }, 'L', 'L', 'S')).toBe(true);
    expect(c.isJwtLoginCookie({ userid: 'user//~jwt:a' }, 'S', 'L', 'S')).toBe(true);
    expect(c.isJwtLoginCookie({ userid: 'user//~jwt:a' }, 'X', 'L', 'S')).toBe(false);
    expect(c.isJwtLoginCookie({ userid: 'user//admin' }, 'L', 'L', 'S')).toBe(false);
    expect(c.isJwtLoginCookie(null, 'L', 'L', 'S')).toBe(false);
  });

  test('only the named local accounts may log in with a password, case-insensitively', () => {
    const local = c.readOptions({ ...SETTINGS, jwtauthlocalaccounts: ['Admin'] }, ENV);
    expect(c.isLocalAccount('ADMIN', local)).toBe(true);
    expect(c.isLocalAccount('other', local)).toBe(false);
    expect(c.isLocalAccount(undefined, local)).toBe(false);
  });
});
