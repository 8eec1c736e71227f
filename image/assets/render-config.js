'use strict';
/*
 * MeshCentral's config.json from the container's environment, for the meshfork image.
 *
 * Plain CommonJS with no dependencies: it runs inside the image (Node 18 or newer) from entrypoint.js,
 * and meshfork's own code and tests load it as is. `renderConfig(env)` returns the config object (the
 * entrypoint writes it with JSON.stringify, never by text substitution, so any byte in a value stays
 * that byte) or throws a ConfigError whose message and `.variable` name the variable at fault.
 *
 * Secrets stay in the environment: JWT_SECRET, AGENT_SIGN_KEY and MESHCENTRAL_IDENTITY_KEY are checked
 * here but never rendered (jwt-auth.js and identity.js read them from process.env). Only
 * MESHCENTRAL_DATABASE=postgres puts the PostgreSQL password (and the database CA) in config.json,
 * because MeshCentral's own database driver reads them from there.
 */
const fs = require('fs');
const crypto = require('crypto');

/** A bad or missing environment variable; `.variable` is its name. */
class ConfigError extends Error {
  constructor(variable, message) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
    this.variable = variable;
  }
}

// Parsers: (text, variable) -> value, throwing ConfigError.
function text(value) {
  return value;
}

function wholeNumber(min, max) {
  return (value, variable) => {
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      throw new ConfigError(variable, `must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`);
    }
    return Number(value);
  };
}

function oneOf(choices) {
  return (value, variable) => {
    const upper = value.toUpperCase();
    if (!choices.includes(upper)) throw new ConfigError(variable, `must be one of ${choices.join(', ')}, got ${JSON.stringify(value)}`);
    return upper;
  };
}

function boolean(value, variable) {
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off)$/i.test(value)) return false;
  throw new ConfigError(variable, `must be true or false, got ${JSON.stringify(value)}`);
}

/** A comma-separated list as an array of its non-empty items. */
function list(value) {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** "true" for every address, else the comma-separated addresses/ranges MeshCentral takes as a string. */
function trueOrList(value) {
  return /^(1|true|yes|on)$/i.test(value) ? true : value;
}

/**
 * The JWT settings of the series (UPSTREAM_SYNC.md, "JWT single sign-on" > "Configuration"):
 * environment variable -> MeshCentral setting. One table, so a renamed or added setting is one line
 * here. The series ignores settings it does not know, so rows for newer series versions are harmless.
 */
const JWT_SETTINGS = [
  { variable: 'JWT_ISSUER', setting: 'jwtAuthIssuer', parse: text },
  { variable: 'JWT_AUDIENCE', setting: 'jwtAuthAudience', parse: text },
  { variable: 'JWT_NO_ISSUER_AUDIENCE_CHECK', setting: 'jwtAuthNoIssuerAudienceCheck', parse: boolean },
  { variable: 'JWT_ALGORITHM', setting: 'jwtAuthAlgorithm', parse: oneOf(['HS256', 'HS384', 'HS512']) },
  { variable: 'JWT_MAX_LIFETIME', setting: 'jwtAuthMaxLifetime', parse: wholeNumber(1, 31 * 24 * 3600) },
  { variable: 'JWT_URL_TOKEN_MAX_LIFETIME', setting: 'jwtAuthUrlTokenMaxLifetime', parse: wholeNumber(1, 3600) },
  { variable: 'JWT_CLOCK_TOLERANCE', setting: 'jwtAuthClockTolerance', parse: wholeNumber(0, 3600) },
  { variable: 'JWT_CACHE_SECONDS', setting: 'jwtAuthCacheSeconds', parse: wholeNumber(0, 60) },
  { variable: 'JWT_ROOT_TENANT', setting: 'jwtAuthRootTenant', parse: text },
  { variable: 'JWT_DOMAIN', setting: 'jwtAuthDomain', parse: text },
  { variable: 'JWT_ORIGINS', setting: 'jwtAuthOrigins', parse: list },
  { variable: 'JWT_LOCAL_ACCOUNTS', setting: 'jwtAuthLocalAccounts', parse: list },
  { variable: 'JWT_PUBLIC_AGENT_DOWNLOADS', setting: 'jwtAuthPublicAgentDownloads', parse: boolean },
  { variable: 'JWT_REFUSAL_LOG_PER_MINUTE', setting: 'jwtAuthRefusalLogPerMinute', parse: wholeNumber(0, 100000) },
  { variable: 'JWT_SESSION_MAX_AGE', setting: 'jwtAuthSessionMaxAge', parse: wholeNumber(1, 31 * 24 * 3600) },
  { variable: 'JWT_SESSION_IDLE_TIMEOUT', setting: 'jwtAuthSessionIdleTimeout', parse: wholeNumber(1, 31 * 24 * 3600) },
  {
    variable: 'JWT_PARTITIONED_COOKIES',
    setting: 'jwtAuthPartitionedCookies',
    parse: (v, name) => (/^auto$/i.test(v) ? 'auto' : boolean(v, name)),
  },
];

/** Optional MeshCentral settings taken straight from one variable each. */
const SERVER_SETTINGS = [
  { variable: 'MESHCENTRAL_TRUSTED_PROXY', setting: 'trustedProxy', parse: trueOrList },
  { variable: 'MESHCENTRAL_TLS_OFFLOAD', setting: 'tlsOffload', parse: trueOrList },
  { variable: 'MESHCENTRAL_ALLOW_FRAMING', setting: 'allowFraming', parse: boolean },
  {
    variable: 'MESHCENTRAL_SESSION_SAMESITE',
    setting: 'sessionSameSite',
    parse: (v, name) => oneOf(['LAX', 'STRICT', 'NONE'])(v, name).toLowerCase(),
  },
];

/** Every variable the renderer reads, for documentation and the sample environment. */
const VARIABLES = [
  'MESHCENTRAL_URL',
  'MESHCENTRAL_PORT',
  'MESHCENTRAL_AGENT_PORT',
  'MESHCENTRAL_REDIR_PORT',
  'MESHCENTRAL_TITLE',
  'MESHCENTRAL_DATABASE',
  'MESHCENTRAL_POSTGRES_DB',
  'MESHCENTRAL_SETTINGS',
  ...SERVER_SETTINGS.map((s) => s.variable),
  'JWT_SECRET',
  'AGENT_SIGN_KEY',
  'MESHCENTRAL_IDENTITY_KEY',
  'POSTGRES_HOST',
  'POSTGRES_PORT',
  'POSTGRES_USER',
  'POSTGRES_PASSWORD',
  'POSTGRES_DB',
  'POSTGRES_SSL',
  'POSTGRES_SSL_CA',
  ...JWT_SETTINGS.map((s) => s.variable),
];

/** POSTGRES_* with the DB_* fallbacks, the way jwt-auth.js reads them (an empty value counts as unset). */
const POSTGRES_FALLBACKS = {
  POSTGRES_HOST: ['DB_HOST'],
  POSTGRES_PORT: ['DB_PORT'],
  POSTGRES_USER: ['DB_USER'],
  POSTGRES_PASSWORD: ['DB_PASSWORD'],
  POSTGRES_DB: ['DB_NAME', 'DB_DATABASE'],
  POSTGRES_SSL: ['DB_SSL'],
};

function lookup(env, variable) {
  for (const name of [variable, ...(POSTGRES_FALLBACKS[variable] || [])]) {
    if (typeof env[name] === 'string' && env[name] !== '') return env[name];
  }
  return undefined;
}

function required(env, variable) {
  const value = lookup(env, variable);
  if (value === undefined) {
    const fallbacks = POSTGRES_FALLBACKS[variable];
    throw new ConfigError(variable, `is required${fallbacks ? ` (or ${fallbacks.join(' / ')})` : ''} but not set`);
  }
  return value;
}

function optional(env, variable, parse, fallback) {
  const value = lookup(env, variable);
  return value === undefined ? fallback : parse(value, variable);
}

/** The public https URL: its host name is the certificate name; a port other than the listening one is the alias port. */
function publicUrl(env) {
  const raw = required(env, 'MESHCENTRAL_URL');
  let url;
  try {
    url = new URL(raw);
  } catch (_) {
    throw new ConfigError('MESHCENTRAL_URL', `must be a URL such as https://mesh.example.com, got ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== 'https:')
    throw new ConfigError(
      'MESHCENTRAL_URL',
      `must be an https:// URL (browsers and agents reach MeshCentral over TLS), got ${JSON.stringify(raw)}`,
    );
  if (url.pathname !== '/' || url.search || url.hash || url.username || url.password) {
    throw new ConfigError(
      'MESHCENTRAL_URL',
      `must be only scheme, host and port (no path, query or credentials), got ${JSON.stringify(raw)}`,
    );
  }
  return { host: url.hostname, port: url.port === '' ? 443 : Number(url.port) };
}

function checkSecrets(env) {
  const secret = env.JWT_SECRET;
  if (typeof secret !== 'string' || secret === '')
    throw new ConfigError('JWT_SECRET', 'is required but not set (the HMAC secret the dashboard signs its tokens with)');
  if (Buffer.byteLength(secret, 'utf8') < 32)
    throw new ConfigError('JWT_SECRET', `must be at least 32 bytes, got ${Buffer.byteLength(secret, 'utf8')}`);
  if (typeof env.AGENT_SIGN_KEY === 'string' && env.AGENT_SIGN_KEY !== '' && env.AGENT_SIGN_KEY === secret) {
    throw new ConfigError('AGENT_SIGN_KEY', 'must differ from JWT_SECRET (tokens it signs are refused)');
  }
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * POSTGRES_SSL_CA: the CA bundle as PEM text, as base64 of the PEM (one line, for platforms whose
 * environment values cannot hold line breaks), or as the path of a PEM file. Returns the PEM text and
 * where it came from, or undefined when unset; every certificate in it must parse.
 */
function databaseCa(env, readFile = fs.readFileSync) {
  const raw = lookup(env, 'POSTGRES_SSL_CA');
  if (raw === undefined) return undefined;
  let pem;
  let source;
  if (raw.includes('-----BEGIN')) {
    pem = raw.replace(/\\n/g, '\n');
    source = 'text';
  } else if (raw.startsWith('/')) {
    try {
      pem = readFile(raw, 'utf8');
    } catch (error) {
      throw new ConfigError('POSTGRES_SSL_CA', `cannot read the CA file ${raw}: ${error.code || error.message}`);
    }
    source = 'file';
  } else if (/^[A-Za-z0-9+/=\s]+$/.test(raw)) {
    pem = Buffer.from(raw.replace(/\s/g, ''), 'base64').toString('utf8');
    source = 'base64';
  } else {
    throw new ConfigError('POSTGRES_SSL_CA', 'must be PEM text, base64 of PEM text, or the absolute path of a PEM file');
  }
  const certificates = pem.match(PEM_CERTIFICATE) || [];
  if (certificates.length === 0) throw new ConfigError('POSTGRES_SSL_CA', `holds no PEM certificate (given as ${source})`);
  for (const certificate of certificates) {
    try {
      new crypto.X509Certificate(certificate);
    } catch (error) {
      throw new ConfigError('POSTGRES_SSL_CA', `holds a certificate that does not parse (given as ${source}): ${error.message}`);
    }
  }
  return { pem: `${certificates.join('\n')}\n`, source };
}

/** MESHCENTRAL_IDENTITY_KEY: the key the server certificates are kept under in PostgreSQL (identity.js). */
function identityKey(env, database) {
  const key = lookup(env, 'MESHCENTRAL_IDENTITY_KEY');
  if (key === undefined) return undefined;
  if (database !== 'postgres')
    throw new ConfigError(
      'MESHCENTRAL_IDENTITY_KEY',
      "needs MESHCENTRAL_DATABASE=postgres (the certificates are kept in MeshCentral's PostgreSQL database; with nedb they stay in the data volume)",
    );
  if (Buffer.byteLength(key, 'utf8') < 32)
    throw new ConfigError('MESHCENTRAL_IDENTITY_KEY', `must be at least 32 bytes, got ${Buffer.byteLength(key, 'utf8')}`);
  if (key === env.JWT_SECRET) throw new ConfigError('MESHCENTRAL_IDENTITY_KEY', 'must differ from JWT_SECRET');
  return key;
}

/** The dashboard's PostgreSQL: checked here so a bad value stops the container before MeshCentral starts. */
function postgres(env, readFile) {
  const connection = {
    host: required(env, 'POSTGRES_HOST'),
    port: optional(env, 'POSTGRES_PORT', wholeNumber(1, 65535), 5432),
    user: required(env, 'POSTGRES_USER'),
    password: required(env, 'POSTGRES_PASSWORD'),
    database: required(env, 'POSTGRES_DB'),
  };
  const ssl = optional(env, 'POSTGRES_SSL', (v) => /^(1|true|yes|on|require)$/i.test(v), undefined);
  const ca = databaseCa(env, readFile);
  if (ca !== undefined && ssl === false) throw new ConfigError('POSTGRES_SSL_CA', 'is set while POSTGRES_SSL turns TLS off');
  // A CA means TLS verified against it; without one, POSTGRES_SSL=true verifies against the public CAs.
  return { connection, ssl: ssl === true || ca !== undefined, ca };
}

/** MESHCENTRAL_SETTINGS: a JSON object of further settings; it may not override what the renderer owns. */
function extraSettings(env, owned) {
  const raw = lookup(env, 'MESHCENTRAL_SETTINGS');
  if (raw === undefined) return {};
  let value;
  try {
    value = JSON.parse(raw);
  } catch (error) {
    throw new ConfigError('MESHCENTRAL_SETTINGS', `is not valid JSON: ${error.message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ConfigError('MESHCENTRAL_SETTINGS', 'must be a JSON object of MeshCentral settings');
  const ownedLower = new Set(owned.map((key) => key.toLowerCase()));
  for (const key of Object.keys(value)) {
    // MeshCentral lower-cases setting names, so "JWTAUTH" would override jwtAuth.
    if (ownedLower.has(key.toLowerCase()) || key.toLowerCase().startsWith('jwtauth')) {
      throw new ConfigError(
        'MESHCENTRAL_SETTINGS',
        `may not set "${key}": it comes from its own variable (see the image's environment table)`,
      );
    }
  }
  return value;
}

/**
 * The MeshCentral config object for `env` (process.env in the container). `readFile` reads a
 * POSTGRES_SSL_CA given as a path.
 */
function renderConfig(env, readFile = fs.readFileSync) {
  checkSecrets(env);
  const url = publicUrl(env);
  const db = postgres(env, readFile);
  const port = optional(env, 'MESHCENTRAL_PORT', wholeNumber(1, 65535), 443);
  const agentPort = optional(env, 'MESHCENTRAL_AGENT_PORT', wholeNumber(0, 65535), 444);
  const redirPort = optional(env, 'MESHCENTRAL_REDIR_PORT', wholeNumber(0, 65535), 0);
  const title = optional(env, 'MESHCENTRAL_TITLE', text, 'MeshCentral');
  const database = optional(env, 'MESHCENTRAL_DATABASE', (v, name) => oneOf(['NEDB', 'POSTGRES'])(v, name).toLowerCase(), 'nedb');
  identityKey(env, database);

  const settings = {
    cert: url.host,
    port,
    redirPort,
    mpsPort: 0,
    WANonly: true,
    // The image is the release: updates come from a new image, never from npm at run time.
    selfUpdate: false,
    checkUpdates: false,
    jwtAuth: true,
  };
  if (url.port !== port) settings.aliasPort = url.port;
  if (agentPort !== 0 && agentPort !== port) settings.agentPort = agentPort;
  if (database === 'postgres') {
    settings.postgres = { ...db.connection, database: optional(env, 'MESHCENTRAL_POSTGRES_DB', text, 'meshcentral') };
    // MeshCentral hands settings.postgres to pg's Client as it is: `ca` is the PEM text itself.
    if (db.ssl) settings.postgres.ssl = db.ca ? { rejectUnauthorized: true, ca: db.ca.pem } : { rejectUnauthorized: true };
  }
  for (const entry of SERVER_SETTINGS) {
    const value = optional(env, entry.variable, entry.parse, undefined);
    if (value !== undefined) settings[entry.setting] = value;
  }
  for (const entry of JWT_SETTINGS) {
    const value = optional(env, entry.variable, entry.parse, undefined);
    if (value !== undefined) settings[entry.setting] = value;
  }
  // Without issuer and audience any token signed with the secret is a login: only by explicit opt-out.
  if (settings.jwtAuthNoIssuerAudienceCheck !== true) {
    for (const [variable, setting] of [
      ['JWT_ISSUER', 'jwtAuthIssuer'],
      ['JWT_AUDIENCE', 'jwtAuthAudience'],
    ]) {
      if (settings[setting] === undefined)
        throw new ConfigError(
          variable,
          'is required but not set (or set JWT_NO_ISSUER_AUDIENCE_CHECK=true to accept tokens of any issuer and audience)',
        );
    }
  }
  const extra = extraSettings(env, [
    ...Object.keys(settings),
    'postgres',
    'aliasPort',
    'agentPort',
    ...SERVER_SETTINGS.map((s) => s.setting),
  ]);

  const domain = { title, newAccounts: false };
  const domains = { '': domain };
  const jwtDomain = typeof settings.jwtAuthDomain === 'string' ? settings.jwtAuthDomain.toLowerCase() : '';
  if (jwtDomain !== '') {
    if (!/^[a-z0-9_-]+$/.test(jwtDomain))
      throw new ConfigError('JWT_DOMAIN', `must be a MeshCentral domain id (letters, digits, - and _), got ${JSON.stringify(jwtDomain)}`);
    domains[jwtDomain] = { title, newAccounts: false };
  }
  return { settings: { ...settings, ...extra }, domains };
}

module.exports = { renderConfig, databaseCa, ConfigError, JWT_SETTINGS, SERVER_SETTINGS, VARIABLES };
