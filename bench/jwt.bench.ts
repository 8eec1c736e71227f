/*
 * JWT single sign-on latency against the patched MeshCentral 1.1.55 on loopback, with a real PostgreSQL:
 *  1. authenticated HTTP requests with `Authorization: Bearer` vs the same requests with a session cookie
 *     (target: Bearer p99 within 2x of the cookie path and under 20 ms; the old deployment promised 200 ms);
 *  2. `/?token=` logins (token check, user lookup, session, redirect).
 * The request is `/meshagents?meshaction=generic`: small, and it answers only for a logged-in user.
 * One keep-alive connection, sequential requests, so TLS handshakes are not what is measured.
 */
import https from 'node:https';
import { startPostgres } from '../test/support/postgres';
import { patchedRelease, startMeshCentral } from '../test/support/meshcentral';
import { httpsGet, loggedInCookie } from '../test/support/meshClient';
import { AGENT_SIGN_KEY, JWT_SECRET, seedTenants, tokenFor, USERS } from '../test/support/jwtTenants';
import { figure, type BenchFigure } from './result';

const WARMUP = 50;
const REQUESTS = 400;
const LOGINS = 200;
const PATH = '/meshagents?meshaction=generic';

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function timed(fn: () => Promise<{ status: number }>, expectStatus: number): Promise<number> {
  const start = process.hrtime.bigint();
  const answer = await fn();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (answer.status !== expectStatus) throw new Error(`expected HTTP ${expectStatus}, got ${answer.status}: the benchmark would measure a refusal`);
  return ms;
}

function line(label: string, samples: number[]): string {
  return `${label.padEnd(34)} p50 ${percentile(samples, 50).toFixed(2).padStart(7)} ms   p99 ${percentile(samples, 99).toFixed(2).padStart(7)} ms   (n=${samples.length})`;
}

export async function run(): Promise<BenchFigure[]> {
  const pg = await startPostgres();
  try {
    await seedTenants(pg);
    const release = await patchedRelease('1.1.55', { build: false });
    try {
      const server = await startMeshCentral(release.dir, { env: { JWT_SECRET, AGENT_SIGN_KEY, ...pg.env } });
      try {
        await server.waitForOutput('JWT Auth: PostgreSQL connected');
        const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
        const login = await httpsGet(server.port, `/?token=${tokenFor(USERS.amy)}`, {}, agent);
        const cookie = loggedInCookie(login);
        if (!cookie) throw new Error(`login failed (HTTP ${login.status}); cannot benchmark`);
        const bearer = `Bearer ${tokenFor(USERS.amy)}`;
        const viaCookie = (): Promise<{ status: number }> => httpsGet(server.port, PATH, { cookie }, agent);
        const viaBearer = (): Promise<{ status: number }> => httpsGet(server.port, PATH, { authorization: bearer }, agent);

        for (let i = 0; i < WARMUP; i++) {
          await timed(viaCookie, 200);
          await timed(viaBearer, 200);
        }
        const cookieSamples: number[] = [];
        const bearerSamples: number[] = [];
        for (let i = 0; i < REQUESTS; i++) {
          // Interleaved, so drift (GC, the database, the machine) hits both paths alike.
          cookieSamples.push(await timed(viaCookie, 200));
          bearerSamples.push(await timed(viaBearer, 200));
        }
        const tokens = Array.from({ length: LOGINS }, (_, i) => tokenFor(i % 2 ? USERS.amy : USERS.bob, { jti: `bench-${i}` }));
        const loginSamples: number[] = [];
        for (const token of tokens) loginSamples.push(await timed(() => httpsGet(server.port, `/?token=${token}`, {}, agent), 302));
        agent.destroy();

        const p99Ratio = percentile(bearerSamples, 99) / percentile(cookieSamples, 99);
        const p50Ratio = percentile(bearerSamples, 50) / percentile(cookieSamples, 50);
        process.stdout.write(`${line('HTTP with session cookie', cookieSamples)}\n`);
        process.stdout.write(`${line('HTTP with Authorization: Bearer', bearerSamples)}\n`);
        process.stdout.write(`${line('/?token= login (302 + cookie)', loginSamples)}\n`);
        process.stdout.write(`Bearer / cookie: p50 ${p50Ratio.toFixed(2)}x, p99 ${p99Ratio.toFixed(2)}x (target: p99 <= 2x and Bearer p99 < 20 ms; old deployment: < 200 ms)\n`);
        return [
          figure({ benchmark: 'jwt', name: 'HTTP request p99: Authorization: Bearer vs session cookie', value: percentile(bearerSamples, 99), baseline: percentile(cookieSamples, 99), unit: 'ms', maxRatio: 2, runs: REQUESTS }),
          figure({ benchmark: 'jwt', name: 'HTTP request p50: Authorization: Bearer vs session cookie', value: percentile(bearerSamples, 50), baseline: percentile(cookieSamples, 50), unit: 'ms', runs: REQUESTS }),
          figure({ benchmark: 'jwt', name: '/?token= login p50 vs a cookie request p50', value: percentile(loginSamples, 50), baseline: percentile(cookieSamples, 50), unit: 'ms', runs: LOGINS }),
        ];
      } finally {
        await server.stop();
      }
    } finally {
      release.remove();
    }
  } finally {
    await pg.destroy();
  }
}
