/*
 * Issue 20's findings as end-to-end tests on a real PostgreSQL and a real patched MeshCentral, run for the live base
 * and the second release (jwt-session-policy*.test.ts): (1) the agent-URL and Upgrade-header ways around the session
 * check, (2) the page's authCookie in upload forms, (3) framing and agent downloads behind the agent-URL trick,
 * (4) the upload crash, (5) CSRF on cookie POSTs, (6) a used URL token as a Bearer token and the "crit" header,
 * (7) the session policy (the token only opens the session; idle time, maximum age, logout, the user's row end it),
 * (8) cookie attributes (CHIPS for a cross-site dashboard, Secure behind TLS offload). Each test failed on the series
 * before issue 20: `MESHFORK_JWT_SERIES=DIR` runs the suite against another series folder.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import jwt from 'jsonwebtoken';
import { freePort } from '../../support/postgres';
import { controlSession, httpsGet, httpsPostBody, loggedInCookie, openControl, sessionOf, type HttpAnswer } from '../../support/meshClient';
import { AUDIENCE, ISSUER, JWT_SECRET, ROOT_TENANT, TENANT_A, tokenFor, BASE_SETTINGS } from '../../support/jwtTenants';
import { startJwtStack, stopJwtStack, type JwtStack } from '../../support/jwtStack';
import { writeMeshCentralConfig } from '../../../src/verify/smoke/meshcentralServer';
import { childPid, expectLogged } from './jwtHardeningSuite';

const DASHBOARD = 'https://dash.example';
const EVIL = 'https://evil.example';
/** Short so the policy shows in seconds: 1 s user cache, 6 s idle timeout, 20 s maximum age. */
const CACHE_SECONDS = 1;
const IDLE_SECONDS = 6;
const MAX_AGE_SECONDS = 20;
const SWEEP_MS = 2000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const SERIES = process.env.MESHFORK_JWT_SERIES ? path.resolve(process.env.MESHFORK_JWT_SERIES) : undefined;

/** A multipart/form-data POST (fields, and file parts given as name -> content). */
export function multipartPost(
  port: number,
  urlPath: string,
  fields: Record<string, string>,
  files: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<HttpAnswer> {
  const boundary = `----meshfork${Date.now()}`;
  const parts: string[] = [];
  for (const [name, value] of Object.entries(fields))
    parts.push(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`);
  for (const [name, content] of Object.entries(files))
    parts.push(
      `--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="f.txt"\r\nContent-Type: text/plain\r\n\r\n${content}\r\n`,
    );
  const body = Buffer.from(`${parts.join('')}--${boundary}--\r\n`);
  return httpsPostBody(port, urlPath, body, `multipart/form-data; boundary=${boundary}`, headers);
}

/** The xid cookie's Set-Cookie line of an answer. */
function xidLine(answer: HttpAnswer): string {
  return answer.setCookies.find((c) => c.startsWith('xid=')) ?? '';
}

export function sessionPolicySuite(version: string): void {
  let stack: JwtStack;
  let users = 0;
  /** A fresh user row of its own (tests change rows: delete, demote). */
  const newUser = async (role = 'user', tenant = TENANT_A): Promise<{ id: string; email: string; tenant: string }> => {
    const id = `u-s${++users}`;
    await stack.pg.query('INSERT INTO users (user_id, email, name, role, tenant_id) VALUES ($1, $2, $3, $4, $5)', [
      id,
      `${id}@a.example`,
      `Session ${id}`,
      role,
      tenant,
    ]);
    return { id, email: `${id}@a.example`, tenant };
  };
  const port = (): number => stack.server.port;
  const mark = (): number => stack.server.output().length;
  const logged = (from: number, text: string, timeoutMs = 3000): Promise<void> => expectLogged(stack.server, from, text, timeoutMs);
  /** Logs the user in with a one-time URL token; returns the session cookie. */
  const login = async (user: { id: string; email: string; tenant: string }, headers: Record<string, string> = {}): Promise<string> => {
    const answer = await httpsGet(port(), `/?token=${tokenFor(user)}`, headers);
    expect(answer.status).toBe(302);
    return loggedInCookie(answer) as string;
  };
  const generic = (cookie: string): Promise<HttpAnswer> => httpsGet(port(), '/meshagents?meshaction=generic', { cookie });

  beforeAll(async () => {
    stack = await startJwtStack(
      version,
      {
        jwtAuthCacheSeconds: CACHE_SECONDS,
        jwtAuthClockTolerance: 0,
        jwtAuthOrigins: [DASHBOARD],
        jwtAuthRefusalLogPerMinute: 100000,
        jwtAuthSessionIdleTimeout: IDLE_SECONDS,
        jwtAuthSessionMaxAge: MAX_AGE_SECONDS,
        maxInvalidLogin: { time: 10, count: 1000 },
      },
      SERIES ? { patches: SERIES } : {},
    );
  }, 600_000);

  afterAll(async () => {
    await stopJwtStack(stack ?? {});
  });

  describe('1. nothing skips the session check: not a URL containing the agent path, not an Upgrade header', () => {
    test('a deleted user: "/?x=/agent.ashx/.websocket" and "Upgrade: websocket" get 401 deleted-user, not the logged-in page', async () => {
      const user = await newUser();
      const cookie = await login(user);
      await stack.pg.query('UPDATE users SET deleted_at = now() WHERE user_id = $1', [user.id]);
      await sleep(CACHE_SECONDS * 1000 + 500);
      const from = mark();
      const agentUrl = await httpsGet(port(), '/?x=/agent.ashx/.websocket', { cookie });
      expect(agentUrl.status).toBe(401);
      await logged(from, 'reason=deleted-user, entry=cookie');
      const upgrade = await httpsGet(port(), '/', { cookie, upgrade: 'websocket' });
      expect(upgrade.status).toBe(401);
      expect(upgrade.body).not.toContain(user.id);
    });

    test('a demoted root-tenant admin: /backup.zip?x=/agent.ashx/.websocket gets 401 role-changed, not the server backup', async () => {
      const admin = await newUser('admin', ROOT_TENANT);
      const cookie = await login(admin);
      await stack.pg.query("UPDATE users SET role = 'user' WHERE user_id = $1", [admin.id]);
      await sleep(CACHE_SECONDS * 1000 + 500);
      const from = mark();
      const backup = await httpsGet(port(), '/backup.zip?x=/agent.ashx/.websocket', { cookie });
      expect({ status: backup.status, type: backup.headers['content-type'] }).toEqual({ status: 401, type: 'text/html; charset=utf-8' });
      await logged(from, 'reason=role-changed, entry=cookie');
    });
  });

  describe("2. the page's authCookie in an upload form needs a live session of its user", () => {
    /** The authCookie MeshCentral's page embeds for this session. */
    const authCookieOf = async (cookie: string): Promise<string> => {
      const page = await httpsGet(port(), '/', { cookie });
      const match = /var authCookie = '([^']+)'/.exec(page.body);
      expect(match).not.toBeNull();
      return (match as RegExpExecArray)[1];
    };
    const batch = (auth: string): Promise<HttpAnswer> =>
      multipartPost(port(), '/uploadfilebatch.ashx', { auth, nodeIds: 'node//none', linuxpath: '/tmp' }, { files: 'x' });

    test('live session: 200; after the user is deleted: 401 deleted-user (entry auth-cookie) within the cache time', async () => {
      const user = await newUser();
      const auth = await authCookieOf(await login(user));
      expect((await batch(auth)).status).toBe(200);
      await stack.pg.query('UPDATE users SET deleted_at = now() WHERE user_id = $1', [user.id]);
      await sleep(CACHE_SECONDS * 1000 + SWEEP_MS + 1000);
      const from = mark();
      expect((await batch(auth)).status).toBe(401);
      await logged(from, 'reason=deleted-user, entry=auth-cookie');
    });

    test('after logout: 401 logged-out (entry auth-cookie)', async () => {
      const cookie = await login(await newUser());
      const auth = await authCookieOf(cookie);
      expect((await httpsGet(port(), '/logout', { cookie })).status).toBe(302);
      const from = mark();
      expect((await batch(auth)).status).toBe(401);
      await logged(from, 'reason=logged-out, entry=auth-cookie');
    });
  });

  describe('3. framing and agent-download rights hold behind the agent-URL trick', () => {
    test('"/?x=/agent.ashx/.websocket" carries CSP frame-ancestors', async () => {
      const page = await httpsGet(port(), '/?x=/agent.ashx/.websocket');
      expect(page.status).toBe(200);
      expect(page.headers['content-security-policy']).toMatch(new RegExp(`; frame-ancestors 'self' ${DASHBOARD.replace(/\./g, '\\.')}$`));
    });

    test('/meshsettings?id=<tenant group>&x=/agent.ashx/.websocket without a session: 403 no-rights', async () => {
      const ws = await controlSession(port(), { headers: { authorization: `Bearer ${tokenFor(await newUser())}` } });
      const short = encodeURIComponent((ws.meshes?.[0]._id as string).split('/')[2]);
      const from = mark();
      const settings = await httpsGet(port(), `/meshsettings?id=${short}&x=/agent.ashx/.websocket`);
      expect(settings.status).toBe(403);
      expect(settings.body).not.toContain('MeshName=');
      await logged(from, 'reason=no-rights, entry=agent-download');
    });
  });

  describe('4. an upload form without a file part', () => {
    test("gets 400 from a tenant user's Bearer token; the server keeps running (same process)", async () => {
      const pid = childPid(stack.server);
      const answer = await multipartPost(
        port(),
        '/uploadfilebatch.ashx',
        { nodeIds: 'x', linuxpath: '/tmp' },
        {},
        { authorization: `Bearer ${tokenFor(await newUser())}` },
      );
      expect(answer.status).toBe(400);
      await sleep(1000);
      expect(childPid(stack.server)).toBe(pid);
      expect((await httpsGet(port(), '/')).status).toBe(200);
    });
  });

  describe('5. anti-CSRF on state-changing cookie requests', () => {
    test('a cross-site POST with the session cookie: 403 bad-origin (entry state-change); from the dashboard or the page itself it passes', async () => {
      const cookie = await login(await newUser());
      const from = mark();
      const evil = await multipartPost(
        port(),
        '/uploadfilebatch.ashx',
        { nodeIds: 'node//none', linuxpath: '/tmp' },
        { files: 'x' },
        { cookie, origin: EVIL, 'sec-fetch-site': 'cross-site' },
      );
      expect(evil.status).toBe(403);
      await logged(from, 'reason=bad-origin, entry=state-change');
      const restore = await multipartPost(
        port(),
        '/restoreserver.ashx',
        {},
        { datafile: 'x' },
        { cookie, origin: EVIL, 'sec-fetch-site': 'cross-site' },
      );
      expect(restore.status).toBe(403);
      const dashboard = await multipartPost(
        port(),
        '/uploadfilebatch.ashx',
        { nodeIds: 'node//none', linuxpath: '/tmp' },
        { files: 'x' },
        { cookie, origin: DASHBOARD, 'sec-fetch-site': 'cross-site' },
      );
      expect(dashboard.status).toBe(200);
      const own = await multipartPost(
        port(),
        '/uploadfilebatch.ashx',
        { nodeIds: 'node//none', linuxpath: '/tmp' },
        { files: 'x' },
        { cookie, origin: `https://127.0.0.1:${port()}`, 'sec-fetch-site': 'same-origin' },
      );
      expect(own.status).toBe(200);
    });
  });

  describe('6. a used URL token is dead everywhere; an unknown crit header is refused', () => {
    test('after ?token=, the same token as a Bearer token: 401 replayed on HTTP and on control.ashx', async () => {
      const once = tokenFor(await newUser());
      expect((await httpsGet(port(), `/?token=${once}`)).status).toBe(302);
      const from = mark();
      const bearer = await httpsGet(port(), '/meshagents?meshaction=generic', { authorization: `Bearer ${once}` });
      expect({ status: bearer.status, auth: bearer.headers['www-authenticate'] }).toEqual({
        status: 401,
        auth: 'Bearer error="invalid_token"',
      });
      await logged(from, 'reason=replayed, entry=http-bearer');
      const ws = await controlSession(port(), { headers: { authorization: `Bearer ${once}` } });
      expect({ userinfo: ws.userinfo, close: ws.closeMessage }).toEqual({
        userinfo: undefined,
        close: { cause: 'noauth', msg: 'noauth-jwt' },
      });
      await logged(from, 'reason=replayed, entry=websocket');
    });

    test('a token with a crit header: 401 unknown-crit on ?token= and Bearer', async () => {
      const user = await newUser();
      const crit = (): string =>
        jwt.sign(
          { sub: user.id, tenant_id: user.tenant, iss: ISSUER, aud: AUDIENCE, jti: `crit-${Date.now()}-${Math.random()}` },
          JWT_SECRET,
          { algorithm: 'HS256', expiresIn: 60, header: { alg: 'HS256', crit: ['exp'] } as jwt.JwtHeader },
        );
      const from = mark();
      const query = await httpsGet(port(), `/?token=${crit()}`);
      expect({ status: query.status, session: loggedInCookie(query) }).toEqual({ status: 401, session: null });
      await logged(from, 'reason=unknown-crit, entry=http-query');
      expect((await httpsGet(port(), '/meshagents?meshaction=generic', { authorization: `Bearer ${crit()}` })).status).toBe(401);
      await logged(from, 'reason=unknown-crit, entry=http-bearer');
    });
  });

  describe('7. the session policy: the URL token only opens the session', () => {
    test("past the token's exp the session and its control.ashx go on; the cookie lives the maximum age", async () => {
      const user = await newUser();
      const answer = await httpsGet(port(), `/?token=${tokenFor(user, {}, { expiresIn: 2 })}`);
      const cookie = loggedInCookie(answer) as string;
      expect(sessionOf(answer)?.jwt).toEqual({ i: expect.stringMatching(/^[A-Za-z0-9_-]{32}$/) });
      const expires = Date.parse(/expires=([^;]+)/i.exec(xidLine(answer))?.[1] ?? '');
      expect(Math.abs(expires - (Date.now() + MAX_AGE_SECONDS * 1000))).toBeLessThan(5000);
      const control = await openControl(port(), { cookie });
      try {
        for (let i = 0; i < 3; i++) {
          await sleep(1500);
          expect((await generic(cookie)).status).toBe(200);
        } // 4.5 s: past exp + 30 s tolerance 0
        control.send({ action: 'meshes' });
        await control.waitFor((m) => m.action === 'meshes');
        expect(control.messages.find((m) => m.action === 'close')).toBeUndefined();
      } finally {
        control.close();
      }
    });

    test(`idle for ${IDLE_SECONDS} s: 401 session-idle`, async () => {
      const cookie = await login(await newUser());
      await sleep(IDLE_SECONDS * 1000 + 500);
      const from = mark();
      expect((await generic(cookie)).status).toBe(401);
      await logged(from, 'reason=session-idle, entry=cookie');
    });

    test(`active, yet past the maximum age (${MAX_AGE_SECONDS} s): 401 session-max-age, and its WebSocket closes`, async () => {
      const cookie = await login(await newUser());
      const started = Date.now();
      while (Date.now() - started < (MAX_AGE_SECONDS - 3) * 1000) {
        expect((await generic(cookie)).status).toBe(200);
        await sleep(2000);
      }
      const control = await openControl(port(), { cookie });
      const from = mark();
      const closed = await control.closed(10_000);
      expect(closed.messages.find((m) => m.action === 'close')).toMatchObject({ cause: 'noauth', msg: 'noauth-jwt' });
      await logged(from, 'reason=session-max-age, entry=websocket');
      expect((await generic(cookie)).status).toBe(401);
      await logged(from, 'reason=session-max-age, entry=cookie');
    }, 60_000);

    test('/logout ends the session for every copy of the cookie and closes its WebSockets at once', async () => {
      const cookie = await login(await newUser());
      const control = await openControl(port(), { cookie });
      const from = mark();
      expect((await httpsGet(port(), '/logout', { cookie })).status).toBe(302);
      await logged(from, 'JWT Auth: session ended, reason=logged-out');
      const closed = await control.closed(3000);
      expect(closed.messages.find((m) => m.action === 'close')).toMatchObject({ cause: 'noauth', msg: 'noauth-jwt' });
      // A copy of the cookie: upstream's own list of destroyed sessions answers first (no user: 404 here), the session table after it.
      expect((await generic(cookie)).status).toBe(404);
      const ws = await controlSession(port(), { headers: { cookie } });
      expect(ws.userinfo).toBeUndefined();
    });

    test('a user deleted in PostgreSQL loses the open control.ashx within the cache time plus the 2 s sweep', async () => {
      const user = await newUser();
      const control = await openControl(port(), { cookie: await login(user) });
      const from = mark();
      await stack.pg.query('UPDATE users SET deleted_at = now() WHERE user_id = $1', [user.id]);
      const closed = await control.closed(CACHE_SECONDS * 1000 + SWEEP_MS + 3000);
      expect(closed.messages.find((m) => m.action === 'close')).toMatchObject({ cause: 'noauth', msg: 'noauth-jwt' });
      await logged(from, 'reason=deleted-user, entry=websocket');
    });
  });

  describe('8. cookie attributes', () => {
    test('a login from a cross-site dashboard frame gets a partitioned cookie (CHIPS: Partitioned; Secure; SameSite=None); a same-site one does not', async () => {
      const cross = await httpsGet(port(), `/?token=${tokenFor(await newUser())}`, {
        'sec-fetch-site': 'cross-site',
        'sec-fetch-dest': 'iframe',
        referer: `${DASHBOARD}/devices`,
      });
      expect(cross.status).toBe(302);
      for (const line of cross.setCookies.filter((c) => c.startsWith('xid'))) {
        expect(line.toLowerCase().split('; ')).toEqual(expect.arrayContaining(['partitioned', 'secure', 'samesite=none', 'httponly']));
      }
      const cookie = loggedInCookie(cross) as string;
      const again = await generic(cookie); // later answers that rewrite the cookie keep the attributes
      expect(again.status).toBe(200);
      const same = await httpsGet(port(), `/?token=${tokenFor(await newUser())}`, { 'sec-fetch-site': 'same-origin' });
      expect(xidLine(same).toLowerCase()).not.toContain('partitioned');
      expect(xidLine(same).toLowerCase()).toContain('; secure');
    });

    test('behind TLS offload (trusted proxy, X-Forwarded-Proto: https) the session cookie is Secure', async () => {
      const datapath = mkdtempSync(path.join(os.tmpdir(), 'meshfork-mcdata-'));
      const offloadPort = await freePort();
      writeMeshCentralConfig(datapath, offloadPort, { ...BASE_SETTINGS, tlsOffload: '127.0.0.1' });
      const child = spawn(process.execPath, ['meshcentral.js', '--datapath', datapath], {
        cwd: stack.release.dir,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, JWT_SECRET, ...stack.pg.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString('utf8')));
      child.stderr.on('data', (d: Buffer) => (output += d.toString('utf8')));
      try {
        const deadline = Date.now() + 90_000;
        while (!output.includes('JWT Auth: PostgreSQL connected') || !output.includes('MeshCentral HTTP server running')) {
          if (Date.now() > deadline || child.exitCode !== null) throw new Error(`MeshCentral with tlsOffload did not start:\n${output}`);
          await sleep(200);
        }
        const get = (headers: Record<string, string>): Promise<HttpAnswer> =>
          new Promise((resolve, reject) => {
            http
              .get(
                { host: '127.0.0.1', port: offloadPort, path: `/?token=${tokenFor(USER_FOR_OFFLOAD)}`, headers, agent: false },
                (res) => {
                  res.resume();
                  res.on('end', () =>
                    resolve({ status: res.statusCode ?? 0, headers: res.headers, body: '', setCookies: res.headers['set-cookie'] ?? [] }),
                  );
                },
              )
              .on('error', reject);
          });
        const secure = await get({ 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.5' });
        expect(secure.status).toBe(302);
        expect(xidLine(secure).toLowerCase().split('; ')).toContain('secure');
      } finally {
        if (child.exitCode === null) {
          const exited = new Promise((r) => child.once('exit', r));
          child.kill('SIGINT'); // MeshCentral's own Ctrl-C handler stops the launcher and its server child
          const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
          await exited;
          clearTimeout(killer);
        }
        rmSync(datapath, { recursive: true, force: true });
      }
    }, 150_000);
  });
}

/** A seed user for the TLS-offload server (its own data folder, the same PostgreSQL). */
const USER_FOR_OFFLOAD = { id: 'u-amy', email: 'amy@a.example', tenant: TENANT_A };
