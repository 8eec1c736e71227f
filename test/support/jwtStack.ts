/*
 * The end-to-end stack every JWT test file starts once: a real PostgreSQL seeded with two tenants,
 * the series applied to a MeshCentral release with meshfork, and that MeshCentral running with JWT on.
 */
import { patchedRelease, startMeshCentral, type MeshCentralServer, type PatchedRelease } from './meshcentral';
import { startPostgres, type PostgresServer } from './postgres';
import { AGENT_SIGN_KEY, JWT_SECRET, seedTenants } from './jwtTenants';
import { LIVE_PROJECT } from '../payload/support/liveProject';

export interface JwtStack {
  pg: PostgresServer;
  release: PatchedRelease;
  server: MeshCentralServer;
}

/**
 * Start the stack for `version` with the live series (a payload helper); `settings` are extra MeshCentral
 * config.json settings; `patches` another series folder.
 */
export async function startJwtStack(
  version: string,
  settings: Record<string, unknown> = {},
  options: { patches?: string } = {},
): Promise<JwtStack> {
  const pg = await startPostgres();
  await seedTenants(pg);
  const release = await patchedRelease(version, { project: LIVE_PROJECT, ...(options.patches ? { patches: options.patches } : {}) });
  const server = await startMeshCentral(release.dir, { env: { JWT_SECRET, AGENT_SIGN_KEY, ...pg.env }, settings });
  await server.waitForOutput('JWT Auth: PostgreSQL connected', 60_000);
  return { pg, release, server };
}

/** Stop whatever of the stack was started (safe after a failed start). */
export async function stopJwtStack(stack: Partial<JwtStack>): Promise<void> {
  await stack.server?.stop();
  stack.release?.remove();
  await stack.pg?.destroy();
}
