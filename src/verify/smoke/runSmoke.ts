/*
 * `meshfork verify --smoke`: the patched base release, its npm dependencies (cached by a hash of
 * package.json), started against the PostgreSQL the environment names, and one JWT login over
 * HTTP (`GET /?token=`) and over WebSocket (control.ashx, `Authorization: Bearer`).
 */
import { createHash } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LoadedConfig } from '../../config/load';
import { MeshforkError } from '../../errors';
import { npmInstallProduction } from '../../tools/npm';
import { defaultCacheDir } from '../../upstream';
import { linkOrCopyTree } from '../../util/linkTree';
import type { ProgressSink } from '../../util/progress';
import type { FailureKind, Problem } from '../types';
import { httpTokenLogin, signToken, wsBearerLogin, type HttpLogin } from './jwtLogin';
import { startMeshCentral, type MeshCentralServer } from './meshcentralServer';

export interface SmokeOptions {
  env: NodeJS.ProcessEnv;
  /** Writes the base release plus the series into `out` (the command layer passes `meshfork apply`). */
  buildTree: (out: string) => Promise<void>;
  cacheDir?: string;
  /** Where installed node_modules are kept per package.json hash (default: meshcentral-modules in the cache). */
  modulesDir?: string;
  progress?: ProgressSink;
  startTimeoutMs?: number;
}

/** What MeshCentral needs from the environment: the database the JWT series reads, and the secret. */
export const SMOKE_ENV = {
  required: ['JWT_SECRET', 'MESHFORK_SMOKE_USER_ID', 'MESHFORK_SMOKE_EMAIL', 'MESHFORK_SMOKE_TENANT'],
  /** POSTGRES_x, or its DB_x fallback, as jwt-auth.js reads them. */
  database: [
    ['POSTGRES_HOST', 'DB_HOST'],
    ['POSTGRES_USER', 'DB_USER'],
    ['POSTGRES_DB', 'DB_NAME'],
  ],
  passed: [
    'JWT_SECRET',
    'AGENT_SIGN_KEY',
    'POSTGRES_HOST',
    'POSTGRES_PORT',
    'POSTGRES_USER',
    'POSTGRES_PASSWORD',
    'POSTGRES_DB',
    'POSTGRES_SSL',
    'POSTGRES_SSL_CA',
    'DB_HOST',
    'DB_PORT',
    'DB_USER',
    'DB_PASSWORD',
    'DB_NAME',
  ],
} as const;

/** MeshCentral settings from the image's variables: the issuer and audience tokens must carry (the hardened series requires them). */
function jwtSettings(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const settings: Record<string, unknown> = {};
  if (env.JWT_ISSUER) settings.jwtAuthIssuer = env.JWT_ISSUER;
  if (env.JWT_AUDIENCE) settings.jwtAuthAudience = env.JWT_AUDIENCE;
  if (/^(1|true|yes|on)$/i.test(env.JWT_NO_ISSUER_AUDIENCE_CHECK ?? '')) settings.jwtAuthNoIssuerAudienceCheck = true;
  return settings;
}

function missingEnv(env: NodeJS.ProcessEnv): string[] {
  const missing: string[] = SMOKE_ENV.required.filter((k) => !env[k]);
  for (const [name, fallback] of SMOKE_ENV.database) if (!env[name] && !env[fallback]) missing.push(name);
  return missing;
}

/** node_modules for this package.json, installed once into the cache and hard-linked (or copied) into the tree. */
async function installDependencies(dir: string, modulesDir: string): Promise<void> {
  const key = createHash('sha256')
    .update(await fs.readFile(path.join(dir, 'package.json')))
    .digest('hex')
    .slice(0, 16);
  const cached = path.join(modulesDir, key);
  if (!existsSync(path.join(cached, 'node_modules'))) {
    const work = `${cached}.tmp-${process.pid}-${Date.now()}`;
    await fs.mkdir(work, { recursive: true });
    await fs.copyFile(path.join(dir, 'package.json'), path.join(work, 'package.json'));
    try {
      await npmInstallProduction(work);
      await fs.rename(work, cached).catch(() => undefined); // another process cached the same package.json first
    } finally {
      await fs.rm(work, { recursive: true, force: true });
    }
  }
  await linkOrCopyTree(path.join(cached, 'node_modules'), path.join(dir, 'node_modules'));
}

/** What the smoke check found; kind "environment" when the database never answered. */
export interface SmokeResult {
  kind?: FailureKind;
  problems: Problem[];
}

const DB_HINT =
  'check POSTGRES_HOST/PORT/USER/PASSWORD/DB: can this machine reach the database with them (e.g. `psql`)? See README "Troubleshooting"';

function refusalLines(output: string, entry: string): string[] {
  return output.split('\n').filter((l) => l.includes('JWT Auth: login refused') && l.includes(`entry=${entry}`));
}

/** MeshCentral logs a refusal just after it answers: give the line a moment to arrive (it says why). */
async function newRefusal(server: MeshCentralServer, entry: string, seen: number): Promise<string | undefined> {
  for (let waited = 0; refusalLines(server.output(), entry).length <= seen && waited < 3000; waited += 100)
    await new Promise((r) => setTimeout(r, 100));
  return refusalLines(server.output(), entry)[seen];
}

/** `GET /?token=`; while jwt-auth.js refuses with db-down (it retries the database on every login), again for up to 30 s. */
async function httpLoginWithRetry(server: MeshCentralServer, token: () => string): Promise<{ http: HttpLogin; refusal?: string }> {
  for (let attempt = 0; ; attempt++) {
    const seen = refusalLines(server.output(), 'http-query').length;
    const http = await httpTokenLogin(server.port, token()); // a URL token is one-time: a fresh one each try
    const refusal = http.status === 401 ? await newRefusal(server, 'http-query', seen) : undefined;
    if (!refusal?.includes('reason=db-down') || attempt >= 15) return { http, refusal };
    await new Promise((r) => setTimeout(r, 2000));
  }
}

export async function runSmoke(loaded: LoadedConfig, options: SmokeOptions): Promise<SmokeResult> {
  const missing = missingEnv(options.env);
  if (missing.length) {
    throw new MeshforkError('USAGE', `verify --smoke needs ${missing.join(', ')} in the environment`, {
      hint: 'set POSTGRES_HOST/PORT/USER/PASSWORD/DB (the dashboard database), JWT_SECRET (and JWT_ISSUER/JWT_AUDIENCE), and MESHFORK_SMOKE_USER_ID/EMAIL/TENANT of a user in its users table; see README "meshfork verify"',
    });
  }
  const parent = await fs.mkdtemp(path.join(os.tmpdir(), 'meshfork-smoke-'));
  let server: MeshCentralServer | undefined;
  try {
    const tree = path.join(parent, 'meshcentral');
    await options.buildTree(tree);
    await installDependencies(tree, options.modulesDir ?? path.join(options.cacheDir ?? defaultCacheDir(), 'meshcentral-modules'));
    const env: Record<string, string> = {};
    for (const key of SMOKE_ENV.passed) if (options.env[key]) env[key] = options.env[key] as string;
    const datapath = path.join(parent, 'data');
    await fs.mkdir(datapath);
    try {
      // the first start makes certificates and signs agents: "may take a few minutes", MeshCentral says
      server = await startMeshCentral(tree, {
        env,
        datapath,
        settings: jwtSettings(options.env),
        timeoutMs: options.startTimeoutMs ?? 180_000,
      });
    } catch (error) {
      return {
        kind: 'broken',
        problems: [
          {
            file: 'meshcentral.js',
            message: `MeshCentral ${loaded.config.base} + the series did not start: ${(error as Error).message.slice(-1500)}`,
          },
        ],
      };
    }
    const jwtLines = () =>
      server
        ?.output()
        .split('\n')
        .filter((l) => l.includes('JWT Auth'))
        .join('; ') || 'no JWT Auth lines';
    try {
      // "connected", or "unreachable at start-up" after its 3 s connection timeout; logins retry the database either way
      await server.waitForOutput(/JWT Auth: PostgreSQL (connected|unreachable at start-up)/, 30_000);
    } catch {
      return {
        kind: 'broken',
        problems: [{ file: 'jwt-auth.js', message: `MeshCentral started but JWT Auth never reported its database: ${jwtLines()}` }],
      };
    }
    const e = options.env;
    const claims = {
      sub: e.MESHFORK_SMOKE_USER_ID as string,
      email: e.MESHFORK_SMOKE_EMAIL as string,
      tenant_id: e.MESHFORK_SMOKE_TENANT as string,
      ...(e.JWT_ISSUER ? { iss: e.JWT_ISSUER } : {}),
      ...(e.JWT_AUDIENCE ? { aud: e.JWT_AUDIENCE } : {}),
    };
    const { http, refusal } = await httpLoginWithRetry(server, () => signToken(e.JWT_SECRET as string, claims));
    if (refusal?.includes('reason=db-down'))
      return { kind: 'environment', problems: [{ message: `PostgreSQL does not answer MeshCentral: ${jwtLines()}`, hint: DB_HINT }] };
    const problems: Problem[] = [];
    if (http.status !== 302 || !http.userid) {
      problems.push({
        file: 'webserver.js',
        message: `GET /?token=: HTTP ${http.status}${http.userid ? '' : ' without a logged-in session cookie'}, expected 302 with a session${refusal ? ` (MeshCentral: ${refusal.trim()})` : ''}`,
      });
    }
    const wsSeen = refusalLines(server.output(), 'websocket').length;
    const ws = await wsBearerLogin(server.port, signToken(e.JWT_SECRET as string, claims));
    const wsRefusal = ws.userid ? undefined : await newRefusal(server, 'websocket', wsSeen);
    if (!ws.userid)
      problems.push({
        file: 'webserver.js',
        message: `control.ashx with Authorization: Bearer: ${ws.refused ?? 'no userinfo'}, expected userinfo${wsRefusal ? ` (MeshCentral: ${wsRefusal.trim()})` : ''}`,
      });
    else if (http.userid && ws.userid !== http.userid)
      problems.push({
        file: 'webserver.js',
        message: `the WebSocket login is user ${ws.userid}, the HTTP login ${http.userid}: the same token must map to one user`,
      });
    return { kind: problems.length ? 'broken' : undefined, problems };
  } finally {
    await server?.stop();
    await fs.rm(parent, { recursive: true, force: true });
  }
}
