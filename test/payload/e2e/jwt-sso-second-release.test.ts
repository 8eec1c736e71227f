/*
 * The same series on the older SECOND_RELEASE (it applies with offsets only, see jwt-series.test.ts):
 * the valid single sign-on flow works there too, on a real PostgreSQL and a real MeshCentral.
 */
import { PostgresServer } from '../../support/postgres';
import { MeshCentralServer, PatchedRelease } from '../../support/meshcentral';
import { controlSession, httpsGet, loggedInCookie } from '../../support/meshClient';
import { TENANT_A, TENANT_B, tokenFor, USERS } from '../../support/jwtTenants';
import { startJwtStack, stopJwtStack } from '../../support/jwtStack';
import { SECOND_RELEASE } from '../support/liveBase';

jest.setTimeout(180_000);

let pg: PostgresServer;
let release: PatchedRelease;
let server: MeshCentralServer;

beforeAll(async () => {
  ({ pg, release, server } = await startJwtStack(SECOND_RELEASE));
}, 600_000);

afterAll(async () => {
  await stopJwtStack({ pg, release, server });
});

test('the patched second release starts as that MeshCentral version with JWT Auth connected', () => {
  expect(server.output()).toContain(`MeshCentral v${SECOND_RELEASE}`);
  expect(server.output()).toMatch(/^JWT Auth: PostgreSQL connected/m);
});

test('valid login: /?token= redirects without the token with a session; the cookie opens the app and control.ashx', async () => {
  const answer = await httpsGet(server.port, `/?token=${tokenFor(USERS.alice)}`);
  expect(answer.status).toBe(302);
  expect(answer.headers.location).toBe('/');
  const cookie = loggedInCookie(answer);
  expect(cookie).not.toBeNull();

  const app = await httpsGet(server.port, '/', { cookie: cookie as string });
  expect(app.status).toBe(200);
  expect(app.body).toContain('id="logoutControl"');

  const ws = await controlSession(server.port, { headers: { cookie: cookie as string } });
  expect(ws.userinfo?.name).toBe(USERS.alice.name);
  expect(ws.meshes?.map((m) => m.name)).toEqual([`Tenant ${TENANT_A}`]);
});

test('control.ashx with Authorization: Bearer gets the right user and only their tenant group', async () => {
  const ws = await controlSession(server.port, { headers: { authorization: `Bearer ${tokenFor(USERS.bob)}` } });
  expect(ws.userinfo?.name).toBe(USERS.bob.name);
  expect(ws.meshes?.map((m) => m.name)).toEqual([`Tenant ${TENANT_B}`]);
});

test('a refused token opens nothing on the second release either', async () => {
  const expired = tokenFor(USERS.alice, {}, { expiresIn: -60 });
  const answer = await httpsGet(server.port, `/?token=${expired}`);
  expect(answer.status).toBe(401);
  expect(loggedInCookie(answer)).toBeNull();
  const ws = await controlSession(server.port, { headers: { authorization: `Bearer ${expired}` } });
  expect(ws.userinfo).toBeUndefined();
  expect(server.output()).toContain('reason=expired');
});
