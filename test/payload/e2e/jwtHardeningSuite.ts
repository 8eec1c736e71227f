/*
 * Issue 9's findings as end-to-end tests, on a real PostgreSQL and a real patched MeshCentral: the four
 * high ones ((1) odd request targets and crashes, (2) sessions bound to the token and the user,
 * (3) device-group ids and agent downloads, (4) MeshCentral's own accounts), the medium ones 5-9, and a
 * 10 s flood of invalid tokens. Run for the live base and the second release (jwt-hardening*.test.ts). Each finding's test
 * failed on the series before issue 9 (see MESHFORK_JWT_SERIES below) and passes now.
 */
import { createHash } from 'node:crypto';
import https from 'node:https';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startPostgres, type PostgresServer } from '../../support/postgres';
import {
  patchedRelease,
  runMeshCentralUntilExit,
  startMeshCentral,
  type MeshCentralServer,
  type PatchedRelease,
} from '../../support/meshcentral';
import { controlSession, httpsGet, httpsPost, loggedInCookie, openControl, rawHttps, sessionOf } from '../../support/meshClient';
import { AGENT_SIGN_KEY, JWT_SECRET, seedTenants, TENANT_A, tokenFor, USERS } from '../../support/jwtTenants';
import { LIVE_PROJECT } from '../support/liveProject';

const DASHBOARD = 'https://dash.example';
const LOCAL_PASSWORD = 'Local-Passw0rd-For-Tests!';
const LOG_LIMIT = 60;
const FLOOD_MS = 10_000;

/** The MeshCentral child process (the launcher restarts a crashed child under a new pid). */
export function childPid(server: MeshCentralServer): number {
  const children = readFileSync(`/proc/${server.pid}/task/${server.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  if (children.length !== 1) throw new Error(`expected one MeshCentral child of ${server.pid}, found ${children.length}`);
  return children[0];
}

/** Waits until the output written after `mark` contains `text`. */
export async function expectLogged(server: MeshCentralServer, mark: number, text: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!server.output().slice(mark).includes(text)) {
    if (Date.now() > deadline) throw new Error(`server did not log "${text}"; it logged:\n${server.output().slice(mark)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * MESHFORK_JWT_SERIES=DIR runs the suite against another series folder, e.g. the series before issue 9:
 * `MESHFORK_JWT_SERIES=test/fixtures/jwt-series-before-hardening npx jest test/e2e/jwt-hardening.test.ts`
 * shows every finding failing there (the crash test runs last: it takes that server down).
 */
const SERIES = process.env.MESHFORK_JWT_SERIES ? path.resolve(process.env.MESHFORK_JWT_SERIES) : undefined;

export function hardeningSuite(version: string): void {
  let pg: PostgresServer;
  let release: PatchedRelease;
  let server: MeshCentralServer;
  const issued: string[] = [];
  const token = (...args: Parameters<typeof tokenFor>): string => {
    const t = tokenFor(...args);
    issued.push(t);
    return t;
  };

  beforeAll(async () => {
    pg = await startPostgres();
    await seedTenants(pg);
    release = await patchedRelease(version, { project: LIVE_PROJECT, ...(SERIES ? { patches: SERIES } : {}) });
    // Two local accounts made with MeshCentral's own CLI before the server starts: one allow-listed, one not.
    const datapath = mkdtempSync(path.join(os.tmpdir(), 'meshfork-mcdata-'));
    const env = { JWT_SECRET, AGENT_SIGN_KEY, ...pg.env };
    for (const name of ['localadmin', 'localother']) {
      const made = await runMeshCentralUntilExit(release.dir, { env, datapath, args: ['--createaccount', name, '--pass', LOCAL_PASSWORD] });
      if (!made.output.includes('Done.')) throw new Error(`--createaccount ${name} failed:\n${made.output}`);
    }
    server = await startMeshCentral(release.dir, {
      env,
      datapath,
      settings: {
        jwtAuthCacheSeconds: 1,
        jwtAuthClockTolerance: 0,
        jwtAuthOrigins: [DASHBOARD],
        jwtAuthLocalAccounts: ['localadmin'],
        trustedProxy: '127.0.0.1',
        jwtAuthRefusalLogPerMinute: LOG_LIMIT,
        // The suite's own refusals come from 127.0.0.1: 100 bad logins before MeshCentral's throttle (default 10) steps in; the flood passes that.
        maxInvalidLogin: { time: 10, count: 100 },
      },
    });
    await server.waitForOutput('JWT Auth: PostgreSQL connected', 60_000);
  }, 600_000);

  afterAll(async () => {
    await server?.stop();
    release?.remove();
    await pg?.destroy();
  });

  describe('2. sessions carry exp, tenant and user; cookie and WebSocket re-check', () => {
    test('the session cookie names a server-side session and lives the session maximum age, not the token (issue 20)', async () => {
      const answer = await httpsGet(server.port, `/?token=${token(USERS.amy, { exp: Math.floor(Date.now() / 1000) + 40 })}`);
      expect(answer.status).toBe(302);
      const xid = answer.setCookies.find((c) => c.startsWith('xid='));
      const expires = /expires=([^;]+)/i.exec(xid ?? '')?.[1];
      expect(expires).toBeDefined();
      expect(Math.abs(Date.parse(expires as string) - (Date.now() + 8 * 3600 * 1000))).toBeLessThan(60_000); // jwtAuthSessionMaxAge default
      expect(sessionOf(answer)?.jwt).toEqual({ i: expect.stringMatching(/^[A-Za-z0-9_-]{32}$/) });
    });

    test("past the token's exp the cookie session goes on (issue 20): 200 for HTTP, the WebSocket opens", async () => {
      const answer = await httpsGet(server.port, `/?token=${token(USERS.amy, {}, { expiresIn: 2 })}`);
      const cookie = loggedInCookie(answer) as string;
      expect(cookie).not.toBeNull();
      await sleep(3000);
      expect((await httpsGet(server.port, '/meshagents?meshaction=generic', { cookie })).status).toBe(200);
      const ws = await controlSession(server.port, { headers: { cookie } });
      expect(ws.userinfo?.name).toBe(USERS.amy.name);
    });

    test('a user deleted in PostgreSQL loses the cookie and the open control.ashx within the cache time plus a few seconds', async () => {
      await pg.query(
        "INSERT INTO users (user_id, email, name, role, tenant_id) VALUES ('u-del', 'del@a.example', 'Del Soon', 'user', $1)",
        [TENANT_A],
      );
      const del = { id: 'u-del', email: 'del@a.example', tenant: TENANT_A };
      const cookie = loggedInCookie(await httpsGet(server.port, `/?token=${token(del)}`)) as string;
      expect(cookie).not.toBeNull();
      const open = await openControl(server.port, { cookie });
      const mark = server.output().length;
      await pg.query("UPDATE users SET deleted_at = now() WHERE user_id = 'u-del'");
      const closed = await open.closed(1000 + 5000);
      expect(closed.messages.find((m) => m.action === 'close')).toMatchObject({ cause: 'noauth', msg: 'noauth-jwt' });
      await expectLogged(server, mark, 'reason=deleted-user, entry=websocket');
      expect((await httpsGet(server.port, '/meshagents?meshaction=generic', { cookie })).status).toBe(401);
      await expectLogged(server, mark, 'reason=deleted-user, entry=cookie');
    });

    test('a demoted user (admin to user) loses the session; a user moved to another tenant too', async () => {
      await pg.query(
        "INSERT INTO users (user_id, email, name, role, tenant_id) VALUES ('u-dem', 'dem@a.example', 'Dem Admin', 'admin', $1), ('u-mov', 'mov@a.example', 'Mov User', 'user', $1)",
        [TENANT_A],
      );
      const dem = loggedInCookie(
        await httpsGet(server.port, `/?token=${token({ id: 'u-dem', email: 'dem@a.example', tenant: TENANT_A })}`),
      ) as string;
      const mov = loggedInCookie(
        await httpsGet(server.port, `/?token=${token({ id: 'u-mov', email: 'mov@a.example', tenant: TENANT_A })}`),
      ) as string;
      expect((await httpsGet(server.port, '/meshagents?meshaction=generic', { cookie: dem })).status).toBe(200);
      await pg.query("UPDATE users SET role = 'user' WHERE user_id = 'u-dem'");
      await pg.query("UPDATE users SET tenant_id = 'tenant-b' WHERE user_id = 'u-mov'");
      await sleep(1500);
      const mark = server.output().length;
      expect((await httpsGet(server.port, '/meshagents?meshaction=generic', { cookie: dem })).status).toBe(401);
      await expectLogged(server, mark, 'reason=role-changed, entry=cookie');
      expect((await httpsGet(server.port, '/meshagents?meshaction=generic', { cookie: mov })).status).toBe(401);
      await expectLogged(server, mark, 'reason=unknown-user, entry=cookie');
    });

    test('Bearer requests are stateless: no session cookie is set', async () => {
      const answer = await httpsGet(server.port, '/meshagents?meshaction=generic', { authorization: `Bearer ${token(USERS.amy)}` });
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body).username).toBe(USERS.amy.name);
      expect(
        answer.setCookies.filter((c) => c.startsWith('xid=') && sessionOf({ ...answer, setCookies: [c] })?.userid !== undefined),
      ).toEqual([]);
    });
  });

  describe('3. device-group ids are random, agent downloads need rights', () => {
    test('the tenant group id is not the sha384 of the tenant id, and is the same after another login', async () => {
      const first = await controlSession(server.port, { headers: { authorization: `Bearer ${token(USERS.amy)}` } });
      const meshid = first.meshes?.[0]._id as string;
      const computed = `mesh//${createHash('sha384')
        .update(JSON.stringify(['jwt-tenant', TENANT_A]))
        .digest('base64')
        .replace(/\+/g, '@')
        .replace(/\//g, '$')}`;
      expect(meshid).toMatch(/^mesh\/\/[A-Za-z0-9@$]{64}$/);
      expect(meshid).not.toBe(computed);
      const again = await controlSession(server.port, { headers: { authorization: `Bearer ${token(USERS.alice)}` } });
      expect(again.meshes?.map((m) => m._id)).toEqual([meshid]);
    });

    test('unauthenticated /meshsettings and /meshagents for a tenant group get 403; a member gets the settings', async () => {
      const ws = await controlSession(server.port, { headers: { authorization: `Bearer ${token(USERS.amy)}` } });
      const short = (ws.meshes?.[0]._id as string).split('/')[2];
      const mark = server.output().length;
      expect((await httpsGet(server.port, `/meshsettings?id=${encodeURIComponent(short)}`)).status).toBe(403);
      expect((await httpsGet(server.port, `/meshagents?id=6&meshid=${encodeURIComponent(short)}`)).status).toBe(403);
      await expectLogged(server, mark, 'reason=no-rights, entry=agent-download');
      const bob = await httpsGet(server.port, `/meshsettings?id=${encodeURIComponent(short)}`, {
        authorization: `Bearer ${token(USERS.bob)}`,
      });
      expect(bob.status).toBe(403);
      const amy = await httpsGet(server.port, `/meshsettings?id=${encodeURIComponent(short)}`, {
        authorization: `Bearer ${token(USERS.amy)}`,
      });
      expect(amy.status).toBe(200);
      expect(amy.body).toContain('MeshName=Tenant tenant-a');
    });
  });

  describe("4. MeshCentral's own accounts stay closed", () => {
    test('POST /createaccount is refused with 403 and creates nobody', async () => {
      const mark = server.output().length;
      const answer = await httpsPost(server.port, '/createaccount', {
        username: 'mallory',
        email: 'mallory@evil.example',
        password1: 'Mall0ry-Passw0rd!',
        password2: 'Mall0ry-Passw0rd!',
        apasswordhint: '',
      });
      expect(answer.status).toBe(403);
      await expectLogged(server, mark, 'reason=local-accounts-off, entry=createaccount');
      const root = await openControl(server.port, { authorization: `Bearer ${token(USERS.rita)}` });
      try {
        root.send({ action: 'users' });
        const list = await root.waitFor((m) => m.action === 'users');
        expect((list.users as { _id: string }[]).map((u) => u._id)).not.toContain('user//mallory');
      } finally {
        root.close();
      }
    });

    test('password login works for the allow-listed local account only', async () => {
      const mark = server.output().length;
      const other = await httpsPost(server.port, '/login', { action: 'login', username: 'localother', password: LOCAL_PASSWORD });
      expect(other.status).toBe(200); // MeshCentral renders its login page again
      expect(sessionOf(other)?.userid).toBeUndefined();
      await expectLogged(server, mark, 'reason=local-login, entry=password');
      const allowed = await httpsPost(server.port, '/login', { action: 'login', username: 'localadmin', password: LOCAL_PASSWORD });
      expect(allowed.status).toBe(200); // the logged-in page, rendered directly
      expect(sessionOf(allowed)?.userid).toBe('user//localadmin');
    });

    test('start-up refuses a configuration that would leave MeshCentral open (no users mode)', async () => {
      const { output, exitCode } = await runMeshCentralUntilExit(release.dir, {
        env: { JWT_SECRET, ...pg.env },
        settings: { nousers: true },
        copyFrom: server.datapath,
        timeoutMs: 60_000,
      });
      expect(output).toContain('ERROR: JWT Auth: settings.noUsers');
      expect(output).not.toContain('MeshCentral HTTPS server running');
      expect(exitCode).toBe(0);
    });

    test('start-up refuses without issuer and audience unless explicitly opted out', async () => {
      const refused = await runMeshCentralUntilExit(release.dir, {
        env: { JWT_SECRET, ...pg.env },
        settings: { jwtAuthIssuer: null },
        copyFrom: server.datapath,
        timeoutMs: 60_000,
      });
      expect(refused.output).toContain('ERROR: JWT Auth: settings.jwtAuthIssuer and settings.jwtAuthAudience are required');
      expect(refused.output).not.toContain('MeshCentral HTTPS server running');
    });
  });

  describe('Medium findings 5-9', () => {
    test('5. a cross-site ?token= from outside jwtAuthOrigins is refused (403 bad-origin); from the dashboard it logs in', async () => {
      const mark = server.output().length;
      const evil = await httpsGet(server.port, `/?token=${token(USERS.amy)}`, {
        'sec-fetch-site': 'cross-site',
        referer: 'https://evil.example/x',
      });
      expect({ status: evil.status, session: loggedInCookie(evil) }).toEqual({ status: 403, session: null });
      await expectLogged(server, mark, 'reason=bad-origin, entry=http-query');
      const ok = await httpsGet(server.port, `/?token=${token(USERS.amy)}`, {
        'sec-fetch-site': 'cross-site',
        referer: `${DASHBOARD}/devices`,
      });
      expect(ok.status).toBe(302);
    });

    test('5. URL tokens are one-time and short-lived: a replayed jti gets 401 replayed, a 10-minute URL token 401 lifetime', async () => {
      const once = token(USERS.amy);
      expect((await httpsGet(server.port, `/?token=${once}`)).status).toBe(302);
      const mark = server.output().length;
      const replay = await httpsGet(server.port, `/?token=${once}`);
      expect({ status: replay.status, session: loggedInCookie(replay) }).toEqual({ status: 401, session: null });
      await expectLogged(server, mark, 'reason=replayed, entry=http-query');
      const long = await httpsGet(server.port, `/?token=${token(USERS.amy, {}, { expiresIn: 600 })}`);
      expect({ status: long.status, session: loggedInCookie(long) }).toEqual({ status: 401, session: null });
      await expectLogged(server, mark, 'reason=lifetime, entry=http-query');
    });

    test("5. no silent session switch: bob's token over amy's cookie gets 403 session-switch, amy stays logged in", async () => {
      const login = await httpsGet(server.port, `/?token=${token(USERS.amy)}`);
      const amy = loggedInCookie(login) as string;
      const mark = server.output().length;
      const answer = await httpsGet(server.port, `/?token=${token(USERS.bob)}`, { cookie: amy });
      expect({ status: answer.status, userid: sessionOf(answer)?.userid ?? sessionOf(login)?.userid }).toEqual({
        status: 403,
        userid: sessionOf(login)?.userid,
      });
      await expectLogged(server, mark, 'reason=session-switch, entry=http-query');
      expect((await controlSession(server.port, { headers: { cookie: amy } })).userinfo?.name).toBe(USERS.amy.name);
    });

    test('6. the user is the row of (tenant, sub): of CAROL@ (admin) and carol@ (user) each token gets its own; a sub with another email is refused', async () => {
      await pg.query(
        "INSERT INTO users (user_id, email, name, role, tenant_id) VALUES ('u-carol-admin', 'CAROL@a.example', 'Carol Admin', 'admin', $1), ('u-carol-user', 'carol@a.example', 'Carol User', 'user', $1)",
        [TENANT_A],
      );
      const user = await controlSession(server.port, {
        headers: { authorization: `Bearer ${token({ id: 'u-carol-user', email: 'carol@a.example', tenant: TENANT_A })}` },
      });
      expect(user.userinfo?.name).toBe('Carol User');
      expect(Object.values(user.userinfo?.links ?? {})).toEqual([{ rights: 8 | 16 | 32 | 64 | 128 }]);
      const mark = server.output().length;
      const mixed = await httpsGet(server.port, '/meshagents?meshaction=generic', {
        authorization: `Bearer ${token({ id: USERS.alice.id, email: USERS.amy.email, tenant: TENANT_A })}`,
      });
      expect(mixed.status).toBe(401);
      await expectLogged(server, mark, 'reason=email-mismatch, entry=http-bearer');
    });

    test('7. a token the dashboard signed for another audience (its API) is refused with wrong-audience', async () => {
      const mark = server.output().length;
      const api = await httpsGet(server.port, '/meshagents?meshaction=generic', {
        authorization: `Bearer ${token(USERS.amy, { aud: 'dashboard-api' })}`,
      });
      expect(api.status).toBe(401);
      await expectLogged(server, mark, 'reason=wrong-audience, entry=http-bearer');
    });

    test('8. framing: CSP frame-ancestors names the dashboard origins (it replaces X-Frame-Options, which cannot)', async () => {
      const page = await httpsGet(server.port, '/');
      expect(page.headers['content-security-policy']).toMatch(new RegExp(`; frame-ancestors 'self' ${DASHBOARD.replace(/\./g, '\\.')}$`));
      expect(page.headers['x-frame-options']).toBeUndefined();
    });

    test('9. a user locked in MeshCentral is refused (locked-user) and the lock bit is kept', async () => {
      await pg.query(
        "INSERT INTO users (user_id, email, name, role, tenant_id) VALUES ('u-lock', 'lock@a.example', 'Lock Me', 'user', $1)",
        [TENANT_A],
      );
      const lock = { id: 'u-lock', email: 'lock@a.example', tenant: TENANT_A };
      const first = await controlSession(server.port, { headers: { authorization: `Bearer ${token(lock)}` } });
      const lockId = first.userinfo?._id as string;
      const root = await openControl(server.port, { authorization: `Bearer ${token(USERS.rita)}` });
      try {
        root.send({ action: 'edituser', id: lockId, siteadmin: 64 | 32 });
        await root.waitFor(
          (m) =>
            m.action === 'event' &&
            (m.event as { action?: string; account?: { _id?: string; siteadmin?: number } }).account?._id === lockId &&
            ((m.event as { account: { siteadmin: number } }).account.siteadmin & 32) !== 0,
        );
        const mark = server.output().length;
        const again = await httpsGet(server.port, `/?token=${token(lock)}`);
        expect({ status: again.status, session: loggedInCookie(again) }).toEqual({ status: 401, session: null });
        await expectLogged(server, mark, 'reason=locked-user, entry=http-query');
        root.send({ action: 'users' });
        const list = await root.waitFor((m) => m.action === 'users');
        expect((list.users as { _id: string; siteadmin?: number }[]).find((u) => u._id === lockId)?.siteadmin).toBe(64 | 32);
      } finally {
        root.close();
      }
    });
  });

  describe('1. (after the findings 2-9: on the series before issue 9 it crashed the server) no crash, odd targets get 400, no token in any log', () => {
    test('a valid ?token= on an absolute-form target (GET http:///?token=) gets 400; same process, no crash dump', async () => {
      const pid = childPid(server);
      const mark = server.output().length;
      const t = token(USERS.amy);
      const answer = await rawHttps(
        server.port,
        `GET http:///?token=${t} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nConnection: close\r\n\r\n`,
      );
      expect(answer.status).toBe(400);
      await expectLogged(server, mark, 'reason=bad-request, entry=http-query');
      const bearer = await rawHttps(
        server.port,
        `GET http:///x HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nAuthorization: Bearer ${t}\r\nConnection: close\r\n\r\n`,
      );
      expect(bearer.status).toBe(400);
      await expectLogged(server, mark, 'reason=bad-request, entry=http-bearer');
      await sleep(1000); // a crashed child would be gone by now (the launcher waits 5 s to restart it)
      expect(childPid(server)).toBe(pid);
      expect((await httpsGet(server.port, '/')).status).toBe(200);
      expect(server.output().slice(mark)).not.toContain('critical error');
      const errors = path.join(server.datapath, 'mesherrors.txt');
      if (existsSync(errors)) expect(readFileSync(errors, 'utf8')).not.toContain(t.split('.')[2]);
    });

    test('the redirect after ?token= is built from the path and the filtered query: never another host', async () => {
      const answer = await rawHttps(
        server.port,
        `GET //evil.example/?token=${token(USERS.amy)}&viewmode=1 HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nConnection: close\r\n\r\n`,
      );
      // Express routes "//evil.example/" to no MeshCentral page; whatever answers must not send the browser away.
      expect(answer.text).not.toMatch(/\r\nLocation: \/\/evil/i);
      const normal = await httpsGet(server.port, `/?viewmode=1&token=${token(USERS.amy)}&x=%2F%2Fevil`);
      expect(normal.status).toBe(302);
      expect(normal.headers.location).toBe('/?viewmode=1&x=%2F%2Fevil');
    });

    test('?token= given twice is refused with 400 (reason duplicate-token), not ignored', async () => {
      const mark = server.output().length;
      const answer = await httpsGet(server.port, `/?token=${token(USERS.amy)}&token=${token(USERS.bob)}`);
      expect(answer.status).toBe(400);
      expect(loggedInCookie(answer)).toBeNull();
      await expectLogged(server, mark, 'reason=duplicate-token, entry=http-query');
    });
  });

  describe('flood (last: it leaves the attacker address throttled)', () => {
    test('10 s of invalid tokens from one address: same process, valid logins from another keep working, the log stays bounded', async () => {
      const pid = childPid(server);
      const mark = server.output().length;
      const agent = new https.Agent({ keepAlive: true, maxSockets: 6 });
      const attacker = { 'x-forwarded-for': '203.0.113.7' }; // MeshCentral sees the client address through trustedProxy
      const bad = [tokenFor(USERS.amy, {}, { expiresIn: -60 }), `${tokenFor(USERS.amy).slice(0, -4)}AAAA`, 'not.a.jwt'];
      const statuses = new Map<number, number>();
      const deadline = Date.now() + FLOOD_MS;
      const flood = async (): Promise<void> => {
        for (let i = 0; Date.now() < deadline; i++) {
          const answer = await httpsGet(
            server.port,
            i % 2 ? `/?token=${bad[i % 3]}` : '/meshagents?meshaction=generic',
            i % 2 ? attacker : { ...attacker, authorization: `Bearer ${bad[i % 3]}` },
            agent,
          );
          statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        }
      };
      const logins = async (): Promise<number[]> => {
        const results: number[] = [];
        while (Date.now() < deadline) {
          await sleep(1000);
          results.push((await httpsGet(server.port, `/?token=${token(USERS.bob)}`, { 'x-forwarded-for': '198.51.100.9' })).status);
        }
        return results;
      };
      const [valid] = await Promise.all([logins(), ...Array.from({ length: 6 }, flood)]);
      agent.destroy();
      expect(valid.length).toBeGreaterThanOrEqual(5);
      expect(new Set(valid)).toEqual(new Set([302]));
      const sent = [...statuses.values()].reduce((a, b) => a + b, 0);
      expect(sent).toBeGreaterThan(200);
      expect([...statuses.keys()].sort()).toEqual([401, 429]); // refused, then throttled by MeshCentral's bad-login table
      expect(childPid(server)).toBe(pid);
      const log = server.output().slice(mark);
      // At most LOG_LIMIT lines per minute window; a window boundary may fall inside the 10 s, so two windows' worth.
      expect(log.split('\n').filter((l) => l.startsWith('JWT Auth: login refused')).length).toBeLessThanOrEqual(2 * LOG_LIMIT);
      expect(log).toContain(`JWT Auth: more than ${LOG_LIMIT} refusals this minute; counting the rest per reason.`);
      expect(log.length).toBeLessThan(2 * LOG_LIMIT * 120 + 2000);
    });
  });

  test('no token issued by this suite appears in the output or in mesherrors.txt', () => {
    expect(issued.length).toBeGreaterThan(10);
    const errors = path.join(server.datapath, 'mesherrors.txt');
    const logs = server.output() + (existsSync(errors) ? readFileSync(errors, 'utf8') : '');
    for (const t of issued) expect(logs).not.toContain(t.split('.')[2]);
  });
}
