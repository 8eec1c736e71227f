/*
 * The token, claim, mapping and request checks of jwt-auth.js, run against files/jwt-auth.js itself
 * (the file the series adds to MeshCentral, required directly: no engine, no MeshCentral).
 * Each check throws a refusal with its reason code; these tests pin every code.
 */
import { createHmac } from 'node:crypto';
import jwt from 'jsonwebtoken';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the payload is untyped CommonJS; the tests call its functions with MeshCentral's shapes
type Checks = Record<string, any>;

const SECRET = 'unit-secret-0123456789-abcdefghijklmnopqrstuvwxyz';
const AGENT_KEY = 'agent-key-0123456789-abcdefghijklmnopqrstuvwxyz';
const SETTINGS = { jwtauthissuer: 'https://dash.example', jwtauthaudience: 'meshcentral' };
const ENV = { JWT_SECRET: SECRET, AGENT_SIGN_KEY: AGENT_KEY };

let c: Checks;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the payload's options object, untyped like the payload
let options: any;

beforeAll(() => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the payload is plain CommonJS, as MeshCentral loads it
  c = (require('../../../files/jwt-auth.js') as { checks: Checks }).checks;
  options = c.readOptions(SETTINGS, ENV);
});

/** The reason code fn refuses with (fails the test when fn does not throw a refusal). */
function reasonOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof c.JwtRefusal) return (error as { reason: string }).reason;
    throw error;
  }
  throw new Error('expected a refusal, got none');
}

const now = (): number => Math.floor(Date.now() / 1000);
const sign = (payload: object, key = SECRET, algorithm: jwt.Algorithm = 'HS256'): string => jwt.sign(payload, key, { algorithm });
const valid = (extra: object = {}): Record<string, unknown> => ({
  sub: 'u-1',
  tenant_id: 't-1',
  iss: SETTINGS.jwtauthissuer,
  aud: SETTINGS.jwtauthaudience,
  iat: now(),
  exp: now() + 60,
  jti: 'j-1',
  ...extra,
});
const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
/** HS256 by hand, for payloads jsonwebtoken refuses to sign (e.g. a string nbf). */
const rawSign = (payload: object): string => {
  const body = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(payload)}`;
  return `${body}.${createHmac('sha256', SECRET).update(body).digest('base64url')}`;
};

describe('readOptions', () => {
  test.each([
    [{}, 'JWT_SECRET is not set'],
    [{ JWT_SECRET: 'short' }, 'JWT_SECRET is shorter than 32 bytes'],
    [{ JWT_SECRET: SECRET, AGENT_SIGN_KEY: SECRET }, 'JWT_SECRET must differ from AGENT_SIGN_KEY'],
  ])('environment %j is refused: %s', (env, message) => {
    expect(() => c.readOptions(SETTINGS, env)).toThrow(message);
  });

  test('issuer and audience are required unless jwtAuthNoIssuerAudienceCheck is true', () => {
    expect(() => c.readOptions({ jwtauthissuer: 'x' }, ENV)).toThrow('settings.jwtAuthIssuer and settings.jwtAuthAudience are required');
    expect(() => c.readOptions({ jwtauthaudience: 'x', jwtauthissuer: '' }, ENV)).toThrow('are required');
    expect(c.readOptions({ jwtauthnoissueraudiencecheck: true }, ENV).issuer).toBeUndefined();
  });

  test('defaults: HS256, 24 h Bearer, 120 s URL tokens, 30 s tolerance and cache, no root tenant, no origins, no local accounts', () => {
    expect(options).toMatchObject({
      algorithm: 'HS256',
      maxLifetime: 86400,
      urlMaxLifetime: 120,
      clockTolerance: 30,
      cacheSeconds: 30,
      rootTenant: null,
      domainId: '',
      origins: [],
      localAccounts: [],
      publicAgentDownloads: false,
      logPerMinute: 30,
    });
  });

  test('bad values name the setting', () => {
    expect(() => c.readOptions({ ...SETTINGS, jwtauthalgorithm: 'RS256' }, ENV)).toThrow(
      'settings.jwtAuthAlgorithm must be one of HS256, HS384, HS512',
    );
    expect(() => c.readOptions({ ...SETTINGS, jwtauthurltokenmaxlifetime: '60' }, ENV)).toThrow(
      'settings.jwtAuthUrlTokenMaxLifetime must be a non-negative number',
    );
    expect(() => c.readOptions({ ...SETTINGS, jwtauthorigins: ['https://dash.example/app'] }, ENV)).toThrow(
      'settings.jwtAuthOrigins: "https://dash.example/app" is not an origin',
    );
    expect(() => c.readOptions({ ...SETTINGS, jwtauthorigins: 'https://dash.example' }, ENV)).toThrow(
      'settings.jwtAuthOrigins must be a list',
    );
    expect(() => c.readOptions({ ...SETTINGS, jwtauthroottenant: 7 }, ENV)).toThrow('settings.jwtAuthRootTenant must be a tenant id');
    expect(c.readOptions({ ...SETTINGS, jwtauthcacheseconds: 600 }, ENV).cacheSeconds).toBe(60);
    expect(c.readOptions({ ...SETTINGS, jwtauthlocalaccounts: ['Admin'] }, ENV).localAccounts).toEqual(['admin']);
  });

  test('PostgreSQL TLS: off for loopback hosts, on (verified) for any other host, POSTGRES_SSL=false turns it off explicitly', () => {
    expect(c.readPgOptions({ POSTGRES_HOST: '127.0.0.1' }).ssl).toBe(false);
    expect(c.readPgOptions({}).ssl).toBe(false); // localhost
    expect(c.readPgOptions({ POSTGRES_HOST: 'db.internal' }).ssl).toEqual({ rejectUnauthorized: true, ca: undefined });
    expect(c.readPgOptions({ POSTGRES_HOST: 'db.internal', POSTGRES_SSL: 'false' }).ssl).toBe(false);
    expect(c.readPgOptions({ POSTGRES_HOST: '127.0.0.1', POSTGRES_SSL: 'true' }).ssl).toEqual({ rejectUnauthorized: true, ca: undefined });
  });
});

describe('checkNoOtherWayIn (start-up refusals)', () => {
  test.each([
    [{ nousers: true }, {}, 'settings.noUsers'],
    [{}, { auth: 'ldap' }, 'domain auth "ldap"'],
    [{}, { auth: 'sspi' }, 'domain auth "sspi"'],
    [{}, { authstrategies: { oidc: {} } }, 'domain authStrategies'],
  ])('args %j, domain %j: %s', (args, domain, message) => {
    expect(() => c.checkNoOtherWayIn(args, domain, '')).toThrow(message);
  });
  test('an unknown jwtAuthDomain and a plain domain', () => {
    expect(() => c.checkNoOtherWayIn({}, undefined, 'x')).toThrow('settings.jwtAuthDomain "x" is not a configured MeshCentral domain');
    expect(() => c.checkNoOtherWayIn({}, { title: 't' }, '')).not.toThrow();
  });
});

describe('token shape and algorithm', () => {
  test.each([
    ['empty', '', 'malformed'],
    ['two parts', 'a.b', 'malformed'],
    ['not base64url', 'e*J.e30.x', 'malformed'],
    ['header not JSON', `${Buffer.from('nope').toString('base64url')}.e30.x`, 'malformed'],
    ['header a JSON array', `${b64([1])}.e30.x`, 'malformed'],
    ['over 8 KB', `${b64({ alg: 'HS256' })}.${'A'.repeat(8200)}.x`, 'malformed'],
  ])('%s: %s', (_name, token, reason) => {
    expect(reasonOf(() => c.checkShape(token))).toBe(reason);
  });
  test.each(['none', 'NONE', 'HS512', 'RS256', undefined])('alg %s is refused while HS256 is pinned', (alg) => {
    expect(reasonOf(() => c.checkAlgorithm({ alg }, options))).toBe('bad-algorithm');
  });
});

describe('verifySignature', () => {
  test('a valid token verifies', () => {
    expect(c.verifySignature(jwt, sign(valid()), options).sub).toBe('u-1');
  });
  test.each([
    ['another secret', () => sign(valid(), 'another-secret-0123456789-0123456789-abc'), 'bad-signature'],
    ['AGENT_SIGN_KEY', () => sign(valid(), AGENT_KEY), 'agent-token'],
    ['wrong issuer', () => sign(valid({ iss: 'https://evil.example' })), 'wrong-issuer'],
    ['no issuer', () => sign({ ...valid(), iss: undefined }), 'wrong-issuer'],
    ['wrong audience', () => sign(valid({ aud: 'api' })), 'wrong-audience'],
    ['no audience', () => sign({ ...valid(), aud: undefined }), 'wrong-audience'],
    ['expired', () => sign(valid({ iat: now() - 600, exp: now() - 300 })), 'expired'],
    ['nbf in the future', () => sign(valid({ nbf: now() + 600 })), 'not-yet-valid'],
    ['nbf not a number', () => rawSign(valid({ nbf: 'soon' })), 'bad-claims'],
    ['exp not a number', () => rawSign(valid({ exp: 'later' })), 'bad-claims'],
  ])('%s: %s', (_name, make, reason) => {
    expect(reasonOf(() => c.verifySignature(jwt, make(), options))).toBe(reason);
  });
});

describe('checkTimes', () => {
  const t = now();
  test.each([
    ['no exp', { iat: t }, 120, 'no-exp'],
    ['exp a string', { exp: String(t + 60) }, 120, 'bad-claims'],
    ['iat a string (not taken as now)', { iat: 'now', exp: t + 60 }, 120, 'bad-claims'],
    ['iat an object', { iat: {}, exp: t + 60 }, 120, 'bad-claims'],
    ['nbf a string', { nbf: 'x', exp: t + 60 }, 120, 'bad-claims'],
    ['iat in the future', { iat: t + 600, exp: t + 660 }, 120, 'not-yet-valid'],
    ['URL token living 10 min', { iat: t, exp: t + 600 }, 120, 'lifetime'],
    ['no iat and exp 10 min away (URL token)', { exp: t + 600 }, 120, 'lifetime'],
    ['Bearer token living 48 h', { iat: t, exp: t + 48 * 3600 }, 86400, 'lifetime'],
    ['backdated iat does not stretch the lifetime', { iat: t - 86000, exp: t + 600 }, 120, 'lifetime'],
  ])('%s: %s', (_name, payload, max, reason) => {
    expect(reasonOf(() => c.checkTimes(payload, options, t, max))).toBe(reason);
  });
  test('within the lifetime and the tolerance passes', () => {
    expect(() => c.checkTimes({ iat: t + 10, exp: t + 100 }, options, t, 120)).not.toThrow();
  });
});

describe('readClaims', () => {
  test.each([
    ['no sub', { tenant_id: 't' }, 'bad-claims'],
    ['sub an object', { sub: {}, tenant_id: 't' }, 'bad-claims'],
    ['sub over 128 characters', { sub: 'x'.repeat(129), tenant_id: 't' }, 'bad-claims'],
    ['no tenant_id', { sub: 'u' }, 'bad-claims'],
    ['tenant_id a float', { sub: 'u', tenant_id: 1.5 }, 'bad-claims'],
    ['email an array', { sub: 'u', tenant_id: 't', email: ['a@b.c'] }, 'bad-claims'],
    ['email with spaces', { sub: 'u', tenant_id: 't', email: "x@a.example' OR '1'='1" }, 'bad-claims'],
    ['jti an object', { sub: 'u', tenant_id: 't', jti: {} }, 'bad-claims'],
  ])('%s: %s', (_name, payload, reason) => {
    expect(reasonOf(() => c.readClaims(payload))).toBe(reason);
  });
  test('numeric ids become strings, email is lower-cased', () => {
    expect(c.readClaims({ sub: 42, tenant_id: 7, email: 'Amy@A.example', jti: 'x', exp: 5 })).toEqual({
      sub: '42',
      tenant: '7',
      email: 'amy@a.example',
      jti: 'x',
      exp: 5,
    });
  });
  test('URL tokens need a jti', () => {
    expect(reasonOf(() => c.checkUrlToken({ jti: null }))).toBe('no-jti');
  });
});

describe('replay store', () => {
  test('a jti is one-time until its exp, then forgotten; a full store fails closed', () => {
    const store = c.createReplayStore(2);
    const t = Date.now();
    store.use('a', t + 1000, t);
    expect(reasonOf(() => store.use('a', t + 1000, t))).toBe('replayed');
    store.use('b', t + 1000, t);
    expect(reasonOf(() => store.use('c', t + 1000, t))).toBe('replay-store-full');
    store.use('c', t + 1000, t + 2000); // a and b expired: swept to make room
    expect(store.size()).toBe(1);
  });
});

describe('user rows and rights', () => {
  const row = { user_id: 'u-1', email: 'amy@a.example', role: 'user', tenant_id: 't-1', deleted_at: null };
  const claims = { tenant: 't-1', email: 'amy@a.example' };
  test.each([
    ['no row', [], claims, 'unknown-user'],
    ['two rows (CAROL@ and carol@)', [row, { ...row, role: 'admin' }], claims, 'ambiguous-user'],
    ['deleted', [{ ...row, deleted_at: new Date() }], claims, 'deleted-user'],
    ['email of another user', [row], { tenant: 't-1', email: 'alice@a.example' }, 'email-mismatch'],
    ['row of another tenant', [{ ...row, tenant_id: 't-2' }], claims, 'wrong-tenant'],
  ])('%s: %s', (_name, rows, cl, reason) => {
    expect(reasonOf(() => c.pickUserRow(rows, cl))).toBe(reason);
  });
  test('exactly one live row is the user; the email is optional', () => {
    expect(c.pickUserRow([row], { tenant: 't-1', email: null })).toBe(row);
  });
  test('site admin only for an admin of the tenant named in settings', () => {
    expect(c.siteRightsFor('admin', 'root', options)).toBe(64); // no default root tenant
    const named = { ...options, rootTenant: 'ops' };
    expect(c.siteRightsFor('admin', 'ops', named)).toBe(0xffffffff);
    expect(c.siteRightsFor('user', 'ops', named)).toBe(64);
    expect(c.siteRightsFor('admin', 'root', named)).toBe(64);
    expect(c.roleOf({ role: 'ADMIN' })).toBe('admin');
    expect(c.roleOf({ role: 'superuser' })).toBe('user');
  });
  test("MeshCentral's lock bit", () => {
    expect(c.isLocked({ siteadmin: 64 | 32 })).toBe(true);
    expect(c.isLocked({ siteadmin: 64 })).toBe(false);
    expect(c.isLocked({ siteadmin: 0xffffffff })).toBe(false);
    expect(c.isLocked(undefined)).toBe(false);
  });
  test('user ids hash [tenant, sub]; group ids are random', () => {
    expect(c.userIdFor('', 't-1', 'u-1')).toMatch(/^user\/\/~jwt:[0-9a-f]{40}$/);
    expect(c.userIdFor('', 't-1', 'u-1')).toBe(c.userIdFor('', 't-1', 'u-1'));
    expect(c.userIdFor('', 't-1', 'u-1')).not.toBe(c.userIdFor('', 't-1u', '-1'));
    const a = c.randomMeshId('');
    expect(a).toMatch(/^mesh\/\/[A-Za-z0-9@$]{64}$/);
    expect(c.randomMeshId('')).not.toBe(a);
  });
});

describe('requests', () => {
  test('token parameters: once is the token, twice or nested is refused', () => {
    expect(c.tokenParameter({}, 'token')).toBeNull();
    expect(c.tokenParameter({ token: 'x' }, 'token')).toBe('x');
    expect(reasonOf(() => c.tokenParameter({ token: ['x', 'y'] }, 'token'))).toBe('duplicate-token');
    expect(reasonOf(() => c.tokenParameter({ jwt: { a: 'x' } }, 'jwt'))).toBe('duplicate-token');
  });
  test.each([
    [undefined, null],
    ['Basic abc', null],
    ['Bearer abc.def.ghi', 'abc.def.ghi'],
    ['bearer   abc.def.ghi  ', 'abc.def.ghi'],
    ['Bearer', ''],
    ['Bearer a b', ''],
    ['Bearer a,b', ''],
  ])('Authorization %j: %j', (header, token) => {
    expect(c.bearerToken(header === undefined ? {} : { authorization: header })).toBe(token);
  });
  test.each(['http:///?token=x', '//evil.example/?token=x', '/\\evil', '*', ''])('request target %j gets bad-request', (target) => {
    expect(reasonOf(() => c.checkRequestTarget({ originalUrl: target }))).toBe('bad-request');
  });
  test('redirect target: the path and the query without the token, never another host', () => {
    expect(c.redirectTarget({ path: '/', query: { token: 't', viewmode: '1', x: '//evil' } })).toBe('/?viewmode=1&x=%2F%2Fevil');
    expect(c.redirectTarget({ path: '//evil.example/', query: { token: 't' } })).toBe('/');
    expect(c.redirectTarget({ path: '/\\evil', query: {} })).toBe('/');
    expect(c.redirectTarget({ path: '/', query: { a: ['1', '2'], b: { c: 'd' } } })).toBe('/?a=1&a=2');
  });
  const host = { host: 'mc.example' };
  const allowed = { ...options, origins: ['https://dash.example'] };
  test.each([
    ['no browser headers (curl)', {}, null],
    ['Sec-Fetch-Site: none (typed URL)', { 'sec-fetch-site': 'none' }, null],
    ['Sec-Fetch-Site: same-origin', { 'sec-fetch-site': 'same-origin' }, null],
    ['cross-site from the dashboard (Referer)', { 'sec-fetch-site': 'cross-site', referer: 'https://dash.example/app' }, null],
    ['cross-site from the dashboard (Origin)', { 'sec-fetch-site': 'cross-site', origin: 'https://dash.example' }, null],
    ['cross-site from another site', { 'sec-fetch-site': 'cross-site', referer: 'https://evil.example/' }, 'bad-origin'],
    ['same-site but another origin', { 'sec-fetch-site': 'same-site', origin: 'https://other.mc.example' }, 'bad-origin'],
    ['cross-site without Origin or Referer', { 'sec-fetch-site': 'cross-site' }, 'bad-origin'],
    ['Origin: null (sandboxed frame)', { 'sec-fetch-site': 'cross-site', origin: 'null' }, 'bad-origin'],
    ['old browser, Referer of another site', { referer: 'https://evil.example/' }, 'bad-origin'],
    ['old browser, Referer of MeshCentral itself', { referer: 'https://mc.example/x' }, null],
  ])('URL login origin, %s', (_name, headers, reason) => {
    const check = (): void => c.checkOrigin({ headers: { ...host, ...headers } }, allowed);
    if (reason === null) expect(check).not.toThrow();
    else expect(reasonOf(check)).toBe(reason);
  });
  test('WebSocket origin: own host or an allowed origin', () => {
    expect(() => c.checkWebSocketOrigin({ headers: { ...host, origin: 'https://mc.example' } }, allowed)).not.toThrow();
    expect(() => c.checkWebSocketOrigin({ headers: { ...host, origin: 'https://dash.example' } }, allowed)).not.toThrow();
    expect(reasonOf(() => c.checkWebSocketOrigin({ headers: { ...host, origin: 'https://evil.example' } }, allowed))).toBe('bad-origin');
  });
  test('frame-ancestors lists the dashboard origins after self', () => {
    expect(c.frameAncestors(allowed)).toBe("frame-ancestors 'self' https://dash.example");
    expect(c.frameAncestors(options)).toBe("frame-ancestors 'self'");
  });
});

test('refusal log: at most N lines a minute, then one notice, then counts only', () => {
  const lines: string[] = [];
  const log = c.createRefusalLog(3, (l: string) => lines.push(l));
  for (let i = 0; i < 100; i++) log.log('expired', `refused ${i}`);
  expect(lines).toEqual([
    'refused 0',
    'refused 1',
    'refused 2',
    'JWT Auth: more than 3 refusals this minute; counting the rest per reason.',
  ]);
});

test('every HTTP status the module uses is 400, 401, 403, 429 or 500', () => {
  for (const reason of c.REASONS as string[])
    expect([400, 401, 403, 429, 500]).toContain((c.HTTP_STATUS as Record<string, number>)[reason] ?? 401);
});
