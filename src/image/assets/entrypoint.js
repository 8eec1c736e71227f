'use strict';
/*
 * The meshfork image's entrypoint (PID 1): renders MeshCentral's config.json from the environment
 * with render-config.js and JSON.stringify, then runs MeshCentral and stops it cleanly on SIGTERM.
 *
 * A missing or invalid variable stops here, before MeshCentral starts: exit 78 (EX_CONFIG) with the
 * variable named on stderr. MeshCentral only stops cleanly on SIGINT (its Ctrl-C handler) and runs as
 * a watchdog parent plus a server child, so SIGTERM and SIGINT are sent as SIGINT to its whole process
 * group, as a terminal's Ctrl-C would be.
 */
const { spawn } = require('child_process');
const fs = require('fs');
const path = require('path');
const { renderConfig } = require('./render-config.js');

const APP_DIR = process.env.MESHFORK_APP_DIR || '/opt/meshcentral/app';
const DATA_DIR = path.join(APP_DIR, '..', 'meshcentral-data');
const EX_CONFIG = 78;

function writeConfig(config) {
  const file = path.join(DATA_DIR, 'config.json');
  const temporary = `${file}.${process.pid}.tmp`;
  // Mode 0600: with MESHCENTRAL_DATABASE=postgres the file holds the database password.
  fs.writeFileSync(temporary, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  fs.renameSync(temporary, file);
}

function main() {
  let config;
  try {
    config = renderConfig(process.env);
  } catch (error) {
    if (!error || typeof error.variable !== 'string') throw error;
    console.error(`meshfork: cannot start MeshCentral: ${error.message}`);
    console.error('meshfork: set the variable (see the image\'s environment table in the meshfork README) and start the container again');
    process.exitCode = EX_CONFIG;
    return;
  }
  fs.mkdirSync(DATA_DIR, { recursive: true });
  writeConfig(config);

  const child = spawn(process.execPath, [path.join(APP_DIR, 'meshcentral.js')], { cwd: APP_DIR, stdio: 'inherit', detached: true });
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
  child.on('exit', (code, signal) => {
    // A server child left behind by the watchdog would keep the group alive: end it too.
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch (_) {
      // nothing left
    }
    if (signal) console.log(`meshfork: MeshCentral ended by ${signal}`);
    process.exit(code === null ? 128 + 15 : stopping && code === 0 ? 0 : code);
  });
}

main();
