/*
 * `meshfork verify --smoke` against a real PostgreSQL (test/support/postgres.ts, seeded with the
 * dashboard's tenants) and the real patched MeshCentral (the live base) it starts itself: one JWT login over
 * HTTP (`GET /?token=` -> 302 with a session) and over WebSocket (control.ashx, Bearer -> userinfo).
 * The faults: a user the database does not know (the login is refused: exit 1, MeshCentral's reason
 * quoted), and an environment without the database (exit 2, the variables named).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { verify } from '../../../src/commands/verify';
import type { VerifyReport } from '../../../src/verify/types';
import { AGENT_SIGN_KEY, JWT_SECRET, seedTenants, USERS } from '../../support/jwtTenants';
import { startPostgres, type PostgresServer } from '../../support/postgres';
import { REPO_ROOT } from '../../support/release';
import { SHARED_CACHE } from '../../support/cache';

/** The e2e tests' node_modules cache (test/support/meshcentral.ts): one npm install for both. */
const MODULE_CACHE = path.join(REPO_ROOT, '.cache', 'meshcentral-modules');
const ISSUER_AUDIENCE = { JWT_ISSUER: 'https://dashboard.example', JWT_AUDIENCE: 'meshcentral' };
let pg: PostgresServer;
let tmp: string;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'meshfork-smoke-test-'));
  pg = await startPostgres();
  await seedTenants(pg);
}, 120_000);
afterAll(async () => {
  await pg?.destroy();
  rmSync(tmp, { recursive: true, force: true });
});

function smoke(env: Record<string, string>): Promise<VerifyReport> {
  return verify({
    cwd: REPO_ROOT,
    smoke: true,
    env,
    cacheDir: SHARED_CACHE,
    modulesDir: MODULE_CACHE,
    assetsDir: path.join(tmp, 'no-assets'),
  });
}

const smokeCheck = (report: VerifyReport) => report.checks.find((c) => c.id === 'smoke');

test('the patched MeshCentral starts against the PostgreSQL of the environment and takes one JWT login (HTTP and WebSocket)', async () => {
  const report = await smoke({
    ...pg.env,
    ...ISSUER_AUDIENCE,
    JWT_SECRET,
    AGENT_SIGN_KEY,
    MESHFORK_SMOKE_USER_ID: USERS.amy.id,
    MESHFORK_SMOKE_EMAIL: USERS.amy.email,
    MESHFORK_SMOKE_TENANT: USERS.amy.tenant,
  });
  expect(smokeCheck(report)).toEqual({ id: 'smoke', title: expect.any(String), status: 'pass', problems: [] });
  expect(report.exitCode).toBe(0);
}, 420_000);

test('a user the database does not know: the smoke check fails (exit 1) with the refusal MeshCentral logged', async () => {
  const report = await smoke({
    ...pg.env,
    ...ISSUER_AUDIENCE,
    JWT_SECRET,
    MESHFORK_SMOKE_USER_ID: 'u-nobody',
    MESHFORK_SMOKE_EMAIL: 'nobody@a.example',
    MESHFORK_SMOKE_TENANT: USERS.amy.tenant,
  });
  expect(report.exitCode).toBe(1);
  const problems = smokeCheck(report)?.problems ?? [];
  expect(problems.map((p) => p.message)).toEqual([
    expect.stringMatching(
      /^GET \/\?token=: HTTP 401 without a logged-in session cookie, expected 302 with a session \(MeshCentral: .*reason=unknown-user, entry=http-query/,
    ),
    expect.stringMatching(
      /^control\.ashx with Authorization: Bearer: closed: cause=noauth msg=noauth-jwt, expected userinfo .*reason=unknown-user/,
    ),
  ]);
}, 420_000);

test('without the database in the environment: exit 2 naming the variables, nothing started', async () => {
  const report = await smoke({ JWT_SECRET });
  expect(report.exitCode).toBe(2);
  expect(smokeCheck(report)).toMatchObject({ status: 'fail', kind: 'input' });
  expect(smokeCheck(report)?.problems[0].message).toBe(
    'verify --smoke needs MESHFORK_SMOKE_USER_ID, MESHFORK_SMOKE_EMAIL, MESHFORK_SMOKE_TENANT, POSTGRES_HOST, POSTGRES_USER, POSTGRES_DB in the environment',
  );
});
