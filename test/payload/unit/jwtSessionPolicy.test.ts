/*
 * Issue 20's decisions in jwt-auth.js, one by one: the session table and its verdict (the URL token only opens a
 * session; idle time, maximum age, logout and the user's row end it), login cookies bound to a live session,
 * anti-CSRF on state-changing requests, cookie attributes (Secure behind TLS offload, CHIPS), a used URL token
 * dead for every entry point, and the refused "crit" header.
 */
import jwt from 'jsonwebtoken';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the payload is untyped CommonJS; the tests call its functions with MeshCentral's shapes
type Checks = Record<string, any>;

const SECRET = 'unit-secret-0123456789-abcdefghijklmnopqrstuvwxyz';
const SETTINGS = { jwtauthissuer: 'https://dash.example', jwtauthaudience: 'meshcentral' };
const ENV = { JWT_SECRET: SECRET };
const DASHBOARD = 'https://dash.example';
const POLICY = { sessionMaxAge: 100, sessionIdleTimeout: 10 };
const T0 = 1_700_000_000_000;

let c: Checks;

beforeAll(() => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the payload is plain CommonJS, as MeshCentral loads it
  c = (require('../../../files/jwt-auth.js') as { checks: Checks }).checks;
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

describe('settings of the session policy', () => {
  test('defaults: 8 h maximum age, 1 h idle timeout, partitioned cookies "auto"', () => {
    expect(c.readOptions(SETTINGS, ENV)).toMatchObject({ sessionMaxAge: 8 * 3600, sessionIdleTimeout: 3600, partitionedCookies: 'auto' });
  });

  test('bad values name the setting', () => {
    expect(() => c.readOptions({ ...SETTINGS, jwtauthsessionmaxage: 0 }, ENV)).toThrow(
      'settings.jwtAuthSessionMaxAge must be a positive number of seconds.',
    );
    expect(() => c.readOptions({ ...SETTINGS, jwtauthsessionidletimeout: '60' }, ENV)).toThrow(
      'settings.jwtAuthSessionIdleTimeout must be a positive number of seconds.',
    );
    expect(() => c.readOptions({ ...SETTINGS, jwtauthpartitionedcookies: 'yes' }, ENV)).toThrow(
      'settings.jwtAuthPartitionedCookies must be true, false or "auto".',
    );
    expect(c.readOptions({ ...SETTINGS, jwtauthpartitionedcookies: true }, ENV).partitionedCookies).toBe(true);
  });
});

describe('sessionVerdict: the URL token only opens the session', () => {
  const open = (): Record<string, unknown> => c.createSessionTable(10).open({ userid: 'user//~jwt:a' }, T0);

  test.each([
    ['just opened', 0, 0, null],
    ['active 9 s ago', 50_000, 41_000, null],
    ['idle for the idle timeout', 10_000, 0, 'session-idle'],
    ['active, at the maximum age', 100_000, 99_000, 'session-max-age'],
  ])('%s', (_name, elapsed, activeAt, expected) => {
    const session = open();
    session.lastActive = T0 + (activeAt as number);
    expect(c.sessionVerdict(session, 'user//~jwt:a', T0 + (elapsed as number), POLICY)).toBe(expected);
  });

  test("no session, another user's session: no-jwt-session; an ended session keeps its first reason", () => {
    const table = c.createSessionTable(10);
    const session = table.open({ userid: 'user//~jwt:a' }, T0);
    expect(c.sessionVerdict(null, 'user//~jwt:a', T0, POLICY)).toBe('no-jwt-session');
    expect(c.sessionVerdict(session, 'user//~jwt:b', T0, POLICY)).toBe('no-jwt-session');
    table.end(session, 'logged-out', T0 + 1);
    table.end(session, 'deleted-user', T0 + 2);
    expect(c.sessionVerdict(session, 'user//~jwt:a', T0 + 3, POLICY)).toBe('logged-out');
  });

  test('the table: random 32-character ids, found again by id, forgotten an hour after the end, full means refused', () => {
    const table = c.createSessionTable(2);
    const a = table.open({ userid: 'u' }, T0);
    const b = table.open({ userid: 'u' }, T0);
    expect(a.sid).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(a.sid).not.toBe(b.sid);
    expect(table.get(a.sid)).toBe(a);
    expect(table.get(undefined)).toBeNull();
    expect(reasonOf(() => table.open({ userid: 'u' }, T0))).toBe('session-store-full');
    table.end(a, 'logged-out', T0 + 1000);
    table.prune(T0 + 1000 + 3600_000 - 1, POLICY.sessionMaxAge);
    expect(table.size()).toBe(2);
    table.prune(T0 + 1000 + 3600_000, POLICY.sessionMaxAge);
    expect(table.get(a.sid)).toBeNull();
    expect(table.get(b.sid)).toBe(b);
  });
});

describe('authCookieVerdict: a login cookie ("auth" form field) lives no longer than its user\'s live session', () => {
  const userid = 'user//~jwt:a';
  const cookieAt = (ms: number): Record<string, unknown> => ({ userid, domainid: '', time: Math.floor(ms / 1000) });

  test('a cookie made during a live session of its user: accepted', () => {
    const table = c.createSessionTable(10);
    table.open({ userid }, T0);
    expect(c.authCookieVerdict(cookieAt(T0 + 2000), table.all(), T0 + 5000, POLICY)).toBeNull();
  });

  test("no session of that user (a restart, another user's session): no-jwt-session", () => {
    const table = c.createSessionTable(10);
    table.open({ userid: 'user//~jwt:b' }, T0);
    expect(c.authCookieVerdict(cookieAt(T0), table.all(), T0, POLICY)).toBe('no-jwt-session');
  });

  test("the session ended (deleted user, logout, idle): the session's reason", () => {
    const table = c.createSessionTable(10);
    table.end(table.open({ userid }, T0), 'deleted-user', T0 + 1000);
    expect(c.authCookieVerdict(cookieAt(T0), table.all(), T0 + 2000, POLICY)).toBe('deleted-user');
    const idle = c.createSessionTable(10);
    idle.open({ userid }, T0);
    expect(c.authCookieVerdict(cookieAt(T0), idle.all(), T0 + 10_000, POLICY)).toBe('session-idle');
  });

  test('a cookie older than the live session (from a session that ended before): no-jwt-session', () => {
    const table = c.createSessionTable(10);
    table.open({ userid }, T0 + 60_000);
    expect(c.authCookieVerdict(cookieAt(T0), table.all(), T0 + 61_000, POLICY)).toBe('no-jwt-session');
  });
});

describe('checkStateChange: anti-CSRF on every state-changing request', () => {
  const options = (): Record<string, unknown> => c.readOptions({ ...SETTINGS, jwtauthorigins: [DASHBOARD] }, ENV);
  const req = (method: string, headers: Record<string, string>): Record<string, unknown> => ({
    method,
    headers: { host: 'mesh.example', ...headers },
  });

  test.each([
    ['GET from another site', 'GET', { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' }, null],
    ['POST from another site', 'POST', { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' }, 'bad-origin'],
    ['PUT from another site, no Sec-Fetch-Site (older browser)', 'PUT', { origin: 'https://evil.example' }, 'bad-origin'],
    ['POST from a sandboxed frame (Origin: null)', 'POST', { 'sec-fetch-site': 'cross-site', origin: 'null' }, 'bad-origin'],
    ['POST cross-site with neither Origin nor Referer', 'POST', { 'sec-fetch-site': 'cross-site' }, 'bad-origin'],
    ['POST from the dashboard', 'POST', { 'sec-fetch-site': 'cross-site', origin: DASHBOARD }, null],
    ["POST from MeshCentral's own page", 'POST', { 'sec-fetch-site': 'same-origin', origin: 'https://mesh.example' }, null],
    ['POST from a non-browser client (no Origin, no Sec-Fetch-Site)', 'POST', {}, null],
  ])('%s', (_name, method, headers, expected) => {
    expect(reasonOf(() => c.checkStateChange(req(method as string, headers as Record<string, string>), options()))).toBe(expected);
  });
});

describe('cookie attributes', () => {
  test('Secure whenever the request came over TLS (also through a trusted TLS-offload proxy); CHIPS only with TLS', () => {
    expect(c.cookieAttributes(false, false)).toEqual({});
    expect(c.cookieAttributes(false, true)).toEqual({});
    expect(c.cookieAttributes(true, false)).toEqual({ secure: true });
    expect(c.cookieAttributes(true, true)).toEqual({ secure: true, sameSite: 'none', partitioned: true });
  });

  test.each([
    ['auto', 'cross-site', true],
    ['auto', 'same-site', false],
    ['auto', undefined, false],
    [true, 'same-origin', true],
    [false, 'cross-site', false],
  ])('partitioned setting %j, Sec-Fetch-Site %j: %j', (setting, site, expected) => {
    expect(c.wantsPartitioned({ headers: site ? { 'sec-fetch-site': site } : {} }, setting)).toBe(expected);
  });

  test("logout is the domain's /logout path, nothing that merely contains it", () => {
    expect(c.isLogout({ path: '/logout' }, { url: '/' })).toBe(true);
    expect(c.isLogout({ path: '/t1/logout' }, { url: '/t1/' })).toBe(true);
    expect(c.isLogout({ path: '/logout/x' }, { url: '/' })).toBe(false);
    expect(c.isLogout({ path: '/x/logout' }, { url: '/' })).toBe(false);
  });
});

describe('tokens', () => {
  test('a "crit" header is refused (unknown-crit), whatever it lists; no crit passes', () => {
    const header = (extra: object): Record<string, unknown> =>
      c.checkShape(jwt.sign({ sub: 'u' }, SECRET, { header: { alg: 'HS256', ...extra } as jwt.JwtHeader }));
    expect(reasonOf(() => c.checkCritical(header({ crit: ['exp'] })))).toBe('unknown-crit');
    expect(reasonOf(() => c.checkCritical(header({ crit: [] })))).toBe('unknown-crit');
    expect(reasonOf(() => c.checkCritical(header({})))).toBeNull();
  });

  test('a URL token once used is marked dead until its exp, for every entry point', () => {
    const store = c.createReplayStore(10);
    expect(store.wasUsed('t\u0000j1', T0)).toBe(false);
    store.use('t\u0000j1', T0 + 60_000, T0);
    expect(store.wasUsed('t\u0000j1', T0 + 59_999)).toBe(true);
    expect(store.wasUsed('t\u0000j1', T0 + 60_001)).toBe(false);
  });
});
