/*
 * JWT single sign-on latency on loopback, with a real PostgreSQL and two real patched MeshCentral 1.1.55
 * servers side by side: one with the hardened series (frozen in test/fixtures/jwt-series-1.1.55: every cookie
 * request re-checks exp and the user through the cache), one with the series as it was before issue 9 (test/fixtures/jwt-series-before-hardening, no re-check).
 * Targets (issue 9): today's cookie-path p99 within 1.5x of the old cookie path; Bearer p99 within 2x of
 * today's cookie path. Also reported: `/?token=` logins (token check, one-time jti, user lookup, redirect).
 * The request is `/meshagents?meshaction=generic`: small, and it answers only for a logged-in user.
 * One keep-alive connection per path, sequential requests, interleaved, so TLS handshakes and drift are
 * not what is measured. Figures on a shared 2-core machine are noisy: compare ratios, not milliseconds.
 */
import https from 'node:https';
import path from 'node:path';
import { startPostgres } from '../test/support/postgres';
import { patchedRelease, startMeshCentral, type MeshCentralServer } from '../test/support/meshcentral';
import { httpsGet, loggedInCookie } from '../test/support/meshClient';
import { AGENT_SIGN_KEY, JWT_SECRET, seedTenants, tokenFor, USERS } from '../test/support/jwtTenants';
import { JWT_SERIES_FIXTURE } from '../test/support/jwtSeriesFixture';
import { REPO_ROOT } from '../test/support/release';
import { figure, type BenchFigure } from './result';

const WARMUP = 50;
const REQUESTS = 400;
const LOGINS = 200;
const PATH = '/meshagents?meshaction=generic';
const OLD_SERIES = path.join(REPO_ROOT, 'test', 'fixtures', 'jwt-series-before-hardening');
// Long-lived tokens so the sessions outlive the run (URL tokens are capped at 120 s by default).
const SETTINGS = { jwtAuthUrlTokenMaxLifetime: 3600, maxInvalidLogin: false };

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function timed(fn: () => Promise<{ status: number }>, expectStatus: number): Promise<number> {
  const start = process.hrtime.bigint();
  const answer = await fn();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (answer.status !== expectStatus)
    throw new Error(`expected HTTP ${expectStatus}, got ${answer.status}: the benchmark would measure a refusal`);
  return ms;
}

function line(label: string, samples: number[]): string {
  return `${label.padEnd(40)} p50 ${percentile(samples, 50).toFixed(2).padStart(7)} ms   p99 ${percentile(samples, 99).toFixed(2).padStart(7)} ms   (n=${samples.length})`;
}

async function cookieFor(server: MeshCentralServer, agent: https.Agent): Promise<string> {
  const login = await httpsGet(server.port, `/?token=${tokenFor(USERS.amy, {}, { expiresIn: 3600 })}`, {}, agent);
  const cookie = loggedInCookie(login);
  if (!cookie) throw new Error(`login failed (HTTP ${login.status}); cannot benchmark`);
  return cookie;
}

export async function run(): Promise<BenchFigure[]> {
  const pg = await startPostgres();
  const started: { stop(): Promise<void> }[] = [];
  const releases: { remove(): void }[] = [];
  try {
    await seedTenants(pg);
    const env = { JWT_SECRET, AGENT_SIGN_KEY, ...pg.env };
    const today = await patchedRelease('1.1.55', { build: false, project: JWT_SERIES_FIXTURE });
    releases.push(today);
    const before = await patchedRelease('1.1.55', { build: false, project: JWT_SERIES_FIXTURE, patches: OLD_SERIES });
    releases.push(before);
    const server = await startMeshCentral(today.dir, { env, settings: SETTINGS });
    started.push(server);
    const oldServer = await startMeshCentral(before.dir, { env, settings: SETTINGS });
    started.push(oldServer);
    await server.waitForOutput('JWT Auth: PostgreSQL connected');
    await oldServer.waitForOutput('JWT Auth: PostgreSQL connected');

    const agents = [0, 1, 2].map(() => new https.Agent({ keepAlive: true, maxSockets: 1 }));
    const cookie = await cookieFor(server, agents[0]);
    const oldCookie = await cookieFor(oldServer, agents[2]);
    const bearer = `Bearer ${tokenFor(USERS.amy, {}, { expiresIn: 3600 })}`;
    const viaCookie = (): Promise<{ status: number }> => httpsGet(server.port, PATH, { cookie }, agents[0]);
    const viaBearer = (): Promise<{ status: number }> => httpsGet(server.port, PATH, { authorization: bearer }, agents[1]);
    const viaOldCookie = (): Promise<{ status: number }> => httpsGet(oldServer.port, PATH, { cookie: oldCookie }, agents[2]);

    for (let i = 0; i < WARMUP; i++) {
      await timed(viaCookie, 200);
      await timed(viaBearer, 200);
      await timed(viaOldCookie, 200);
    }
    const cookieSamples: number[] = [];
    const bearerSamples: number[] = [];
    const oldCookieSamples: number[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      // Interleaved, so drift (GC, the database, the machine) hits every path alike.
      cookieSamples.push(await timed(viaCookie, 200));
      bearerSamples.push(await timed(viaBearer, 200));
      oldCookieSamples.push(await timed(viaOldCookie, 200));
    }
    const loginAgent = new https.Agent({ keepAlive: true, maxSockets: 1 });
    const tokens = Array.from({ length: LOGINS }, (_, i) => tokenFor(i % 2 ? USERS.amy : USERS.bob));
    const loginSamples: number[] = [];
    for (const token of tokens) loginSamples.push(await timed(() => httpsGet(server.port, `/?token=${token}`, {}, loginAgent), 302));
    for (const agent of [...agents, loginAgent]) agent.destroy();

    const cookieP99 = percentile(cookieSamples, 99);
    const figures = [
      figure({
        benchmark: 'jwt',
        name: 'cookie path p99: today vs the series before issue 9',
        value: cookieP99,
        baseline: percentile(oldCookieSamples, 99),
        unit: 'ms',
        maxRatio: 1.5,
      }),
      figure({
        benchmark: 'jwt',
        name: 'Bearer p99 vs cookie p99 (today)',
        value: percentile(bearerSamples, 99),
        baseline: cookieP99,
        unit: 'ms',
        maxRatio: 2,
      }),
    ];
    process.stdout.write(`${line('HTTP, session cookie (before issue 9)', oldCookieSamples)}\n`);
    process.stdout.write(`${line('HTTP, session cookie (re-checked)', cookieSamples)}\n`);
    process.stdout.write(`${line('HTTP, Authorization: Bearer', bearerSamples)}\n`);
    process.stdout.write(`${line('/?token= login (302 + cookie)', loginSamples)}\n`);
    for (const f of figures) process.stdout.write(`${f.name}: ${f.ratio.toFixed(2)}x (target <= ${f.maxRatio}x)\n`);
    return figures;
  } finally {
    for (const s of started) await s.stop();
    for (const r of releases) r.remove();
    await pg.destroy();
  }
}
