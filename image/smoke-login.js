// @ts-check
'use strict';
/*
 * The JWT series' smoke login, run by `meshfork verify --smoke` (config "smoke.script"; the contract
 * is README "The smoke script"). Two phases:
 *   node smoke-login.js settings   prints {"settings": {...}, "env": {...}}: what MeshCentral needs
 *                                  (jwtAuth on, the issuer and audience, the database and secret)
 *   node smoke-login.js login      one login against MESHFORK_SMOKE_URL, the way the dashboard's iframe
 *                                  does it: `GET /?token=JWT` answers 302 with a logged-in session cookie,
 *                                  and control.ashx with `Authorization: Bearer JWT` sends the user's userinfo
 * Exit 0 passes; 1 the login failed, 2 the environment lacks a variable, 4 the database never answered.
 * Each stderr line is one problem of the verify report; a line "hint: ..." is the previous one's hint.
 */
const crypto = require('crypto');
const fs = require('fs');
const https = require('https');
const path = require('path');

const REQUIRED = ['JWT_SECRET', 'MESHFORK_SMOKE_USER_ID', 'MESHFORK_SMOKE_EMAIL', 'MESHFORK_SMOKE_TENANT'];
/** POSTGRES_x, or its DB_x fallback, as jwt-auth.js reads them. */
const DATABASE = [
  ['POSTGRES_HOST', 'DB_HOST'],
  ['POSTGRES_USER', 'DB_USER'],
  ['POSTGRES_DB', 'DB_NAME'],
];
const PASSED = [
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
];
const DB_HINT =
  'hint: check POSTGRES_HOST/PORT/USER/PASSWORD/DB: can this machine reach the database with them (e.g. `psql`)? See README "Troubleshooting"';

/** @param {number} code @param {string[]} lines @returns {never} */
function exit(code, lines) {
  for (const line of lines) process.stderr.write(`${line}\n`);
  process.exit(code);
}

/** @param {NodeJS.ProcessEnv} env */
function missingEnv(env) {
  const missing = REQUIRED.filter((k) => !env[k]);
  for (const [name, fallback] of DATABASE) if (!env[name] && !env[fallback]) missing.push(name);
  return missing;
}

/** MeshCentral's settings and environment for the login below: jwtAuth on, the issuer and audience tokens must carry. */
function settingsPhase() {
  const env = process.env;
  const missing = missingEnv(env);
  if (missing.length)
    exit(2, [
      `verify --smoke needs ${missing.join(', ')} in the environment`,
      'hint: set POSTGRES_HOST/PORT/USER/PASSWORD/DB (the dashboard database), JWT_SECRET (and JWT_ISSUER/JWT_AUDIENCE), and MESHFORK_SMOKE_USER_ID/EMAIL/TENANT of a user in its users table; see README "meshfork verify"',
    ]);
  /** @type {Record<string, unknown>} */
  const settings = { jwtAuth: true };
  if (env.JWT_ISSUER) settings.jwtAuthIssuer = env.JWT_ISSUER;
  if (env.JWT_AUDIENCE) settings.jwtAuthAudience = env.JWT_AUDIENCE;
  if (/^(1|true|yes|on)$/i.test(env.JWT_NO_ISSUER_AUDIENCE_CHECK || '')) settings.jwtAuthNoIssuerAudienceCheck = true;
  /** @type {Record<string, string>} */
  const passed = {};
  for (const key of PASSED) if (env[key]) passed[key] = String(env[key]);
  process.stdout.write(JSON.stringify({ settings, env: passed }));
}

/**
 * A dashboard token: HS256, the user's sub, tenant_id and email, iss/aud when configured, a fresh jti
 * (URL tokens are one-time), valid 60 s (within any URL-token lifetime limit).
 * @param {string} secret @param {Record<string, string>} claims
 */
function signToken(secret, claims) {
  const now = Math.floor(Date.now() / 1000);
  /** @param {unknown} value */
  const part = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const payload = { ...claims, jti: crypto.randomBytes(16).toString('hex'), iat: now, exp: now + 60 };
  const unsigned = `${part({ alg: 'HS256', typ: 'JWT' })}.${part(payload)}`;
  return `${unsigned}.${crypto.createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}

/**
 * `GET /?token=...`; resolves with the status and the `userid` of the session the xid cookie carries.
 * MeshCentral's certificate is its own self-signed one, so verification is off (loopback only).
 * @param {URL} url @param {string} token @returns {Promise<{ status: number, userid?: string }>}
 */
function httpTokenLogin(url, token) {
  return new Promise((resolve, reject) => {
    const target = new URL(`/?token=${encodeURIComponent(token)}`, url);
    const req = https.get(target, { rejectUnauthorized: false, agent: false, timeout: 20000 }, (res) => {
      res.resume();
      res.on('end', () => {
        const cookies = res.headers['set-cookie'] || [];
        const xid = cookies.map((c) => c.split(';')[0]).find((c) => c.startsWith('xid='));
        let userid;
        try {
          const session = xid ? JSON.parse(Buffer.from(xid.slice(4), 'base64').toString('utf8')) : {};
          if (typeof session.userid === 'string') userid = session.userid;
        } catch (_) {
          userid = undefined;
        }
        resolve({ status: res.statusCode || 0, userid });
      });
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 20 s')));
    req.on('error', reject);
  });
}

/**
 * control.ashx with `Authorization: Bearer`: the userinfo's user id, or why it was refused. `ws` comes
 * from the patched MeshCentral's own node_modules (Node 20 has no WebSocket client).
 * @param {URL} url @param {string} token @returns {Promise<{ userid?: string, refused?: string }>}
 */
function wsBearerLogin(url, token) {
  const WebSocket = require(path.join(String(process.env.MESHFORK_SMOKE_APP_DIR), 'node_modules', 'ws'));
  return new Promise((resolve) => {
    const ws = new WebSocket(`wss://${url.host}/control.ashx`, {
      headers: { Authorization: `Bearer ${token}` },
      rejectUnauthorized: false,
    });
    /** @type {{ userid?: string, refused?: string } | undefined} */
    let answer;
    /** @param {{ userid?: string, refused?: string }} value */
    const finish = (value) => {
      if (!answer) answer = value;
      ws.terminate();
    };
    const timer = setTimeout(() => finish({ refused: 'no userinfo within 20 s' }), 20000);
    ws.on('message', (/** @type {Buffer} */ data) => {
      let message;
      try {
        message = JSON.parse(data.toString());
      } catch (_) {
        return;
      }
      if (message.action === 'userinfo') finish({ userid: message.userinfo && message.userinfo._id });
      // MeshCentral pauses a socket while it authenticates; its close message is the answer
      else if (message.action === 'close') finish({ refused: `closed: cause=${message.cause || '?'} msg=${message.msg || '?'}` });
    });
    ws.on('unexpected-response', (/** @type {unknown} */ _req, /** @type {{ statusCode?: number }} */ res) =>
      finish({ refused: `HTTP ${res.statusCode || '?'} on upgrade` }),
    );
    ws.on('error', (/** @type {Error} */ error) => finish({ refused: error.message }));
    ws.on('close', () => {
      clearTimeout(timer);
      resolve(answer || { refused: 'closed before userinfo' });
    });
  });
}

const sleep = (/** @type {number} */ ms) => new Promise((resolve) => setTimeout(resolve, ms));
const serverLog = () => fs.readFileSync(String(process.env.MESHFORK_SMOKE_LOG), 'utf8');
const jwtLines = () =>
  serverLog()
    .split('\n')
    .filter((l) => l.includes('JWT Auth'))
    .join('; ') || 'no JWT Auth lines';

/** @param {string} entry */
function refusalLines(entry) {
  return serverLog()
    .split('\n')
    .filter((l) => l.includes('JWT Auth: login refused') && l.includes(`entry=${entry}`));
}

/** MeshCentral logs a refusal just after it answers: give the line a moment to arrive (it says why). @param {string} entry @param {number} seen */
async function newRefusal(entry, seen) {
  for (let waited = 0; refusalLines(entry).length <= seen && waited < 3000; waited += 100) await sleep(100);
  return refusalLines(entry)[seen];
}

async function loginPhase() {
  const env = process.env;
  const url = new URL(String(env.MESHFORK_SMOKE_URL));
  // "connected", or "unreachable at start-up" after its 3 s connection timeout; logins retry the database either way
  const started = /JWT Auth: PostgreSQL (connected|unreachable at start-up)/;
  for (let waited = 0; !started.test(serverLog()); waited += 200) {
    if (waited >= 30000) exit(1, [`jwt-auth.js: MeshCentral started but JWT Auth never reported its database: ${jwtLines()}`]);
    await sleep(200);
  }
  /** @type {Record<string, string>} */
  const claims = {
    sub: String(env.MESHFORK_SMOKE_USER_ID),
    email: String(env.MESHFORK_SMOKE_EMAIL),
    tenant_id: String(env.MESHFORK_SMOKE_TENANT),
  };
  if (env.JWT_ISSUER) claims.iss = env.JWT_ISSUER;
  if (env.JWT_AUDIENCE) claims.aud = env.JWT_AUDIENCE;
  const secret = String(env.JWT_SECRET);

  // jwt-auth.js retries the database on every login: while it refuses with db-down, again for up to 30 s
  let http;
  let refusal;
  for (let attempt = 0; ; attempt++) {
    const seen = refusalLines('http-query').length;
    http = await httpTokenLogin(url, signToken(secret, claims)); // a URL token is one-time: a fresh one each try
    refusal = http.status === 401 ? await newRefusal('http-query', seen) : undefined;
    if (!refusal || !refusal.includes('reason=db-down') || attempt >= 15) break;
    await sleep(2000);
  }
  if (refusal && refusal.includes('reason=db-down')) exit(4, [`PostgreSQL does not answer MeshCentral: ${jwtLines()}`, DB_HINT]);

  const problems = [];
  if (http.status !== 302 || !http.userid)
    problems.push(
      `GET /?token=: HTTP ${http.status}${http.userid ? '' : ' without a logged-in session cookie'}, expected 302 with a session${refusal ? ` (MeshCentral: ${refusal.trim()})` : ''}`,
    );
  const wsSeen = refusalLines('websocket').length;
  const ws = await wsBearerLogin(url, signToken(secret, claims));
  const wsRefusal = ws.userid ? undefined : await newRefusal('websocket', wsSeen);
  if (!ws.userid)
    problems.push(
      `control.ashx with Authorization: Bearer: ${ws.refused || 'no userinfo'}, expected userinfo${wsRefusal ? ` (MeshCentral: ${wsRefusal.trim()})` : ''}`,
    );
  else if (http.userid && ws.userid !== http.userid)
    problems.push(`the WebSocket login is user ${ws.userid}, the HTTP login ${http.userid}: the same token must map to one user`);
  if (problems.length) exit(1, problems);
}

// required (by .github/scripts/image-smoke.sh) it only lends its token signer
module.exports = { signToken };

if (require.main === module) {
  const phase = process.argv[2];
  if (phase === 'settings') settingsPhase();
  else if (phase === 'login')
    loginPhase().catch((error) => exit(1, [`the smoke login failed: ${error && error.message ? error.message : error}`]));
  else exit(2, [`usage: node smoke-login.js settings|login (got ${JSON.stringify(phase)})`]);
}
