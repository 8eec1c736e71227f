'use strict';
/*
 * The meshfork image's entrypoint (PID 1): renders MeshCentral's config.json from the environment
 * with render-config.js and JSON.stringify, brings back the server identity kept in PostgreSQL
 * (identity.js, with MESHCENTRAL_IDENTITY_KEY), then runs MeshCentral and stops it cleanly on SIGTERM.
 *
 * Exit statuses (sysexits.h), each with one line on stderr saying why:
 *   78 EX_CONFIG     a missing or invalid variable, before MeshCentral starts (the variable is named)
 *   73 EX_CANTCREAT  a volume the image's user (uid 10001) cannot write
 *   69 EX_UNAVAILABLE the database holding the identity cannot be reached
 *   70 EX_SOFTWARE   MeshCentral stopped by itself: it exits 0 on fatal refusals (a bad setting, a
 *                    module it cannot install, a database error), which a platform would take for a
 *                    clean stop; only a stop the entrypoint asked for (SIGTERM/SIGINT) exits 0
 * MeshCentral only stops cleanly on SIGINT (its Ctrl-C handler) and runs as a watchdog parent plus a
 * server child, so SIGTERM and SIGINT are sent as SIGINT to its whole process group.
 */
const { spawn } = require('child_process');
const fs = require('fs');
const path = require('path');
const { renderConfig, databaseCa } = require('./render-config.js');

const APP_DIR = process.env.MESHFORK_APP_DIR || '/opt/meshcentral/app';
const HOME_DIR = path.join(APP_DIR, '..');
const DATA_DIR = path.join(HOME_DIR, 'meshcentral-data');
const VOLUMES = ['meshcentral-data', 'meshcentral-files', 'meshcentral-backups'].map((name) => path.join(HOME_DIR, name));
const EX_UNAVAILABLE = 69;
const EX_SOFTWARE = 70;
const EX_CANTCREAT = 73;
const EX_CONFIG = 78;
const SERVING = /^MeshCentral HTTPS? server running/;

function fail(code, message) {
  console.error(`meshfork: cannot start MeshCentral: ${message}`);
  process.exit(code);
}

function writeAtomically(file, text) {
  const temporary = `${file}.${process.pid}.tmp`;
  // Mode 0600: with MESHCENTRAL_DATABASE=postgres the config holds the database password.
  fs.writeFileSync(temporary, text, { mode: 0o600 });
  fs.renameSync(temporary, file);
}

/** Every volume folder that exists must be writable by this user: one line naming the folder and the fix. */
function checkVolumes() {
  for (const dir of VOLUMES) {
    if (!fs.existsSync(dir)) continue;
    try {
      fs.accessSync(dir, fs.constants.W_OK);
    } catch (_) {
      const stat = fs.statSync(dir);
      const me = typeof process.getuid === 'function' ? process.getuid() : '?';
      fail(
        EX_CANTCREAT,
        `${dir} is owned by uid ${stat.uid} and not writable by uid ${me}; prepare the volume with \`chown -R 10001:10001 DIR\` on the host (a named volume: \`docker run --rm --user 0 --entrypoint chown -v VOLUME:${dir} IMAGE -R 10001:10001 ${dir}\`)`,
      );
    }
  }
}

function render() {
  try {
    const config = renderConfig(process.env);
    return { config, ca: databaseCa(process.env) };
  } catch (error) {
    if (!error || typeof error.variable !== 'string') throw error;
    console.error(`meshfork: cannot start MeshCentral: ${error.message}`);
    console.error("meshfork: set the variable (see the image's environment table in the meshfork README) and start the container again");
    process.exit(EX_CONFIG);
  }
}

/** The identity kept in PostgreSQL, or null without MESHCENTRAL_IDENTITY_KEY; retried while the database is starting. */
async function restoreIdentity(config) {
  const secret = process.env.MESHCENTRAL_IDENTITY_KEY;
  if (!secret) {
    if (config.settings.postgres)
      console.log(
        'meshfork: MESHCENTRAL_IDENTITY_KEY is not set: the server certificates live only in meshcentral-data (a fresh container makes new ones)',
      );
    return null;
  }
  const identity = require('./identity.js');
  const pg = require(path.join(APP_DIR, 'node_modules', 'pg'));
  const options = { pg, settings: config.settings.postgres, secret, dataDir: DATA_DIR };
  for (let attempt = 1; ; attempt++) {
    try {
      const restored = await identity.restore(options);
      if (restored) console.log(`meshfork: server identity restored from PostgreSQL (${restored.fingerprints.join(', ')})`);
      else console.log('meshfork: no server identity kept in PostgreSQL yet: MeshCentral makes one, and it is kept once the server runs');
      return { identity, options, restored: restored !== null };
    } catch (error) {
      if (error instanceof identity.IdentityError) fail(EX_CONFIG, `${error.variable}: ${error.message}`);
      if (attempt >= 15)
        fail(
          EX_UNAVAILABLE,
          `the PostgreSQL database keeping the server identity is unreachable: ${error.code || ''} ${error.message}`.replace(/ +/g, ' '),
        );
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  }
}

async function keepIdentity(kept) {
  try {
    const result = await kept.identity.keep(kept.options);
    if (result.kept) console.log(`meshfork: server identity kept in PostgreSQL (${result.fingerprints.join(', ')})`);
    else console.error('meshfork: another container kept a different server identity first; restart this one to use it');
  } catch (error) {
    console.error(`meshfork: the server identity could not be kept in PostgreSQL (the next start makes a new one): ${error.message}`);
  }
}

/** Copies a child's output through line by line, remembering the last lines and calling onLine with each. */
function relay(stream, target, lastLines, onLine) {
  let rest = '';
  stream.on('data', (chunk) => {
    target.write(chunk);
    const lines = (rest + chunk.toString('utf8')).split('\n');
    rest = lines.pop();
    for (const line of lines) {
      const trimmed = line.replace(/\r$/, '');
      if (trimmed.trim() !== '') lastLines.push(trimmed);
      if (lastLines.length > 8) lastLines.shift();
      onLine(trimmed);
    }
  });
}

async function main() {
  const { config, ca } = render();
  checkVolumes();
  fs.mkdirSync(DATA_DIR, { recursive: true });
  const childEnv = { ...process.env };
  if (ca && ca.source !== 'file') {
    // jwt-auth.js reads POSTGRES_SSL_CA as a file path: a CA given as text is written for it (public data, not a secret).
    const caFile = path.join(DATA_DIR, 'postgres-ca.pem');
    writeAtomically(caFile, ca.pem);
    childEnv.POSTGRES_SSL_CA = caFile;
  }
  writeAtomically(path.join(DATA_DIR, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
  const kept = await restoreIdentity(config);

  const child = spawn(process.execPath, [path.join(APP_DIR, 'meshcentral.js')], {
    cwd: APP_DIR,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const lastLines = [];
  let serving = false;
  const onLine = (line) => {
    if (serving || !SERVING.test(line)) return;
    serving = true;
    if (kept && !kept.restored) keepIdentity(kept);
  };
  relay(child.stdout, process.stdout, lastLines, onLine);
  relay(child.stderr, process.stderr, lastLines, onLine);
  let stopping = false;
  const stop = (signal) => {
    if (stopping) return;
    stopping = true;
    console.log(`meshfork: ${signal} received, stopping MeshCentral`);
    try {
      process.kill(-child.pid, 'SIGINT');
    } catch (_) {
      // already gone
    }
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  const outputEnded = Promise.all([child.stdout, child.stderr].map((stream) => new Promise((resolve) => stream.once('close', resolve))));
  child.on('exit', async (code, signal) => {
    // A server child left behind by the watchdog would keep the group (and the output pipes) alive: end it too.
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch (_) {
      // nothing left
    }
    await Promise.race([outputEnded, new Promise((resolve) => setTimeout(resolve, 2000))]);
    if (stopping) {
      if (signal) console.log(`meshfork: MeshCentral ended by ${signal}`);
      process.exit(code === null ? 128 + 15 : code);
    }
    const how = signal ? `by ${signal}` : `with exit ${code}`;
    // The reason: the last error-like line (MeshCentral follows some with instructions), else the last line.
    const errorLine = lastLines.filter((line) => /error|unable|cannot|refus|invalid/i.test(line)).pop();
    const reason = (errorLine || lastLines[lastLines.length - 1] || 'it printed nothing').trim();
    console.error(`meshfork: MeshCentral stopped by itself ${how}${serving ? '' : ' before it served'}: ${reason}`);
    process.exit(EX_SOFTWARE);
  });
}

main().catch((error) => {
  console.error(`meshfork: the entrypoint failed: ${error && error.stack ? error.stack : error}`);
  process.exit(EX_SOFTWARE);
});
