/*
 * Issue 20's acceptance in a real browser: Debian's chromium (/usr/bin/chromium) through playwright-core, with
 * third-party cookies as the browser handles them by default (no flag allows them), a fresh profile, and two
 * host names on distinct registrable domains mapped to loopback (--host-resolver-rules): the dashboard on
 * dash.alpha.example embeds MeshCentral on mesh.beta.example (cross-site) with a fresh URL token. The user lands
 * logged in inside the frame (screenshot in .artifacts/jwt-crosssite-browser/), a control.ashx WebSocket opened
 * from that session still works past the token's exp + 30 s (the series' cut-off before issue 20), and deleting
 * the user in PostgreSQL closes it within the cache time. Short cache and token lifetimes keep it to seconds.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { type BrowserContext, type Frame } from 'playwright-core';
import { launchChromium, type Browser } from '../support/browser';
import { freePort } from '../../support/postgres';
import { REPO_ROOT } from '../../support/release';
import { TENANT_A, tokenFor } from '../../support/jwtTenants';
import { startJwtStack, stopJwtStack, type JwtStack } from '../../support/jwtStack';
import { LIVE_BASE } from '../support/liveBase';

jest.setTimeout(240_000);

const DASHBOARD_HOST = 'dash.alpha.example';
const MESH_HOST = 'mesh.beta.example';
const ARTIFACTS = path.join(REPO_ROOT, '.artifacts', 'jwt-crosssite-browser');
const CACHE_SECONDS = 2;
const TOKEN_SECONDS = 5;
const OLD_CUTOFF_SECONDS = 30; // the URL token's exp + 30 s: where the session ended before issue 20

/** Polls fn until its value passes check (the check's failure after timeoutMs fails the test). */
async function poll<T>(fn: () => Promise<T>, check: (value: T) => void, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    try {
      check(value);
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

let stack: JwtStack;
let context: BrowserContext;
let browser: Browser | undefined;
let dashboard: https.Server;
let dashboardOrigin: string;

beforeAll(async () => {
  const dashboardPort = await freePort();
  dashboardOrigin = `https://${DASHBOARD_HOST}:${dashboardPort}`;
  stack = await startJwtStack(LIVE_BASE, {
    jwtAuthOrigins: [dashboardOrigin],
    jwtAuthCacheSeconds: CACHE_SECONDS,
    jwtAuthClockTolerance: 0,
  });
  const tls = {
    key: readFileSync(path.join(stack.server.datapath, 'webserver-cert-private.key')),
    cert: readFileSync(path.join(stack.server.datapath, 'webserver-cert-public.crt')),
  };
  dashboard = https.createServer(tls, (req, res) => {
    const src = new URL(req.url ?? '/', 'http://x').searchParams.get('src') ?? '';
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(
      `<!doctype html><title>Dashboard</title><h1>Dashboard</h1><iframe id="mc" src="${src.replace(/"/g, '&quot;')}" width="1200" height="760"></iframe>`,
    );
  });
  await new Promise<void>((resolve) => dashboard.listen(dashboardPort, '127.0.0.1', resolve));
  browser = await launchChromium([`--host-resolver-rules=MAP ${DASHBOARD_HOST} 127.0.0.1, MAP ${MESH_HOST} 127.0.0.1`]);
  context = browser.context;
}, 600_000);

afterAll(async () => {
  await browser?.close();
  dashboard?.close();
  await stopJwtStack(stack ?? {});
});

test('a cross-site dashboard embeds MeshCentral: logged in, a WebSocket of the session outlives the token, a deleted user loses it', async () => {
  await stack.pg.query(
    "INSERT INTO users (user_id, email, name, role, tenant_id) VALUES ('u-cross', 'cross@a.example', 'Cross Site', 'user', $1)",
    [TENANT_A],
  );
  const user = { id: 'u-cross', email: 'cross@a.example', tenant: TENANT_A };
  const mesh = `https://${MESH_HOST}:${stack.server.port}`;
  const exp = Math.floor(Date.now() / 1000) + TOKEN_SECONDS;
  const page = await context.newPage();
  await page.goto(`${dashboardOrigin}/embed?src=${encodeURIComponent(`${mesh}/?token=${tokenFor(user, { exp })}`)}`);
  const frame = (): Frame => {
    const f = page.frames().find((x) => x !== page.mainFrame());
    if (!f) throw new Error('no iframe');
    return f;
  };
  await frame().waitForSelector(`text=Tenant ${TENANT_A}`, { timeout: 60_000 });
  expect(await frame().locator('#loginpanel:visible').count()).toBe(0);
  expect(await frame().content()).toContain('Cross Site');
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, 'crosssite-iframe.png'), fullPage: true });
  const cookies = await context.cookies(mesh);
  expect(cookies.find((c) => c.name === 'xid')).toMatchObject({ secure: true, sameSite: 'None' });

  // A control.ashx WebSocket opened from the framed page, with the session's (partitioned) cookie.
  await frame().evaluate((url) => {
    type Socket = { send(data: string): void; onmessage: (m: { data: unknown }) => void; onclose: () => void };
    const w = globalThis as unknown as {
      testWs: Socket;
      testMessages: string[];
      testClosed: boolean;
      WebSocket: new (url: string) => Socket;
    };
    w.testMessages = [];
    w.testClosed = false;
    w.testWs = new w.WebSocket(url);
    w.testWs.onmessage = (m) => w.testMessages.push(String(m.data));
    w.testWs.onclose = () => {
      w.testClosed = true;
    };
  }, `wss://${MESH_HOST}:${stack.server.port}/control.ashx`);
  const actions = async (): Promise<string[]> =>
    (await frame().evaluate(() => (globalThis as unknown as { testMessages: string[] }).testMessages)).map((m) => {
      try {
        return String(JSON.parse(m).action);
      } catch {
        return '';
      }
    });
  const closed = (): Promise<boolean> => frame().evaluate(() => (globalThis as unknown as { testClosed: boolean }).testClosed);
  await poll(actions, (a) => expect(a).toContain('userinfo'), 20_000);

  // Well past the token's exp + 30 s, the socket is open and answers.
  while (Date.now() / 1000 < exp + OLD_CUTOFF_SECONDS + 3) await page.waitForTimeout(1000);
  expect(await closed()).toBe(false);
  await frame().evaluate(() =>
    (globalThis as unknown as { testWs: { send(data: string): void } }).testWs.send(JSON.stringify({ action: 'meshes' })),
  );
  await poll(actions, (a) => expect(a).toContain('meshes'), 10_000);
  expect(await actions()).not.toContain('close');

  // Deleting the user in PostgreSQL closes it within the cache time plus the 2 s sweep.
  const mark = stack.server.output().length;
  const deletedAt = Date.now();
  await stack.pg.query("UPDATE users SET deleted_at = now() WHERE user_id = 'u-cross'");
  await poll(closed, (c) => expect(c).toBe(true), (CACHE_SECONDS + 2) * 1000 + 3000);
  expect(Date.now() - deletedAt).toBeLessThan((CACHE_SECONDS + 2) * 1000 + 3000);
  expect(await actions()).toContain('close');
  expect(stack.server.output().slice(mark)).toContain('reason=deleted-user, entry=websocket');
  await page.close();
});
