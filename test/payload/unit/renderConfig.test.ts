/*
 * The image's config renderer (image/assets/render-config.js), as the entrypoint runs it: the
 * environment in, MeshCentral's config object out, or an error naming the variable.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MINIMAL_IMAGE_ENV } from '../../support/imageEnvironment';
import { makeCaCertificate } from '../../support/privateCa';

// Plain CommonJS that runs inside the image; loaded here exactly as the entrypoint loads it.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- plain CommonJS, required as the entrypoint requires it
const { renderConfig, JWT_SETTINGS } = require('../../../image/assets/render-config.js') as {
  renderConfig(env: Record<string, string | undefined>): {
    settings: Record<string, unknown>;
    domains: Record<string, Record<string, unknown>>;
  };
  JWT_SETTINGS: { variable: string; setting: string }[];
};

const ENV = MINIMAL_IMAGE_ENV;

function failure(env: Record<string, string | undefined>): { message: string; variable: string } {
  try {
    renderConfig(env);
  } catch (error) {
    return { message: (error as Error).message, variable: (error as { variable: string }).variable };
  }
  throw new Error('renderConfig accepted the environment');
}

test('the minimal environment renders the defaults: ports 443/444, jwtAuth on, no new accounts, no secret in the config', () => {
  const config = renderConfig(ENV);
  expect(config).toEqual({
    settings: {
      cert: 'mesh.example.com',
      port: 443,
      redirPort: 0,
      mpsPort: 0,
      WANonly: true,
      selfUpdate: false,
      checkUpdates: false,
      jwtAuth: true,
      agentPort: 444,
      jwtAuthIssuer: 'https://dash.example.com',
      jwtAuthAudience: 'meshcentral',
    },
    domains: { '': { title: 'MeshCentral', newAccounts: false } },
  });
  expect(JSON.stringify(config)).not.toContain(ENV.JWT_SECRET);
  expect(JSON.stringify(config)).not.toContain('"pw"');
});

test('the sample environment renders (it is what the README and the verify helper start from)', () => {
  const env: Record<string, string> = {};
  for (const line of readFileSync(path.join(__dirname, '../../../image/assets/sample.env'), 'utf8').split('\n')) {
    if (!line || line.startsWith('#')) continue;
    env[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
  }
  const config = renderConfig(env);
  expect(config.settings).toMatchObject({
    cert: 'mesh.example.com',
    jwtAuthIssuer: 'https://dashboard.example.com',
    jwtAuthAudience: 'meshcentral',
    jwtAuthMaxLifetime: 86400,
    jwtAuthAlgorithm: 'HS256',
  });
  expect(config.domains[''].title).toBe('Example MeshCentral');
});

test.each([
  ['JWT_SECRET', { JWT_SECRET: undefined }, /^JWT_SECRET: is required/],
  ['JWT_SECRET', { JWT_SECRET: 'y'.repeat(31) }, /^JWT_SECRET: must be at least 32 bytes, got 31/],
  ['AGENT_SIGN_KEY', { AGENT_SIGN_KEY: 'x'.repeat(32) }, /^AGENT_SIGN_KEY: must differ from JWT_SECRET/],
  ['MESHCENTRAL_URL', { MESHCENTRAL_URL: undefined }, /^MESHCENTRAL_URL: is required/],
  ['JWT_ISSUER', { JWT_ISSUER: undefined }, /^JWT_ISSUER: is required but not set \(or set JWT_NO_ISSUER_AUDIENCE_CHECK=true/],
  ['JWT_AUDIENCE', { JWT_AUDIENCE: '' }, /^JWT_AUDIENCE: is required/],
  ['JWT_NO_ISSUER_AUDIENCE_CHECK', { JWT_NO_ISSUER_AUDIENCE_CHECK: 'maybe' }, /must be true or false/],
  ['MESHCENTRAL_URL', { MESHCENTRAL_URL: 'http://mesh.example.com' }, /must be an https:\/\/ URL/],
  ['MESHCENTRAL_URL', { MESHCENTRAL_URL: 'https://mesh.example.com/sub' }, /no path/],
  ['POSTGRES_HOST', { POSTGRES_HOST: '' }, /^POSTGRES_HOST: is required \(or DB_HOST\)/],
  ['POSTGRES_PASSWORD', { POSTGRES_PASSWORD: undefined }, /^POSTGRES_PASSWORD: is required \(or DB_PASSWORD\)/],
  ['POSTGRES_DB', { POSTGRES_DB: undefined }, /^POSTGRES_DB: is required \(or DB_NAME \/ DB_DATABASE\)/],
  ['POSTGRES_PORT', { POSTGRES_PORT: '5432x' }, /^POSTGRES_PORT: must be a whole number from 1 to 65535, got "5432x"/],
  ['MESHCENTRAL_PORT', { MESHCENTRAL_PORT: '70000' }, /^MESHCENTRAL_PORT: must be a whole number/],
  ['JWT_ALGORITHM', { JWT_ALGORITHM: 'none' }, /^JWT_ALGORITHM: must be one of HS256, HS384, HS512/],
  ['JWT_CACHE_SECONDS', { JWT_CACHE_SECONDS: '61' }, /^JWT_CACHE_SECONDS: must be a whole number from 0 to 60/],
  ['MESHCENTRAL_DATABASE', { MESHCENTRAL_DATABASE: 'mongodb' }, /^MESHCENTRAL_DATABASE: must be one of NEDB, POSTGRES/],
  ['MESHCENTRAL_SETTINGS', { MESHCENTRAL_SETTINGS: '{"jwtauth": false}' }, /may not set "jwtauth"/],
  ['MESHCENTRAL_SETTINGS', { MESHCENTRAL_SETTINGS: '{"newAccounts": true, "Port": 1}' }, /may not set "Port"/],
  ['MESHCENTRAL_SETTINGS', { MESHCENTRAL_SETTINGS: '[1]' }, /must be a JSON object/],
  ['MESHCENTRAL_SETTINGS', { MESHCENTRAL_SETTINGS: '{' }, /is not valid JSON/],
])('%s: a missing or bad value is refused, naming it', (variable, overrides, message) => {
  const error = failure({ ...ENV, ...overrides });
  expect(error.variable).toBe(variable);
  expect(error.message).toMatch(message);
});

test('the DB_* fallbacks apply when POSTGRES_* are unset, the way jwt-auth.js reads them', () => {
  const { POSTGRES_HOST, POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB, ...rest } = ENV;
  void [POSTGRES_HOST, POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB];
  const config = renderConfig({
    ...rest,
    DB_HOST: 'h',
    DB_USER: 'u',
    DB_PASSWORD: 'p',
    DB_NAME: 'd',
    DB_PORT: '6543',
    MESHCENTRAL_DATABASE: 'postgres',
  });
  expect(config.settings.postgres).toEqual({ host: 'h', port: 6543, user: 'u', password: 'p', database: 'meshcentral' });
});

test('a password full of quote, backslash, slash and dollar survives into the postgres settings byte for byte', () => {
  const password = `a"b\\c/d$e'f\`g$(h)\n{i}`;
  const config = renderConfig({ ...ENV, POSTGRES_PASSWORD: password, MESHCENTRAL_DATABASE: 'postgres', MESHCENTRAL_POSTGRES_DB: 'mc' });
  const reparsed = JSON.parse(JSON.stringify(config, null, 2)) as typeof config;
  expect((reparsed.settings.postgres as { password: string }).password).toBe(password);
});

test('issuer and audience may be left out only by the explicit opt-out', () => {
  const config = renderConfig({ ...ENV, JWT_ISSUER: undefined, JWT_AUDIENCE: undefined, JWT_NO_ISSUER_AUDIENCE_CHECK: 'true' });
  expect(config.settings.jwtAuthNoIssuerAudienceCheck).toBe(true);
  expect(config.settings.jwtAuthIssuer).toBeUndefined();
});

test('every JWT variable maps to its setting through the one table, with its type', () => {
  const config = renderConfig({
    ...ENV,
    JWT_ISSUER: 'iss',
    JWT_AUDIENCE: 'aud',
    JWT_MAX_LIFETIME: '3600',
    JWT_CLOCK_TOLERANCE: '5',
    JWT_ALGORITHM: 'hs512',
    JWT_CACHE_SECONDS: '10',
    JWT_ROOT_TENANT: 'top',
    JWT_DOMAIN: 'sso',
    JWT_NO_ISSUER_AUDIENCE_CHECK: 'false',
    JWT_URL_TOKEN_MAX_LIFETIME: '120',
    JWT_ORIGINS: 'https://dash.example.com, https://admin.example.com',
    JWT_LOCAL_ACCOUNTS: 'admin',
    JWT_PUBLIC_AGENT_DOWNLOADS: 'no',
    JWT_REFUSAL_LOG_PER_MINUTE: '30',
    JWT_SESSION_MAX_AGE: '28800',
    JWT_SESSION_IDLE_TIMEOUT: '3600',
    JWT_PARTITIONED_COOKIES: 'auto',
  });
  expect(JWT_SETTINGS.map((s) => s.setting).sort()).toEqual(
    Object.keys(config.settings)
      .filter((k) => k.startsWith('jwtAuth') && k !== 'jwtAuth')
      .sort(),
  );
  expect(config.settings).toMatchObject({
    jwtAuthIssuer: 'iss',
    jwtAuthAudience: 'aud',
    jwtAuthMaxLifetime: 3600,
    jwtAuthClockTolerance: 5,
    jwtAuthAlgorithm: 'HS512',
    jwtAuthCacheSeconds: 10,
    jwtAuthRootTenant: 'top',
    jwtAuthDomain: 'sso',
    jwtAuthNoIssuerAudienceCheck: false,
    jwtAuthUrlTokenMaxLifetime: 120,
    jwtAuthOrigins: ['https://dash.example.com', 'https://admin.example.com'],
    jwtAuthLocalAccounts: ['admin'],
    jwtAuthPublicAgentDownloads: false,
    jwtAuthRefusalLogPerMinute: 30,
    jwtAuthSessionMaxAge: 28800,
    jwtAuthSessionIdleTimeout: 3600,
    jwtAuthPartitionedCookies: 'auto',
  });
  expect(config.domains.sso).toEqual({ title: 'MeshCentral', newAccounts: false });
});

test('a public URL on another port than the listening one becomes the alias port; TLS offload and proxies pass through', () => {
  const config = renderConfig({
    ...ENV,
    MESHCENTRAL_URL: 'https://mesh.example.com:4430',
    MESHCENTRAL_AGENT_PORT: '0',
    MESHCENTRAL_TLS_OFFLOAD: 'true',
    MESHCENTRAL_TRUSTED_PROXY: '10.0.0.0/8,192.168.1.1',
    MESHCENTRAL_SETTINGS: '{"agentTimeStampServer": false}',
  });
  expect(config.settings).toMatchObject({
    port: 443,
    aliasPort: 4430,
    tlsOffload: true,
    trustedProxy: '10.0.0.0/8,192.168.1.1',
    agentTimeStampServer: false,
  });
  expect(config.settings.agentPort).toBeUndefined();
});

describe('POSTGRES_SSL_CA given as PEM text, base64 or a path, in both database modes', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- plain CommonJS, as above
  const { databaseCa } = require('../../../image/assets/render-config.js') as {
    databaseCa(
      env: Record<string, string | undefined>,
      readFile?: (file: string, encoding: string) => string,
    ): { pem: string; source: string } | undefined;
  };
  let pem: string;
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'meshfork-ca-'));
    pem = makeCaCertificate(dir, 'meshfork unit CA').caPem;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('every form gives the same PEM text, and says which form it was', () => {
    const base64 = Buffer.from(pem).toString('base64');
    expect(databaseCa({ POSTGRES_SSL_CA: pem })).toEqual({ pem, source: 'text' });
    expect(databaseCa({ POSTGRES_SSL_CA: pem.trimEnd().replace(/\n/g, '\\n') })).toEqual({ pem, source: 'text' });
    expect(databaseCa({ POSTGRES_SSL_CA: base64 })).toEqual({ pem, source: 'base64' });
    expect(databaseCa({ POSTGRES_SSL_CA: path.join(dir, 'ca.pem') })).toEqual({ pem, source: 'file' });
    expect(databaseCa({})).toBeUndefined();
  });

  test('MeshCentral on PostgreSQL gets the PEM text in its ssl options (pg takes it as is); the CA alone turns TLS on', () => {
    const env = { ...ENV, MESHCENTRAL_DATABASE: 'postgres', POSTGRES_SSL_CA: Buffer.from(pem).toString('base64') };
    expect(renderConfig(env).settings.postgres).toEqual({
      host: 'db.example.com',
      port: 5432,
      user: 'mesh',
      password: 'pw',
      database: 'meshcentral',
      ssl: { rejectUnauthorized: true, ca: pem },
    });
    expect(failure({ ...env, POSTGRES_SSL: 'false' })).toEqual({
      variable: 'POSTGRES_SSL_CA',
      message: 'POSTGRES_SSL_CA: is set while POSTGRES_SSL turns TLS off',
    });
    // nedb: only jwt-auth.js uses the CA (the entrypoint hands it a file); the config carries none.
    expect(JSON.stringify(renderConfig({ ...ENV, POSTGRES_SSL_CA: pem }))).not.toContain('BEGIN CERTIFICATE');
  });
});

test('MESHCENTRAL_IDENTITY_KEY: checked (postgres only, 32 bytes, not the JWT secret), never rendered', () => {
  const key = 'i'.repeat(40);
  const config = renderConfig({ ...ENV, MESHCENTRAL_DATABASE: 'postgres', MESHCENTRAL_IDENTITY_KEY: key });
  expect(JSON.stringify(config)).not.toContain(key);
  expect(failure({ ...ENV, MESHCENTRAL_IDENTITY_KEY: key }).variable).toBe('MESHCENTRAL_IDENTITY_KEY');
  expect(failure({ ...ENV, MESHCENTRAL_DATABASE: 'postgres', MESHCENTRAL_IDENTITY_KEY: ENV.JWT_SECRET }).message).toBe(
    'MESHCENTRAL_IDENTITY_KEY: must differ from JWT_SECRET',
  );
});
