/*
 * The dashboard's database as the JWT patches see it: `users` and `agents` tables with two tenants
 * (plus the root tenant), and helpers that sign tokens the way the dashboard does.
 */
import jwt from 'jsonwebtoken';
import type { PostgresServer } from './postgres';

/** Shared by the test PostgreSQL seed, the tokens and MeshCentral's environment. */
export const JWT_SECRET = 'test-secret-0123456789-abcdefghijklmnopqrstuvwxyz';
export const AGENT_SIGN_KEY = 'agent-key-0123456789-abcdefghijklmnopqrstuvwxyz';

/** The issuer and audience every test server requires (the series refuses to start without them). */
export const ISSUER = 'https://dashboard.example';
export const AUDIENCE = 'meshcentral';

export const TENANT_A = 'tenant-a';
export const TENANT_B = 'tenant-b';
export const ROOT_TENANT = 'root';

/** Seed users: [user_id, email, name, role, tenant_id, deleted]. */
export const USERS = {
  alice: { id: 'u-alice', email: 'alice@a.example', name: 'Alice Admin', role: 'admin', tenant: TENANT_A },
  amy: { id: 'u-amy', email: 'amy@a.example', name: 'Amy User', role: 'user', tenant: TENANT_A },
  dora: { id: 'u-dora', email: 'dora@a.example', name: 'Dora Deleted', role: 'user', tenant: TENANT_A, deleted: true },
  bob: { id: 'u-bob', email: 'bob@b.example', name: 'Bob B', role: 'user', tenant: TENANT_B },
  bill: { id: 'u-bill', email: 'bill@b.example', name: 'Bill B', role: 'user', tenant: TENANT_B },
  rita: { id: 'u-rita', email: 'rita@root.example', name: 'Rita Root', role: 'admin', tenant: ROOT_TENANT },
} as const;

export type SeedUser = (typeof USERS)[keyof typeof USERS];

export async function seedTenants(pg: PostgresServer): Promise<void> {
  await pg.query(`CREATE TABLE users (
    user_id TEXT PRIMARY KEY, email TEXT NOT NULL, name TEXT, role TEXT NOT NULL DEFAULT 'user',
    tenant_id TEXT NOT NULL, created_at TIMESTAMPTZ NOT NULL DEFAULT now(), deleted_at TIMESTAMPTZ)`);
  await pg.query(`CREATE TABLE agents (
    agent_id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, name TEXT, created_at TIMESTAMPTZ NOT NULL DEFAULT now())`);
  for (const u of Object.values(USERS)) {
    await pg.query('INSERT INTO users (user_id, email, name, role, tenant_id, deleted_at) VALUES ($1, $2, $3, $4, $5, $6)', [
      u.id,
      u.email,
      u.name,
      u.role,
      u.tenant,
      'deleted' in u && u.deleted ? new Date() : null,
    ]);
  }
  await pg.query("INSERT INTO agents (agent_id, tenant_id, name) VALUES ('agent-1', $1, 'Agent A1'), ('agent-2', $2, 'Agent B1')", [
    TENANT_A,
    TENANT_B,
  ]);
}

let jtiCounter = 0;

/**
 * A dashboard token for a seed user as the contract asks for it: HS256, sub + tenant_id + email, iss, aud,
 * a fresh jti, 60 s (short enough for a URL token).
 */
export function tokenFor(
  user: { id: string; email: string; tenant: string },
  extra: Record<string, unknown> = {},
  options: jwt.SignOptions = {},
): string {
  const claims = {
    sub: user.id,
    tenant_id: user.tenant,
    email: user.email,
    iss: ISSUER,
    aud: AUDIENCE,
    jti: `jti-${process.pid}-${Date.now()}-${++jtiCounter}`,
    ...extra,
  };
  return jwt.sign(claims, JWT_SECRET, { algorithm: 'HS256', ...('exp' in extra ? {} : { expiresIn: 60 }), ...options });
}

/** MeshCentral settings every JWT test server starts with (JWT sign-on on, issuer, audience, the root tenant named explicitly). */
export const BASE_SETTINGS = { jwtAuth: true, jwtAuthIssuer: ISSUER, jwtAuthAudience: AUDIENCE, jwtAuthRootTenant: ROOT_TENANT };

/** base64url of a JSON value, for hand-built tokens. */
export function b64url(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}
