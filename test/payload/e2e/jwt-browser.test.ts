/*
 * The real user flow in a real browser: Debian's chromium (/usr/bin/chromium, never a browser download),
 * driven by playwright-core, opens a dashboard page served from another loopback origin that embeds the
 * patched MeshCentral (the live base) in an iframe with a fresh token. Real PostgreSQL, real MeshCentral.
 * The screenshot is kept in .artifacts/jwt-browser/ (git-ignored).
 */
import { mkdirSync, readFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { type BrowserContext, type Frame, type Page } from 'playwright-core';
import { launchChromium, type Browser } from '../support/browser';
import { freePort, type PostgresServer } from '../../support/postgres';
import type { MeshCentralServer, PatchedRelease } from '../../support/meshcentral';
import { REPO_ROOT } from '../../support/release';
import { tokenFor, USERS } from '../../support/jwtTenants';
import { startJwtStack, stopJwtStack } from '../../support/jwtStack';
import { LIVE_BASE } from '../support/liveBase';

jest.setTimeout(180_000);

const ARTIFACTS = path.join(REPO_ROOT, '.artifacts', 'jwt-browser');

let pg: PostgresServer;
let release: PatchedRelease;
let server: MeshCentralServer;
let context: BrowserContext;
let browser: Browser | undefined;
const dashboards: https.Server[] = [];
let dashboard: string; // the allowed dashboard origin
let outsider: string; // a page from an origin outside jwtAuthOrigins

/**
 * A dashboard page on its own loopback origin: /embed?src=URL puts URL in an iframe. HTTPS (with
 * MeshCentral's own test certificate) on another port: another origin but the same site, the setup
 * UPSTREAM_SYNC.md recommends (a cross-site dashboard needs SameSite=None and third-party cookies,
 * which browsers increasingly block).
 */
async function startDashboard(fixedPort?: number): Promise<string> {
  const port = fixedPort ?? (await freePort());
  const tls = {
    key: readFileSync(path.join(server.datapath, 'webserver-cert-private.key')),
    cert: readFileSync(path.join(server.datapath, 'webserver-cert-public.crt')),
  };
  const page = https.createServer(tls, (req, res) => {
    const src = new URL(req.url ?? '/', 'http://x').searchParams.get('src') ?? '';
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(
      `<!doctype html><title>Dashboard</title><h1>Dashboard</h1><iframe id="mc" src="${src.replace(/"/g, '&quot;')}" width="1200" height="760"></iframe>`,
    );
  });
  await new Promise<void>((resolve) => page.listen(port, '127.0.0.1', resolve));
  dashboards.push(page);
  return `https://127.0.0.1:${port}`;
}

beforeAll(async () => {
  const dashboardPort = await freePort();
  dashboard = `https://127.0.0.1:${dashboardPort}`;
  ({ pg, release, server } = await startJwtStack(LIVE_BASE, { jwtAuthOrigins: [dashboard] }));
  dashboard = await startDashboard(dashboardPort);
  outsider = await startDashboard();
  browser = await launchChromium();
  context = browser.context;
}, 600_000);

afterAll(async () => {
  await browser?.close();
  for (const d of dashboards) d.close();
  await stopJwtStack({ pg, release, server });
});

const mc = (): string => `https://127.0.0.1:${server.port}`;

/** Opens the dashboard page embedding MeshCentral at `src`; resolves with the page and the MeshCentral frame. */
async function embed(origin: string, src: string): Promise<{ page: Page; frame: () => Frame; consoleLines: string[] }> {
  const page = await context.newPage();
  const consoleLines: string[] = [];
  page.on('console', (m) => consoleLines.push(m.text()));
  await page.goto(`${origin}/embed?src=${encodeURIComponent(src)}`);
  const frame = (): Frame => {
    const f = page.frames().find((x) => x !== page.mainFrame());
    if (!f) throw new Error('no iframe');
    return f;
  };
  return { page, frame, consoleLines };
}

test('the dashboard iframes MeshCentral with a fresh token: the tenant device group appears with no login prompt', async () => {
  const { page, frame } = await embed(dashboard, `${mc()}/?token=${tokenFor(USERS.amy)}`);
  await frame().waitForSelector('text=Tenant tenant-a', { timeout: 60_000 });
  expect(new URL(frame().url()).search).not.toContain('token='); // the redirect took the token out of the address
  expect(await frame().locator('#loginpanel:visible').count()).toBe(0);
  expect(await frame().content()).toContain(USERS.amy.name);
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-iframe.png'), fullPage: true });
  await page.close();
});

test('the same page from an origin outside the allow-list: framing refused by frame-ancestors, the token refused by origin', async () => {
  const framed = await embed(outsider, `${mc()}/`);
  await framed.page.waitForTimeout(2000);
  expect(framed.consoleLines.join('\n')).toMatch(/frame-ancestors/);
  expect(await framed.frame().locator('text=Tenant tenant-a').count()).toBe(0);
  await framed.page.close();

  const mark = server.output().length;
  const withToken = await embed(outsider, `${mc()}/?token=${tokenFor(USERS.bob)}`);
  const deadline = Date.now() + 10_000;
  while (!server.output().slice(mark).includes('reason=bad-origin, entry=http-query')) {
    if (Date.now() > deadline) throw new Error(`no bad-origin refusal logged:\n${server.output().slice(mark)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  await withToken.page.close();
});

test("a second token for another user in the same browser does not take over the first user's session", async () => {
  const mark = server.output().length;
  const second = await embed(dashboard, `${mc()}/?token=${tokenFor(USERS.bob)}`);
  await second.frame().waitForSelector('text=session-switch', { timeout: 30_000 });
  expect(server.output().slice(mark)).toContain('reason=session-switch, entry=http-query');
  await second.page.close();
  const again = await embed(dashboard, `${mc()}/`);
  await again.frame().waitForSelector('text=Tenant tenant-a', { timeout: 60_000 });
  expect(await again.frame().content()).toContain(USERS.amy.name);
  expect(await again.frame().content()).not.toContain(USERS.bob.name);
  await again.page.close();
});
