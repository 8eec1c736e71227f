// @ts-check
/**
* @description JWT single sign-on: a token issued by the tenant dashboard opens a MeshCentral session for a user
* held in a PostgreSQL "users" table, with rights only to that user's tenant device group.
* Downstream addition (meshfork patch series), not part of upstream MeshCentral.
* @license Apache-2.0
*/

/*jslint node: true */
/*jshint node: true */
/*jshint strict:false */
/*jshint -W097 */
/*jshint esversion: 8 */
"use strict";

const crypto = require('crypto');

const SITERIGHT_ADMIN = 0xFFFFFFFF;
const SITERIGHT_LOCKED = 32;
const SITERIGHT_NONEWGROUPS = 64;        // Tenant users must not create groups outside their tenant's group
const MESHRIGHT_ALL = 0xFFFFFFFF;
const MESHRIGHT_MEMBER = 8 | 16 | 32 | 64 | 128; // Remote control, agent console, server files, wake, notes
const MAX_TOKEN_LENGTH = 8192;
const MAX_CACHE_SECONDS = 60;
const MAX_REMEMBERED_JTIS = 100000;      // One-time URL tokens remembered until exp; when full, URL logins fail closed
const SWEEP_MILLISECONDS = 2000;         // How often sessions and open WebSockets of JWT users are re-checked
const MAX_SESSIONS = 100000;             // Live sessions held in memory; when full, URL logins fail closed
const SAFE_METHODS = ['GET', 'HEAD', 'OPTIONS'];
const LOG_WINDOW_MILLISECONDS = 60000;
const HMAC_ALGORITHMS = ['HS256', 'HS384', 'HS512'];

// Refusal reason codes, logged as "reason=<code>" so failure rates can be monitored. Never log token values.
const REASONS = ['malformed', 'bad-algorithm', 'bad-signature', 'agent-token', 'expired', 'not-yet-valid', 'no-exp', 'lifetime',
    'wrong-issuer', 'wrong-audience', 'bad-claims', 'no-jti', 'replayed', 'replay-store-full', 'duplicate-token', 'bad-request',
    'bad-origin', 'session-switch', 'throttled', 'unknown-user', 'ambiguous-user', 'deleted-user', 'email-mismatch', 'locked-user',
    'wrong-tenant', 'wrong-domain', 'role-changed', 'session-expired', 'no-jwt-session', 'no-rights', 'local-accounts-off',
    'local-login', 'db-down', 'db-error', 'internal-error', 'unknown-crit', 'session-idle', 'session-max-age', 'logged-out',
    'session-store-full'];

// HTTP status of a refusal; everything else is 401. 431 (headers too large) is Node's own answer before any hook runs.
const HTTP_STATUS = { 'bad-request': 400, 'duplicate-token': 400, 'bad-origin': 403, 'session-switch': 403, 'no-rights': 403, 'local-accounts-off': 403, 'throttled': 429, 'internal-error': 500 };

// Refusals that are not the client's fault do not count as bad logins for MeshCentral's throttle.
// Nor do sessions that ended (an open tab after logout, idle time or a restart must not throttle the user's next login).
const NOT_BAD_LOGINS = ['db-down', 'db-error', 'internal-error', 'throttled', 'session-expired', 'role-changed', 'session-idle', 'session-max-age',
    'logged-out', 'no-jwt-session', 'session-store-full'];

// Reasons that say nothing about the session itself: the request is refused, the session is not ended.
const TRANSIENT_REASONS = ['db-down', 'db-error', 'internal-error', 'throttled'];

class JwtRefusal extends Error {
    constructor(reason, detail) { super(detail || reason); this.reason = reason; }
}

function refusal(reason) { return new JwtRefusal(reason); }

// ---- Options -------------------------------------------------------------------------------------------------------

function isLoopbackHost(host) {
    return (host === 'localhost') || (host === '::1') || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) || String(host).startsWith('/');
}

function positive(value, fallback, name) {
    if (value == null) return fallback;
    if ((typeof value != 'number') || !(value > 0) || !isFinite(value)) { throw new Error('settings.' + name + ' must be a positive number of seconds.'); }
    return value;
}

// true, false or "auto" (partitioned when the login came from a cross-site dashboard frame).
function readPartitioned(value) {
    if (value == null) return 'auto';
    if ((value === true) || (value === false) || (value === 'auto')) return value;
    throw new Error('settings.jwtAuthPartitionedCookies must be true, false or "auto".');
}

function nonNegative(value, fallback, name) {
    if (value == null) return fallback;
    if ((typeof value != 'number') || !(value >= 0) || !isFinite(value)) { throw new Error('settings.' + name + ' must be a non-negative number of seconds.'); }
    return value;
}

function stringList(value, name) {
    if (value == null) return [];
    if (!Array.isArray(value) || value.some(function (v) { return (typeof v != 'string') || (v.length == 0); })) { throw new Error('settings.' + name + ' must be a list of non-empty strings.'); }
    return value;
}

// A dashboard origin as browsers send it: scheme://host[:port], nothing else.
function readOrigins(value) {
    return stringList(value, 'jwtAuthOrigins').map(function (origin) {
        var parsed = null;
        try { parsed = new URL(origin); } catch (ex) { }
        if ((parsed == null) || ((parsed.protocol != 'https:') && (parsed.protocol != 'http:')) || (parsed.origin !== origin.replace(/\/$/, ''))) { throw new Error('settings.jwtAuthOrigins: "' + origin + '" is not an origin like https://dashboard.example.com'); }
        return parsed.origin;
    });
}

// TLS is on by default for a database that is not on this machine; POSTGRES_SSL=false turns it off explicitly.
function readPgOptions(env) {
    const host = env.POSTGRES_HOST || env.DB_HOST || 'localhost';
    const sslSetting = String(env.POSTGRES_SSL || env.DB_SSL || '').toLowerCase();
    var ssl = !isLoopbackHost(host);
    if (/^(1|true|yes|on|require|verify-full)$/.test(sslSetting)) { ssl = true; }
    if (/^(0|false|no|off|disable)$/.test(sslSetting)) { ssl = false; }
    return {
        host: host,
        port: parseInt(env.POSTGRES_PORT || env.DB_PORT || '5432', 10),
        user: env.POSTGRES_USER || env.DB_USER,
        password: env.POSTGRES_PASSWORD || env.DB_PASSWORD,
        database: env.POSTGRES_DB || env.DB_NAME || env.DB_DATABASE,
        ssl: ssl ? { rejectUnauthorized: true, ca: (env.POSTGRES_SSL_CA ? require('fs').readFileSync(env.POSTGRES_SSL_CA, 'utf8') : undefined) } : false,
        max: 10,
        connectionTimeoutMillis: 5000,
        idleTimeoutMillis: 30000,
        query_timeout: 5000
    };
}

// Reads the JWT_SECRET / POSTGRES_* environment and the jwtAuth* settings (MeshCentral lower-cases keys). Throws a clear message when unusable.
function readOptions(settings, env) {
    const secret = env.JWT_SECRET;
    if ((typeof secret != 'string') || (secret.length == 0)) { throw new Error('JWT_SECRET is not set; it is required when settings.jwtAuth is true.'); }
    if (Buffer.byteLength(secret, 'utf8') < 32) { throw new Error('JWT_SECRET is shorter than 32 bytes; use a random secret of at least 32 bytes.'); }
    const agentKey = ((typeof env.AGENT_SIGN_KEY == 'string') && (env.AGENT_SIGN_KEY.length > 0)) ? env.AGENT_SIGN_KEY : null;
    if (agentKey === secret) { throw new Error('JWT_SECRET must differ from AGENT_SIGN_KEY: agent tokens must never open a user session.'); }
    const algorithm = (typeof settings.jwtauthalgorithm == 'string') ? settings.jwtauthalgorithm.toUpperCase() : 'HS256';
    if (HMAC_ALGORITHMS.indexOf(algorithm) == -1) { throw new Error('settings.jwtAuthAlgorithm must be one of ' + HMAC_ALGORITHMS.join(', ') + '.'); }
    const issuer = ((typeof settings.jwtauthissuer == 'string') && (settings.jwtauthissuer.length > 0)) ? settings.jwtauthissuer : undefined;
    const audience = ((typeof settings.jwtauthaudience == 'string') && (settings.jwtauthaudience.length > 0)) ? settings.jwtauthaudience : undefined;
    if (((issuer == null) || (audience == null)) && (settings.jwtauthnoissueraudiencecheck !== true)) {
        throw new Error('settings.jwtAuthIssuer and settings.jwtAuthAudience are required (set settings.jwtAuthNoIssuerAudienceCheck to true to accept any token signed with JWT_SECRET).');
    }
    const rootTenant = settings.jwtauthroottenant;
    if ((rootTenant != null) && ((typeof rootTenant != 'string') || (rootTenant.length == 0))) { throw new Error('settings.jwtAuthRootTenant must be a tenant id (a non-empty string).'); }
    return {
        secret: secret,
        agentKey: agentKey,
        algorithm: algorithm,
        issuer: issuer,
        audience: audience,
        maxLifetime: nonNegative(settings.jwtauthmaxlifetime, 24 * 3600, 'jwtAuthMaxLifetime'),
        urlMaxLifetime: nonNegative(settings.jwtauthurltokenmaxlifetime, 120, 'jwtAuthUrlTokenMaxLifetime'),
        clockTolerance: nonNegative(settings.jwtauthclocktolerance, 30, 'jwtAuthClockTolerance'),
        cacheSeconds: Math.min(nonNegative(settings.jwtauthcacheseconds, 30, 'jwtAuthCacheSeconds'), MAX_CACHE_SECONDS),
        rootTenant: (rootTenant != null) ? rootTenant : null,
        domainId: (typeof settings.jwtauthdomain == 'string') ? settings.jwtauthdomain.toLowerCase() : '',
        origins: readOrigins(settings.jwtauthorigins),
        localAccounts: stringList(settings.jwtauthlocalaccounts, 'jwtAuthLocalAccounts').map(function (n) { return n.toLowerCase(); }),
        publicAgentDownloads: (settings.jwtauthpublicagentdownloads === true),
        logPerMinute: nonNegative(settings.jwtauthrefusallogperminute, 30, 'jwtAuthRefusalLogPerMinute'),
        sessionMaxAge: positive(settings.jwtauthsessionmaxage, 8 * 3600, 'jwtAuthSessionMaxAge'),
        sessionIdleTimeout: positive(settings.jwtauthsessionidletimeout, 3600, 'jwtAuthSessionIdleTimeout'),
        partitionedCookies: readPartitioned(settings.jwtauthpartitionedcookies),
        pg: readPgOptions(env)
    };
}

// With jwtAuth on, nobody may get in around the tokens: refuse to start on settings that open another way in.
function checkNoOtherWayIn(args, domain, domainId) {
    if (domain == null) { throw new Error('settings.jwtAuthDomain "' + domainId + '" is not a configured MeshCentral domain.'); }
    if (args.nousers === true) { throw new Error('settings.noUsers logs everybody in without a password; it cannot be combined with settings.jwtAuth.'); }
    if ((domain.auth == 'sspi') || (domain.auth == 'ldap')) { throw new Error('domain auth "' + domain.auth + '" is another login method; it cannot be combined with settings.jwtAuth.'); }
    if ((domain.authstrategies != null) && (typeof domain.authstrategies == 'object') && (Object.keys(domain.authstrategies).length > 0)) { throw new Error('domain authStrategies are another login method; remove them or turn settings.jwtAuth off.'); }
}

// ---- Token checks: each throws a JwtRefusal with its reason --------------------------------------------------------

// Decodes one base64url JWT segment into an object.
function decodeSegment(segment) {
    if (!/^[A-Za-z0-9_-]+$/.test(segment)) { throw new JwtRefusal('malformed', 'segment is not base64url'); }
    var value;
    try { value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')); } catch (ex) { throw new JwtRefusal('malformed', 'segment is not JSON'); }
    if ((value == null) || (typeof value != 'object') || Array.isArray(value)) { throw new JwtRefusal('malformed', 'segment is not a JSON object'); }
    return value;
}

// Three base64url JSON segments, at most 8 KB; returns the header.
function checkShape(token) {
    if ((typeof token != 'string') || (token.length == 0) || (token.length > MAX_TOKEN_LENGTH)) { throw new JwtRefusal('malformed', 'empty or over ' + MAX_TOKEN_LENGTH + ' characters'); }
    const parts = token.split('.');
    if (parts.length != 3) { throw new JwtRefusal('malformed', parts.length + ' parts'); }
    const header = decodeSegment(parts[0]);
    decodeSegment(parts[1]);
    return header;
}

// A "crit" header names extensions the recipient must understand (RFC 7515 4.1.11); this module understands none, and jsonwebtoken ignores it.
function checkCritical(header) {
    if (header.crit !== undefined) { throw new JwtRefusal('unknown-crit', 'crit header'); }
}

// The algorithm is pinned by configuration, never taken from the token (no "none", no RS256/HS256 confusion).
function checkAlgorithm(header, options) {
    if (header.alg !== options.algorithm) { throw new JwtRefusal('bad-algorithm', 'alg ' + String(header.alg).substring(0, 16)); }
}

function verifyErrorReason(err) {
    if (err.name == 'TokenExpiredError') return 'expired';
    if (err.name == 'NotBeforeError') return 'not-yet-valid';
    const message = String(err.message || '');
    if (message.indexOf('invalid signature') >= 0) return 'bad-signature';
    if (message.indexOf('jwt issuer invalid') >= 0) return 'wrong-issuer';
    if (message.indexOf('jwt audience invalid') >= 0) return 'wrong-audience';
    if (message.indexOf('invalid algorithm') >= 0) return 'bad-algorithm';
    if (/invalid (nbf|exp|iat)|must be a number/.test(message)) return 'bad-claims';
    return 'malformed';
}

// Signature, exp, nbf, iss, aud through jsonwebtoken; a token that verifies with AGENT_SIGN_KEY gets its own reason.
function verifySignature(jwt, token, options) {
    try {
        return jwt.verify(token, options.secret, { algorithms: [options.algorithm], clockTolerance: options.clockTolerance, issuer: options.issuer, audience: options.audience });
    } catch (err) {
        const reason = verifyErrorReason(err);
        if ((reason == 'bad-signature') && (options.agentKey != null)) {
            try { jwt.verify(token, options.agentKey, { algorithms: [options.algorithm], ignoreExpiration: true, ignoreNotBefore: true }); } catch (ex) { throw refusal(reason); }
            throw new JwtRefusal('agent-token', 'signed with AGENT_SIGN_KEY');
        }
        throw refusal(reason);
    }
}

function isTime(value) { return (typeof value == 'number') && isFinite(value); }

// exp required; iat and nbf, when present, are numbers and not in the future; exp - iat within the lifetime for this entry.
function checkTimes(payload, options, now, maxLifetime) {
    if (payload.exp == null) { throw refusal('no-exp'); }
    if (!isTime(payload.exp)) { throw new JwtRefusal('bad-claims', 'exp'); }
    if ((payload.iat != null) && !isTime(payload.iat)) { throw new JwtRefusal('bad-claims', 'iat'); }
    if ((payload.nbf != null) && !isTime(payload.nbf)) { throw new JwtRefusal('bad-claims', 'nbf'); }
    if (payload.exp + options.clockTolerance < now) { throw refusal('expired'); }
    if ((payload.nbf != null) && (payload.nbf > now + options.clockTolerance)) { throw new JwtRefusal('not-yet-valid', 'nbf in the future'); }
    const issuedAt = (payload.iat != null) ? payload.iat : now;
    if (issuedAt > now + options.clockTolerance) { throw new JwtRefusal('not-yet-valid', 'iat in the future'); }
    if (payload.exp - Math.min(issuedAt, now) > maxLifetime) { throw new JwtRefusal('lifetime', 'lifetime over ' + maxLifetime + ' s'); }
}

function idClaim(value) {
    if ((typeof value == 'number') && Number.isSafeInteger(value)) { return String(value); }
    if ((typeof value == 'string') && (value.length > 0) && (value.length <= 128)) { return value; }
    return null;
}

// sub and tenant_id identify the user; email, when present, must be a plausible address (it is checked against the row).
function readClaims(payload) {
    const sub = idClaim(payload.sub);
    if (sub == null) { throw new JwtRefusal('bad-claims', 'sub'); }
    const tenant = idClaim(payload.tenant_id);
    if (tenant == null) { throw new JwtRefusal('bad-claims', 'tenant_id'); }
    var email = null;
    if (payload.email != null) {
        if ((typeof payload.email != 'string') || (payload.email.length < 3) || (payload.email.length > 254) || !/^[^\s@]+@[^\s@]+$/.test(payload.email)) { throw new JwtRefusal('bad-claims', 'email'); }
        email = payload.email.toLowerCase();
    }
    if ((payload.jti != null) && (idClaim(payload.jti) == null)) { throw new JwtRefusal('bad-claims', 'jti'); }
    return { sub: sub, tenant: tenant, email: email, jti: (payload.jti != null) ? String(payload.jti) : null, exp: payload.exp };
}

// URL tokens (?token=, ?jwt=) travel in addresses and histories: one-time jti required.
function checkUrlToken(claims) {
    if (claims.jti == null) { throw refusal('no-jti'); }
}

// Remembers each URL token's jti until its exp; a second use is "replayed". Marked before any await, so two racing uses cannot both pass.
function createReplayStore(maxEntries) {
    const seen = new Map(); // jti -> exp (ms)
    return {
        use: function (jti, expMs, nowMs) {
            if (seen.size >= maxEntries) { for (const [key, exp] of seen) { if (exp < nowMs) { seen.delete(key); } } }
            if (seen.has(jti) && (seen.get(jti) >= nowMs)) { throw refusal('replayed'); }
            if (seen.size >= maxEntries) { throw refusal('replay-store-full'); }
            seen.set(jti, expMs);
        },
        // A URL token once used is dead for every entry point (a Bearer header, control.ashx) until its exp.
        wasUsed: function (jti, nowMs) { const exp = seen.get(jti); return (exp != null) && (exp >= nowMs); },
        size: function () { return seen.size; }
    };
}

// ---- Sessions ------------------------------------------------------------------------------------------------------

// The server's record of each session a URL token opened: the cookie only names it, so logout, idle time and the maximum
// age hold for every copy of the cookie. Kept in memory: after a restart users open MeshCentral from the dashboard again.
function createSessionTable(maxEntries) {
    const sessions = new Map(); // sid -> { sid, userid, tenant, sub, role, ip, partitioned, created, lastActive, ended }
    return {
        open: function (fields, nowMs) {
            if (sessions.size >= maxEntries) { throw refusal('session-store-full'); }
            const session = Object.assign({ sid: crypto.randomBytes(24).toString('base64url'), created: nowMs, lastActive: nowMs, ended: null }, fields);
            sessions.set(session.sid, session);
            return session;
        },
        get: function (sid) { return (typeof sid == 'string') ? (sessions.get(sid) || null) : null; },
        // The first reason a session ended is the one it keeps.
        end: function (session, reason, nowMs) { if (session.ended == null) { session.ended = reason; session.endedAt = nowMs; } },
        all: function () { return Array.from(sessions.values()); },
        // Forgets a session an hour after it ended (or passed its maximum age): a cookie naming a forgotten session gets no-jwt-session.
        prune: function (nowMs, maxAgeSeconds) {
            for (const [sid, s] of sessions) {
                const endedAt = (s.ended != null) ? s.endedAt : (s.created + maxAgeSeconds * 1000);
                if (nowMs >= endedAt + 3600 * 1000) { sessions.delete(sid); }
            }
        },
        size: function () { return sessions.size; }
    };
}

// Whether a session is live for this user now: null, or the reason it is not. The token's exp plays no part: it only opened it.
function sessionVerdict(session, userid, nowMs, policy) {
    if ((session == null) || (session.userid !== userid)) return 'no-jwt-session';
    if (session.ended != null) return session.ended;
    if (nowMs >= session.created + policy.sessionMaxAge * 1000) return 'session-max-age';
    if (nowMs >= session.lastActive + policy.sessionIdleTimeout * 1000) return 'session-idle';
    return null;
}

// A login cookie (the page's authCookie, sent in "auth" form fields and ?auth=) of a JWT user counts only while a session of that
// user made before the cookie is live: the cookie carries no session id, so it lives no longer than the user's last live session.
function authCookieVerdict(cookie, sessions, nowMs, policy) {
    var reason = 'no-jwt-session';
    for (const session of sessions) {
        if (session.userid !== cookie.userid) continue;
        const verdict = sessionVerdict(session, cookie.userid, nowMs, policy);
        if ((verdict == null) && ((typeof cookie.time != 'number') || (cookie.time * 1000 >= session.created - 1000))) return null;
        if (verdict != null) { reason = verdict; }
    }
    return reason;
}

// ---- Users ---------------------------------------------------------------------------------------------------------

// The rows for (tenant, sub): exactly one, not deleted, and the token's email (if any) is the row's.
function pickUserRow(rows, claims) {
    if (rows.length == 0) { throw refusal('unknown-user'); }
    if (rows.length > 1) { throw refusal('ambiguous-user'); }
    const row = rows[0];
    if (String(row.tenant_id) !== claims.tenant) { throw refusal('wrong-tenant'); }
    if (row.deleted_at != null) { throw refusal('deleted-user'); }
    if ((claims.email != null) && (String(row.email || '').toLowerCase() !== claims.email)) { throw refusal('email-mismatch'); }
    return row;
}

function roleOf(row) { return (String(row.role).toLowerCase() == 'admin') ? 'admin' : 'user'; }

// Site admin only for an admin of the tenant named in settings.jwtAuthRootTenant; everybody else may not create groups.
function siteRightsFor(role, tenant, options) {
    return ((role == 'admin') && (options.rootTenant != null) && (tenant === options.rootTenant)) ? SITERIGHT_ADMIN : SITERIGHT_NONEWGROUPS;
}

// MeshCentral's lock bit (a locked account may not log in); full site admins carry every bit, so they are never "locked".
function isLocked(user) {
    return (user != null) && (typeof user.siteadmin == 'number') && (user.siteadmin != SITERIGHT_ADMIN) && ((user.siteadmin & SITERIGHT_LOCKED) != 0);
}

// Stable ids: hashing the [tenant, user] pair keeps ids from different tenants apart whatever characters they hold.
function userIdFor(domainId, tenant, sub) {
    return 'user/' + domainId + '/~jwt:' + crypto.createHash('sha384').update(JSON.stringify([tenant, sub])).digest('hex').substring(0, 40);
}

// A device group id nobody can compute: in MeshCentral the group id is the agents' enrolment secret.
function randomMeshId(domainId) {
    return 'mesh/' + domainId + '/' + crypto.randomBytes(48).toString('base64').replace(/\+/g, '@').replace(/\//g, '$');
}

// ---- Requests ------------------------------------------------------------------------------------------------------

// A token query parameter: null when absent, the string when given once; twice (an array) or as an object is refused.
function tokenParameter(query, name) {
    const value = (query != null) ? query[name] : undefined;
    if (value == null) return null;
    if (typeof value != 'string') { throw refusal('duplicate-token'); }
    return value;
}

// "Authorization: Bearer <jwt>": null when there is no Bearer header, '' when it is empty or not one token.
function bearerToken(headers) {
    const header = headers.authorization;
    if (typeof header != 'string') return null;
    const match = /^Bearer +([^\s,]+) *$/i.exec(header);
    return (match == null) ? (/^Bearer\b/i.test(header) ? '' : null) : match[1];
}

// Only origin-form targets ("/path?query"); absolute-form ("http:///?token=") and anything odd get 400.
function checkRequestTarget(req) {
    const target = req.originalUrl || req.url;
    if ((typeof target != 'string') || !/^\/(?![/\\])/.test(target)) { throw refusal('bad-request'); }
}

// Where to send the browser after a URL login: the same path and query without the token, always a local path.
function redirectTarget(req) {
    const path = (typeof req.path == 'string') && /^\/(?![/\\])[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/.test(req.path) ? req.path : '/';
    const params = new URLSearchParams();
    for (const key of Object.keys(req.query || {})) {
        if (key == 'token') continue;
        const values = Array.isArray(req.query[key]) ? req.query[key] : [req.query[key]];
        for (const value of values) { if (typeof value == 'string') { params.append(key, value); } }
    }
    const query = params.toString();
    return path + ((query.length > 0) ? ('?' + query) : '');
}

function originOf(url) {
    try { const parsed = new URL(url); return ((parsed.protocol == 'https:') || (parsed.protocol == 'http:')) ? parsed.origin : null; } catch (ex) { return null; }
}

// MeshCentral's own origin for this request: same host (as the browser addressed it) on https, or http behind TLS offload.
function isOwnOrigin(origin, req) {
    const host = req.headers['x-forwarded-host'] || req.headers.host;
    return (typeof host == 'string') && ((origin === 'https://' + host) || (origin === 'http://' + host));
}

// Login CSRF: a browser navigation from another site must come from an allowed dashboard origin (Sec-Fetch-Site, then Origin, then Referer).
function checkOrigin(req, options) {
    const site = req.headers['sec-fetch-site'];
    if ((site === 'same-origin') || (site === 'none')) return;
    var origin = null;
    if (typeof req.headers.origin == 'string') { origin = (req.headers.origin === 'null') ? 'null' : originOf(req.headers.origin); }
    else if (typeof req.headers.referer == 'string') { origin = originOf(req.headers.referer); }
    if (origin == null) {
        if (site == null) return; // Not a browser, or one that sends neither header: no cross-site request to guard against
        throw new JwtRefusal('bad-origin', 'cross-site request without an origin');
    }
    if (isOwnOrigin(origin, req) || (options.origins.indexOf(origin) >= 0)) return;
    throw new JwtRefusal('bad-origin', 'origin not in settings.jwtAuthOrigins');
}

// WebSockets: browsers always send Origin; a cross-site page may not drive a JWT user's socket (cross-site WebSocket hijacking).
function checkWebSocketOrigin(req, options) {
    const origin = req.headers.origin;
    if (typeof origin != 'string') return;
    if (isOwnOrigin(origin, req) || (options.origins.indexOf(origin) >= 0)) return;
    throw new JwtRefusal('bad-origin', 'WebSocket origin not in settings.jwtAuthOrigins');
}

// Anti-CSRF: a state-changing request (any method but GET, HEAD, OPTIONS) that a browser sends from another site must come from a
// dashboard origin. Non-browser clients send neither Origin nor Sec-Fetch-Site and carry no ambient cookie of a victim.
function checkStateChange(req, options) {
    if (SAFE_METHODS.indexOf(req.method) >= 0) return;
    checkOrigin(req, options);
}

// Session cookie attributes for this request: Secure whenever the request came over TLS as Express sees it (behind TLS offload:
// the trusted proxy's X-Forwarded-Proto); CHIPS (Partitioned; Secure; SameSite=None) for a session opened in a cross-site frame.
function cookieAttributes(isSecure, partitioned) {
    if (!isSecure) return {};
    return partitioned ? { secure: true, sameSite: 'none', partitioned: true } : { secure: true };
}

// Whether a URL login makes a partitioned cookie: always, never, or ("auto") when the browser says the frame is cross-site.
function wantsPartitioned(req, setting) {
    if (setting !== 'auto') return setting === true;
    return req.headers['sec-fetch-site'] === 'cross-site';
}

function isLogout(req, domain) {
    return (domain != null) && (typeof req.path == 'string') && (req.path === domain.url + 'logout');
}

// Framing only by MeshCentral itself and the dashboard origins (CSP frame-ancestors, which replaces X-Frame-Options).
function frameAncestors(options) {
    return "frame-ancestors 'self'" + options.origins.map(function (o) { return ' ' + o; }).join('');
}

// The query values that may name a device group: agent downloads and mesh settings take the group id in "id" or "meshid".
function meshIdsInQuery(query) {
    const ids = [];
    for (const key of ['id', 'meshid']) { if ((query != null) && (typeof query[key] == 'string')) { ids.push(query[key]); } }
    return ids;
}

// ---- Refusal log ---------------------------------------------------------------------------------------------------

// At most perMinute lines a minute; the rest are counted and summed up in one line per minute.
function createRefusalLog(perMinute, print) {
    var windowStart = Date.now(), printed = 0, suppressed = {};
    function flush(now) {
        const reasons = Object.keys(suppressed);
        if (reasons.length > 0) {
            var total = 0;
            const parts = reasons.map(function (r) { total += suppressed[r]; return r + ': ' + suppressed[r]; });
            print('JWT Auth: ' + total + ' more logins refused in the last minute, not logged one by one (' + parts.join(', ') + ').');
        }
        windowStart = now; printed = 0; suppressed = {};
    }
    return {
        log: function (reason, line) {
            const now = Date.now();
            if (now - windowStart >= LOG_WINDOW_MILLISECONDS) { flush(now); }
            if (printed < perMinute) { printed++; print(line); return true; }
            if (printed == perMinute) { printed++; print('JWT Auth: more than ' + perMinute + ' refusals this minute; counting the rest per reason.'); }
            suppressed[reason] = (suppressed[reason] || 0) + 1;
            return false;
        },
        tick: function () { if (Date.now() - windowStart >= LOG_WINDOW_MILLISECONDS) { flush(Date.now()); } }
    };
}

// ---- Decisions of the MeshCentral adapters (CreateJwtAuth below): pure, each unit-tested --------------------------

// An answer from PostgreSQL itself (SQLSTATE), as opposed to no answer: connection classes 08, 57P (shutdown) and 53 count as down.
function isSqlError(err) {
    return (typeof err.code == 'string') && /^[0-9A-Z]{5}$/.test(err.code) && !/^(08|57P|53)/.test(err.code);
}

// A failed user query: an id that cannot be the column's type (e.g. text for an integer id) is an unknown user; an answer from
// PostgreSQL is db-error; no answer is db-down.
function databaseErrorReason(err) {
    if (err.code == '22P02') return 'unknown-user';
    return isSqlError(err) ? 'db-error' : 'db-down';
}

// Positive user lookups by (tenant, sub), kept cacheSeconds; tenant and sub are separate keys.
function createUserCache(cacheSeconds) {
    const cache = new Map(); // tenant id -> Map(sub -> { row, expires })
    return {
        get: function (tenant, sub, nowMs) {
            const tenantCache = cache.get(tenant);
            const cached = (tenantCache != null) ? tenantCache.get(sub) : null;
            return ((cached != null) && (cached.expires > nowMs)) ? cached.row : null;
        },
        forget: function (tenant, sub) { const tenantCache = cache.get(tenant); if (tenantCache != null) { tenantCache.delete(sub); } },
        put: function (tenant, sub, row, nowMs) {
            if (!(cacheSeconds > 0)) return;
            if (!cache.has(tenant)) { cache.set(tenant, new Map()); }
            cache.get(tenant).set(sub, { row: row, expires: nowMs + cacheSeconds * 1000 });
        }
    };
}

// Every check of one token for one entry point, in order; returns the claims or throws a JwtRefusal. A URL token's jti is marked
// used in the replay store; a Bearer token whose jti a URL login used is refused.
function tokenClaims(jwt, token, isUrlToken, options, replay, nowMs) {
    const header = checkShape(token);
    checkCritical(header);
    checkAlgorithm(header, options);
    const payload = verifySignature(jwt, token, options);
    checkTimes(payload, options, Math.floor(nowMs / 1000), isUrlToken ? Math.min(options.urlMaxLifetime, options.maxLifetime) : options.maxLifetime);
    const claims = readClaims(payload);
    const jtiKey = claims.tenant + '\u0000' + claims.jti;
    if (isUrlToken) { checkUrlToken(claims); replay.use(jtiKey, (claims.exp + options.clockTolerance) * 1000, nowMs); }
    else if ((claims.jti != null) && replay.wasUsed(jtiKey, nowMs)) { throw new JwtRefusal('replayed', 'URL token used as a Bearer token'); }
    return claims;
}

// What MeshCentral's user record should say for a database row: name, email, site rights and rights on the tenant group.
function userProfile(row, tenant, options) {
    const role = roleOf(row);
    const email = String(row.email || '').toLowerCase();
    return {
        role: role,
        siteadmin: siteRightsFor(role, tenant, options),
        meshRights: (role == 'admin') ? MESHRIGHT_ALL : MESHRIGHT_MEMBER,
        email: email,
        name: ((typeof row.name == 'string') && (row.name.length > 0)) ? row.name.substring(0, 64) : email
    };
}

// The links of a user to JWT tenant groups other than its own: rights only to the user's own tenant group.
function foreignTenantLinks(links, ownMeshId, meshes) {
    return Object.keys(links).filter(function (meshid) { return (meshid != ownMeshId) && (meshes[meshid] != null) && (meshes[meshid].jwttenant != null); });
}

// Bearer requests log in on every call: the login time is written at most once a minute, not per request.
function isLoginTimeStale(access, nowSeconds) {
    return (typeof access != 'number') || (nowSeconds - access >= 60);
}

// The tenant's device group among MeshCentral's groups: the one remembered, if it still exists, else the stored mapping
// (mesh.jwttenant in this domain); null when the tenant has none yet.
function findTenantMeshId(meshes, tenant, domainId, remembered) {
    if ((remembered != null) && (meshes[remembered] != null) && (meshes[remembered].deleted == null)) return remembered;
    for (const id in meshes) { const m = meshes[id]; if ((m.jwttenant === tenant) && (m.domain === domainId) && (m.deleted == null)) { return id; } }
    return null;
}

// The user behind a session, re-read: null, or why the session must end (the role changed, or MeshCentral locked the user).
function userVerdict(row, session, user) {
    if (roleOf(row) !== session.role) return 'role-changed';
    if (isLocked(user)) return 'locked-user';
    return null;
}

// A refusal ends the session for good unless it says nothing about the session (a database outage, throttling).
function endsSession(reason) { return TRANSIENT_REASONS.indexOf(reason) == -1; }

// A refusal counts in MeshCentral's bad-login throttle only when it is the client's fault.
function countsAsBadLogin(reason) { return NOT_BAD_LOGINS.indexOf(reason) == -1; }

// The log line (console) and the auth-log line of one refusal: reason, entry and address, never a token.
function refusalLines(reason, entry, ip) {
    return { console: 'JWT Auth: login refused, reason=' + reason + ', entry=' + entry + ', ip=' + ip, authLog: 'JWT login refused (' + reason + ') from ' + ip + ' via ' + entry };
}

// The answer to a refused request: status, headers and body (the reason shown only for statuses other than 401).
function refusalResponse(reason, bearer) {
    const status = HTTP_STATUS[reason] || 401;
    const headers = { 'Cache-Control': 'no-store' };
    if (bearer && (status == 401)) { headers['WWW-Authenticate'] = 'Bearer error="invalid_token"'; }
    return { status: status, headers: headers, body: 'Single sign-on refused (' + (HTTP_STATUS[reason] ? reason : 'the token or session is not valid') + ').' };
}

function isJwtUserId(userid) { return (typeof userid == 'string') && (userid.indexOf('/~jwt:') >= 0); }

// The JWT session a cookie session names, when it is this user's: the cookie carries only the session id.
function sessionIdOf(cookieSession, userid) {
    return ((cookieSession != null) && (cookieSession.userid === userid) && (cookieSession.jwt != null) && (typeof cookieSession.jwt == 'object')) ? cookieSession.jwt.i : null;
}

// The fields a session table entry keeps from a login.
function sessionFields(login, ip, partitioned) {
    return { userid: login.user._id, tenant: login.claims.tenant, sub: login.claims.sub, role: roleOf(login.row), ip: ip, partitioned: partitioned };
}

// Cookie options of a response: the attributes (cookieAttributes) and, for a JWT session, a lifetime up to its maximum age.
function sessionCookieOptions(isSecure, session, nowMs, sessionMaxAge) {
    const result = cookieAttributes(isSecure, (session != null) && (session.partitioned === true));
    if (session != null) { result.maxAge = Math.max(1000, session.created + sessionMaxAge * 1000 - nowMs); }
    return result;
}

// The Content-Security-Policy of a response with frame-ancestors added; null when the response has none.
function withFrameAncestors(csp, options) {
    return (typeof csp == 'string') ? (csp + '; ' + frameAncestors(options)) : null;
}

// A Bearer token on an HTTP request; WebSocket upgrades take their token in guardWebSocket.
function httpBearerOf(req) { return (req.ws == null) ? bearerToken(req.headers) : null; }

// What follows a refused cookie session: WebSockets and /logout go on to their hooks (which close or clear), a request carrying
// ?token= goes on to the URL login, anything else is refused.
function afterSessionRefusal(req, domain) {
    if ((req.ws != null) || isLogout(req, domain)) return 'hand-to-hook';
    if ((req.query != null) && (req.query.token != null)) return 'url-login';
    return 'refuse';
}

// A URL login may not replace the session of another user in this browser.
function isSessionSwitch(cookieUserid, userid) { return (cookieUserid != null) && (cookieUserid !== userid); }

// Agent downloads and mesh settings naming a JWT tenant group need rights on it (the group id is the agents' enrolment secret).
function hasRightsOnTenantGroups(query, domain, meshes, user) {
    if (domain == null) return true; // No MeshCentral domain: MeshCentral answers 404 itself
    for (const value of meshIdsInQuery(query)) {
        const meshid = (value.indexOf('/') >= 0) ? value : ('mesh/' + domain.id + '/' + value);
        const mesh = meshes[meshid];
        if ((mesh == null) || (mesh.jwttenant == null)) continue;
        if ((user == null) || (mesh.links[user._id] == null) || !(mesh.links[user._id].rights > 0)) { return false; }
    }
    return true;
}

// The token a WebSocket logs in with: null (none), or { token, isUrlToken } from "Authorization: Bearer" or a one-time ?jwt=; both,
// or ?jwt= twice, is duplicate-token.
function socketToken(req) {
    const bearer = bearerToken(req.headers);
    const query = tokenParameter(req.query, 'jwt');
    if ((bearer != null) && (query != null)) { throw refusal('duplicate-token'); }
    if (bearer != null) return { token: bearer, isUrlToken: false };
    if (query != null) return { token: query, isUrlToken: true };
    return null;
}

// A Bearer socket lives no longer than its token.
function isBearerSocketExpired(exp, options, nowMs) { return (exp + options.clockTolerance) * 1000 <= nowMs; }

// One user re-read per sweep: sessions share their user's; a Bearer socket is keyed by its user and token exp.
function sweepKey(s) { return (s.sid != null) ? s.userid : ('bearer\u0000' + s.userid + '\u0000' + s.exp); }

// A decoded login cookie that must have a live session: a JWT user's, encrypted with MeshCentral's login cookie key or server key.
function isJwtLoginCookie(value, key, loginCookieKey, serverKey) {
    if ((value == null) || (typeof value != 'object') || !isJwtUserId(value.userid)) return false;
    return (key === loginCookieKey) || (key === serverKey);
}

// Password logins: only the local accounts named in settings.jwtAuthLocalAccounts.
function isLocalAccount(name, options) { return (typeof name == 'string') && (options.localAccounts.indexOf(name.toLowerCase()) >= 0); }

module.exports.checks = {
    REASONS: REASONS, HTTP_STATUS: HTTP_STATUS, JwtRefusal: JwtRefusal, readOptions: readOptions, readPgOptions: readPgOptions, checkNoOtherWayIn: checkNoOtherWayIn,
    checkShape: checkShape, checkCritical: checkCritical, checkAlgorithm: checkAlgorithm, verifySignature: verifySignature, checkTimes: checkTimes, readClaims: readClaims,
    checkUrlToken: checkUrlToken, createReplayStore: createReplayStore, pickUserRow: pickUserRow, roleOf: roleOf, siteRightsFor: siteRightsFor,
    isLocked: isLocked, userIdFor: userIdFor, randomMeshId: randomMeshId, tokenParameter: tokenParameter, bearerToken: bearerToken,
    checkRequestTarget: checkRequestTarget, redirectTarget: redirectTarget, checkOrigin: checkOrigin, checkWebSocketOrigin: checkWebSocketOrigin,
    frameAncestors: frameAncestors, createRefusalLog: createRefusalLog, createSessionTable: createSessionTable, sessionVerdict: sessionVerdict,
    authCookieVerdict: authCookieVerdict, checkStateChange: checkStateChange, cookieAttributes: cookieAttributes,
    wantsPartitioned: wantsPartitioned, isLogout: isLogout, isSqlError: isSqlError, databaseErrorReason: databaseErrorReason,
    createUserCache: createUserCache, tokenClaims: tokenClaims, userProfile: userProfile, foreignTenantLinks: foreignTenantLinks,
    isLoginTimeStale: isLoginTimeStale, findTenantMeshId: findTenantMeshId, userVerdict: userVerdict, endsSession: endsSession,
    countsAsBadLogin: countsAsBadLogin, refusalLines: refusalLines, refusalResponse: refusalResponse, isJwtUserId: isJwtUserId,
    sessionIdOf: sessionIdOf, sessionFields: sessionFields, sessionCookieOptions: sessionCookieOptions, withFrameAncestors: withFrameAncestors,
    httpBearerOf: httpBearerOf, afterSessionRefusal: afterSessionRefusal, isSessionSwitch: isSessionSwitch,
    hasRightsOnTenantGroups: hasRightsOnTenantGroups, socketToken: socketToken, isBearerSocketExpired: isBearerSocketExpired,
    sweepKey: sweepKey, isJwtLoginCookie: isJwtLoginCookie, isLocalAccount: isLocalAccount
};

module.exports.CreateJwtAuth = function (parent) {
    const obj = {};
    const jwt = require('jsonwebtoken');
    const options = readOptions(parent.config.settings, process.env);
    checkNoOtherWayIn(parent.args, parent.config.domains[options.domainId], options.domainId);
    // MeshCentral's page refuses to run in a frame unless settings.allowFraming, and X-Frame-Options cannot name origins:
    // with dashboard origins, framing is allowed to exactly those, through CSP frame-ancestors (every answer carries it).
    if ((options.origins.length > 0) && (parent.config.settings.allowframing == null)) { parent.config.settings.allowframing = true; }
    const pool = new (require('pg').Pool)(options.pg);
    const cache = createUserCache(options.cacheSeconds);
    const tenantGroups = new Map(); // tenant id -> meshid, rebuilt from the stored groups (mesh.jwttenant) after a restart
    const replay = createReplayStore(MAX_REMEMBERED_JTIS);
    const sockets = new Set();    // open WebSockets of JWT users, each with ws.jwtSession
    const sessions = createSessionTable(MAX_SESSIONS);
    const refusalLog = createRefusalLog(options.logPerMinute, function (line) { console.log(line); });
    obj.failures = {};
    for (var i in REASONS) { obj.failures[REASONS[i]] = 0; }
    obj.options = { algorithm: options.algorithm, issuer: options.issuer, audience: options.audience, maxLifetime: options.maxLifetime, urlMaxLifetime: options.urlMaxLifetime, clockTolerance: options.clockTolerance, cacheSeconds: options.cacheSeconds, rootTenant: options.rootTenant, domainId: options.domainId, origins: options.origins, sessionMaxAge: options.sessionMaxAge, sessionIdleTimeout: options.sessionIdleTimeout, partitionedCookies: options.partitionedCookies };

    // An idle pooled connection dies when PostgreSQL stops: without this handler pg would crash the server.
    pool.on('error', function (/** @type {Error & { code?: string }} */ err) { console.log('JWT Auth: PostgreSQL connection lost (reason=db-down, ' + err.code + ').'); });

    // The start-up check; when it fails it is retried every 5 s, so "PostgreSQL connected" shows when the database comes up.
    var retryTimer = null;
    function checkDatabase(first) {
        return pool.query('SELECT 1 FROM users LIMIT 1').then(function () {
            console.log('JWT Auth: PostgreSQL connected (' + options.pg.host + ':' + options.pg.port + '/' + options.pg.database + (options.pg.ssl ? ', TLS' : '') + ').');
            return true;
        }, function (err) {
            if (first && isSqlError(err)) {
                console.log('JWT Auth: PostgreSQL answered but the users table is not usable (reason=db-error, ' + err.code + ': ' + err.message + '); JWT logins are refused until it is.');
            } else if (first) {
                console.log('JWT Auth: PostgreSQL unreachable at start-up (reason=db-down, ' + (err.code || err.message) + '); JWT logins are refused until it answers.');
            }
            retryTimer = setTimeout(function () { checkDatabase(false); }, 5000);
            if (retryTimer.unref) { retryTimer.unref(); }
            return false;
        });
    }
    obj.ready = checkDatabase(true);

    // Checks signature and claims for one entry point; returns the claims or throws a JwtRefusal.
    obj.verifyToken = function (token, isUrlToken) { return tokenClaims(jwt, token, isUrlToken, options, replay, Date.now()); };

    // One parameterised query by tenant and sub (the dashboard's unique (tenant_id, user_id)); positive answers cached.
    async function findUser(tenant, sub, email) {
        var row = cache.get(tenant, sub, Date.now());
        if (row == null) {
            var result;
            try {
                result = await pool.query('SELECT user_id, email, name, role, tenant_id, deleted_at FROM users WHERE tenant_id = $1 AND user_id = $2', [tenant, sub]);
            } catch (err) {
                throw new JwtRefusal(databaseErrorReason(err), err.code || err.message);
            }
            cache.forget(tenant, sub);
            row = pickUserRow(result.rows, { tenant: tenant, email: null });
            cache.put(tenant, sub, row, Date.now());
        }
        return pickUserRow([row], { tenant: tenant, email: email });
    }

    // The tenant's device group: found through the stored mapping (mesh.jwttenant), created with a random id on first use.
    function tenantMesh(domain, tenant) {
        const web = parent.webserver;
        var meshid = findTenantMeshId(web.meshes, tenant, domain.id, tenantGroups.get(tenant));
        if (meshid != null) { tenantGroups.set(tenant, meshid); return web.meshes[meshid]; }
        meshid = randomMeshId(domain.id);
        const mesh = { type: 'mesh', _id: meshid, name: 'Tenant ' + tenant, mtype: 2, desc: 'Devices of tenant ' + tenant + ' (JWT single sign-on)', domain: domain.id, links: {}, creation: Date.now(), creatorid: 'jwt-auth', creatorname: 'JWT single sign-on', jwttenant: tenant };
        web.meshes[meshid] = mesh;
        tenantGroups.set(tenant, meshid);
        parent.db.Set(mesh);
        const event = { etype: 'mesh', meshid: meshid, name: mesh.name, mtype: mesh.mtype, desc: mesh.desc, action: 'createmesh', links: mesh.links, msgid: 76, msgArgs: [mesh.name], msg: 'Device group created: ' + mesh.name, domain: domain.id, creation: mesh.creation, creatorid: mesh.creatorid, creatorname: mesh.creatorname };
        if (parent.db.changeStream) { event.noact = 1; }
        parent.DispatchEvent(['*', meshid], obj, event);
        return mesh;
    }

    // Creates or updates the MeshCentral user for a database row, the way MeshCentral's own external-auth code does.
    function mapUser(domain, row, claims) {
        const web = parent.webserver;
        const userid = userIdFor(domain.id, claims.tenant, claims.sub);
        var user = web.users[userid], created = false, changed = false;
        if (isLocked(user)) { throw refusal('locked-user'); } // Locked in MeshCentral: refused, and the lock bit is never overwritten
        const profile = userProfile(row, claims.tenant, options);
        const siteadmin = profile.siteadmin, meshRights = profile.meshRights, email = profile.email, name = profile.name;
        const mesh = tenantMesh(domain, claims.tenant);
        const now = Math.floor(Date.now() / 1000);
        if (user == null) {
            user = { type: 'user', _id: userid, name: name, email: email, emailVerified: true, creation: now, login: now, access: now, domain: domain.id, siteadmin: siteadmin, links: {}, jwttenant: claims.tenant };
            web.users[userid] = user;
            created = true;
        }
        if (user.name != name) { user.name = name; changed = true; }
        if (user.email != email) { user.email = email; user.emailVerified = true; changed = true; }
        if (user.siteadmin !== siteadmin) { user.siteadmin = siteadmin; changed = true; }
        if (user.links == null) { user.links = {}; }
        for (const meshid of foreignTenantLinks(user.links, mesh._id, web.meshes)) { delete user.links[meshid]; delete web.meshes[meshid].links[userid]; parent.db.Set(web.meshes[meshid]); changed = true; }
        if ((user.links[mesh._id] == null) || (user.links[mesh._id].rights !== meshRights)) { user.links[mesh._id] = { rights: meshRights }; changed = true; }
        if ((mesh.links[userid] == null) || (mesh.links[userid].rights !== meshRights) || (mesh.links[userid].name !== name)) {
            mesh.links[userid] = { userid: userid, name: name, rights: meshRights };
            parent.db.Set(mesh);
            const meshEvent = { etype: 'mesh', meshid: mesh._id, name: mesh.name, mtype: mesh.mtype, desc: mesh.desc, action: 'meshchange', links: mesh.links, msg: 'Added user ' + name + ' to device group ' + mesh.name, domain: domain.id };
            if (parent.db.changeStream) { meshEvent.noact = 1; }
            parent.DispatchEvent(['*', mesh._id, userid], obj, meshEvent);
        }
        const stale = isLoginTimeStale(user.access, now);
        if (stale) { user.login = user.access = now; }
        if (created || changed || stale) { parent.db.SetUser(user); }
        if (created || changed) {
            const event = { etype: 'user', userid: userid, username: user.name, account: web.CloneSafeUser(user), action: created ? 'accountcreate' : 'accountchange', msg: (created ? 'Account created, username is ' : 'Account changed: ') + user.name, domain: domain.id };
            if (parent.db.changeStream) { event.noact = 1; }
            parent.DispatchEvent(['*', 'server-users', userid], obj, event);
        }
        return user;
    }

    // Logs (rate-limited) and counts a refusal; failures that are the client's count in MeshCentral's bad-login throttle.
    function refuse(reason, entry, req) {
        const lines = refusalLines(reason, entry, (req && req.clientIp) || 'unknown');
        obj.failures[reason] = (obj.failures[reason] || 0) + 1;
        if (refusalLog.log(reason, lines.console)) { parent.authLog('jwt', lines.authLog); }
        if (countsAsBadLogin(reason) && (req != null) && (req.clientIp != null) && (parent.webserver != null)) { parent.webserver.setbadLogin(req.clientIp); }
        return { reason: reason };
    }

    function reasonOf(err) {
        if (err instanceof JwtRefusal) return err.reason;
        console.log('JWT Auth: unexpected error (reason=internal-error): ' + String((err && err.name) || 'Error').substring(0, 40));
        return 'internal-error';
    }

    // Verifies a token and maps its user. Resolves { user, claims, row } or { reason }; never rejects, never logs the token.
    obj.login = async function (token, domain, req, entry, isUrlToken) {
        try {
            if ((parent.webserver != null) && (parent.webserver.checkAllowLogin(req.clientIp) == false)) { throw refusal('throttled'); }
            const claims = obj.verifyToken(token, isUrlToken);
            if ((domain == null) || (domain.id !== options.domainId)) { throw refusal('wrong-domain'); }
            const row = await findUser(claims.tenant, claims.sub, claims.email);
            const user = mapUser(domain, row, claims);
            parent.authLog('jwt', 'Accepted JWT for ' + user._id + ' (tenant ' + claims.tenant + ') from ' + req.clientIp + ' via ' + entry);
            return { user: user, claims: claims, row: row };
        } catch (err) {
            return refuse(reasonOf(err), entry, req);
        }
    };

    // The user behind a session, re-read through the cache: same role, not locked in MeshCentral (deleted or moved users are refused by findUser).
    async function checkUser(session) {
        const row = await findUser(session.tenant, session.sub, null);
        const reason = userVerdict(row, session, parent.webserver.users[session.userid]);
        if (reason != null) { throw refusal(reason); }
    }

    // THE check: does this session id belong to a live session of this user? Every cookie request, every WebSocket of a JWT user, the
    // sweep and (through the session table it keeps) every login cookie go through it. Resolves the session or rejects with the refusal;
    // a refusal about the session or the user ends the session for good, a database outage only refuses this request.
    async function checkSession(sid, userid) {
        const session = sessions.get(sid);
        const verdict = sessionVerdict(session, userid, Date.now(), options);
        if (verdict != null) { if (session != null) { sessions.end(session, verdict, Date.now()); } throw refusal(verdict); }
        try {
            await checkUser(session);
        } catch (err) {
            const reason = reasonOf(err);
            if (endsSession(reason)) { sessions.end(session, reason, Date.now()); }
            throw refusal(reason);
        }
        return session;
    }

    function sendRefusal(res, reason, bearer) {
        const answer = refusalResponse(reason, bearer);
        res.set(answer.headers);
        res.status(answer.status).send(answer.body);
    }

    // A request authenticated by a Bearer token only: a session object that cookie-session never saves (no Set-Cookie).
    function statelessSession(req, userid, setSessionRandom) {
        Object.defineProperty(req, 'session', { configurable: true, enumerable: true, writable: true, value: { userid: userid, ip: req.clientIp } });
        setSessionRandom(req);
    }

    // Ends a cookie session in this browser: the cookie is replaced by an anonymous one.
    function endSession(req) { req.session = { ended: 1 }; }

    // Cookie attributes of this response (Secure behind TLS offload, CHIPS for a cross-site frame) and its lifetime: the session's maximum age.
    function setCookieOptions(req, session) {
        if (req.sessionOptions == null) return;
        Object.assign(req.sessionOptions, sessionCookieOptions(req.secure === true, session, Date.now(), options.sessionMaxAge));
    }

    // Logout from the dashboard (the frame opens /logout): the session ends for every copy of its cookie, its WebSockets close now.
    function logout(session, req) {
        sessions.end(session, 'logged-out', Date.now());
        console.log('JWT Auth: session ended, reason=logged-out, ip=' + ((req && req.clientIp) || 'unknown'));
        sockets.forEach(function (ws) { if (ws.jwtSession.sid === session.sid) { closeSocket(ws); } });
    }

    // The security-headers middleware hook: every HTTP request and WebSocket upgrade but the agents' own (see the hook patch), with
    // framing, anti-CSRF, Bearer, the session check for cookie sessions of JWT users, and rights for agent downloads.
    obj.handleRequest = function (req, res, next, domain, setSessionRandom) {
        const bearer = httpBearerOf(req);
        const entry = (bearer != null) ? 'http-bearer' : 'cookie';
        const finish = function () {
            const web = parent.webserver;
            const user = (req.session && req.session.userid) ? web.users[req.session.userid] : null;
            if (!options.publicAgentDownloads && !hasRightsOnTenantGroups(req.query, domain, web.meshes, user)) { sendRefusal(res, refuse('no-rights', 'agent-download', req).reason, false); return; }
            next();
        };
        const fail = function (err) { try { sendRefusal(res, refuse(reasonOf(err), entry, req).reason, bearer != null); } catch (ex) { } };
        try {
            const csp = withFrameAncestors(res.get('Content-Security-Policy'), options);
            if (csp != null) { res.set('Content-Security-Policy', csp); }
            try { checkStateChange(req, options); } catch (err) { sendRefusal(res, refuse(reasonOf(err), 'state-change', req).reason, false); return; }
            setCookieOptions(req, null);
            if (bearer != null) {
                checkRequestTarget(req);
                obj.login(bearer, domain, req, 'http-bearer', false).then(function (result) {
                    if (result.user == null) { sendRefusal(res, result.reason, true); return; }
                    statelessSession(req, result.user._id, setSessionRandom);
                    finish();
                }).catch(fail);
                return;
            }
            const session = req.session;
            if ((session == null) || !isJwtUserId(session.userid)) { finish(); return; }
            checkSession(sessionIdOf(req.session, session.userid), session.userid).then(function (live) {
                live.lastActive = Date.now();
                if (isLogout(req, domain)) { setCookieOptions(req, live); logout(live, req); next(); return; }
                setCookieOptions(req, live);
                finish();
            }, function (err) {
                const reason = refuse(reasonOf(err), 'cookie', req).reason;
                endSession(req);
                // A WebSocket: PerformWSSessionAuth's hook closes it with the noauth-jwt message. A fresh ?token= login may follow in this
                // request, and /logout of an ended session just clears the cookie.
                const then = afterSessionRefusal(req, domain);
                if (then == 'hand-to-hook') { req.jwtRefused = reason; next(); return; }
                if (then == 'url-login') { finish(); return; }
                sendRefusal(res, reason, false);
            }).catch(fail);
        } catch (err) { fail(err); }
    };

    // "GET /?token=JWT" in handleRootRequest: a one-time URL token opens a session (see sessionVerdict for how long it lives), then a
    // redirect without the token.
    obj.handleUrlLogin = function (req, res, domain, setSessionRandom) {
        const fail = function (err) { try { sendRefusal(res, refuse(reasonOf(err), 'http-query', req).reason, false); } catch (ex) { } };
        try {
            checkRequestTarget(req);
            const token = tokenParameter(req.query, 'token');
            checkOrigin(req, options);
            obj.login(token, domain, req, 'http-query', true).then(function (result) {
                if (result.user == null) { sendRefusal(res, result.reason, false); return; } // Session left untouched
                if (isSessionSwitch(req.session.userid, result.user._id)) { sendRefusal(res, refuse('session-switch', 'http-query', req).reason, false); return; }
                const session = sessions.open(sessionFields(result, req.clientIp, wantsPartitioned(req, options.partitionedCookies)), Date.now());
                for (var i in req.session) { delete req.session[i]; } // A new session, nothing carried over from before the token
                req.session.userid = result.user._id;
                req.session.ip = req.clientIp; // Bind this session to the IP address of the request
                req.session.jwt = { i: session.sid };
                setSessionRandom(req);
                setCookieOptions(req, session);
                res.set({ 'Cache-Control': 'no-store' });
                res.redirect(redirectTarget(req));
            }).catch(fail);
        } catch (err) { fail(err); }
    };

    function closeSocket(ws) {
        sockets.delete(ws);
        try { ws.send(JSON.stringify({ action: 'close', cause: 'noauth', msg: 'noauth-jwt' })); ws.close(); } catch (e) { }
    }

    // jwtSession: { sid } for a socket of a session (a cookie, or a ?jwt= login, which opens one), { exp } for a Bearer socket,
    // which lives no longer than its token. Messages from the browser count as activity of the session.
    function track(ws, jwtSession) {
        ws.jwtSession = jwtSession;
        sockets.add(ws);
        ws.on('close', function () { sockets.delete(ws); });
        if (jwtSession.sid != null) { ws.on('message', function () { const s = sessions.get(jwtSession.sid); if (s != null) { s.lastActive = Date.now(); } }); }
    }

    // PerformWSSessionAuth hook: a token on the socket (Bearer or ?jwt=) logs in; a JWT user authenticated otherwise needs a live
    // JWT session. Returns the function MeshCentral should go on with, or null when this hook took the socket over.
    obj.guardWebSocket = function (ws, req, domain, func) {
        try {
            if (req.jwtRefused != null) { closeSocket(ws); return null; } // The middleware refused its session cookie (and logged why)
            const login = socketToken(req);
            if (login != null) {
                if (login.isUrlToken) { checkWebSocketOrigin(req, options); }
                obj.login(login.token, domain, req, 'websocket', login.isUrlToken).then(function (result) {
                    const user = (result.user != null) ? parent.webserver.users[result.user._id] : null;
                    if (user == null) { closeSocket(ws); return; }
                    if (!login.isUrlToken) { track(ws, { userid: user._id, tenant: result.claims.tenant, sub: result.claims.sub, role: roleOf(result.row), exp: result.claims.exp }); }
                    else { track(ws, { userid: user._id, sid: sessions.open(sessionFields(result, req.clientIp, false), Date.now()).sid }); }
                    func(ws, req, domain, user);
                }).catch(function (err) { refuse(reasonOf(err), 'websocket', req); closeSocket(ws); });
                return null;
            }
        } catch (err) { refuse(reasonOf(err), 'websocket', req); closeSocket(ws); return null; }
        return function (ws2, req2, domain2, user) {
            const args = arguments, self = this;
            if ((user == null) || !isJwtUserId(user._id)) { return func.apply(self, args); }
            const sid = sessionIdOf(req.session, user._id);
            Promise.resolve().then(function () { checkWebSocketOrigin(req, options); return checkSession(sid, user._id); }).then(function (live) {
                live.lastActive = Date.now();
                track(ws, { userid: user._id, sid: live.sid });
                func.apply(self, args);
            }).catch(function (err) { refuse(reasonOf(err), 'websocket', req); closeSocket(ws); });
        };
    };

    // A Bearer socket: its token's exp, and its user (same role, not locked) through the cache.
    async function checkBearerSocket(s) {
        if (isBearerSocketExpired(s.exp, options, Date.now())) { throw refusal('session-expired'); }
        await checkUser(s);
    }

    // Every 2 s: sessions past their idle time or maximum age end; each user with a live session is re-read (through the cache, so a
    // deleted, demoted, locked or moved user's sessions end within jwtAuthCacheSeconds + 2 s); WebSockets of ended sessions close.
    function sweep() {
        refusalLog.tick();
        const now = Date.now();
        sessions.prune(now, options.sessionMaxAge);
        const users = new Map(); // userid -> Promise of a reason or null, one re-read per user per sweep
        const userVerdictOf = function (s) {
            const key = sweepKey(s);
            if (!users.has(key)) { users.set(key, ((s.sid != null) ? checkUser(s) : checkBearerSocket(s)).then(function () { return null; }, reasonOf)); }
            return users.get(key);
        };
        sessions.all().forEach(function (session) {
            const verdict = sessionVerdict(session, session.userid, now, options);
            if (verdict != null) { sessions.end(session, verdict, now); return; }
            userVerdictOf(session).then(function (reason) { if ((reason != null) && endsSession(reason)) { sessions.end(session, reason, Date.now()); } });
        });
        sockets.forEach(function (ws) {
            const s = ws.jwtSession;
            const session = (s.sid != null) ? sessions.get(s.sid) : null;
            const verdict = (s.sid != null) ? sessionVerdict(session, s.userid, now, options) : null;
            const pending = (verdict != null) ? Promise.resolve(verdict) : userVerdictOf((session != null) ? session : s);
            pending.then(function (reason) {
                if (reason == null) return;
                refuse(reason, 'websocket', null);
                closeSocket(ws);
            }).catch(function () { closeSocket(ws); });
        });
    }
    const sweeper = setInterval(function () { try { sweep(); } catch (ex) { } }, SWEEP_MILLISECONDS);
    if (sweeper.unref) { sweeper.unref(); }

    // Login cookies (the page's authCookie in "auth" form fields and ?auth=, ?login=, ?ws= ...) all go through parent.decodeCookie:
    // one naming a JWT user decodes only while a session of that user, made before the cookie, is live (authCookieVerdict).
    function hookLoginCookies() {
        const decodeCookie = parent.decodeCookie;
        parent.decodeCookie = function (cookie, key, timeout) {
            const value = decodeCookie.apply(this, arguments);
            try {
                if (!isJwtLoginCookie(value, key, parent.loginCookieEncryptionKey, parent.serverKey)) return value;
                const reason = authCookieVerdict(value, sessions.all(), Date.now(), options);
                if (reason == null) return value;
                refuse(reason, 'auth-cookie', null);
                return null;
            } catch (ex) { return null; }
        };
    }

    // handleCreateAccountRequest hook: with JWT single sign-on, accounts come from the dashboard only.
    obj.refuseCreateAccount = function (req, res) {
        try { sendRefusal(res, refuse('local-accounts-off', 'createaccount', req).reason, false); } catch (ex) { }
        return true;
    };

    // After CreateWebServer: every password check (login form, WebSocket user/pass, Basic auth, login tokens) goes
    // through web.authenticate; only the local accounts named in settings.jwtAuthLocalAccounts get through.
    obj.hookWebServer = function (web) {
        hookLoginCookies();
        const authenticate = web.authenticate;
        web.authenticate = function (name, pass, domain, fn) {
            if (isLocalAccount(name, options)) { return authenticate.apply(this, arguments); }
            refuse('local-login', 'password', null);
            fn(new Error('Password login is off: this server uses JWT single sign-on.'));
        };
    };

    obj.close = function () { clearInterval(sweeper); clearTimeout(retryTimer); return pool.end(); };

    return obj;
};
