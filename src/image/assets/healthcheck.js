'use strict';
/*
 * The image's HEALTHCHECK: MeshCentral's own answer on /health.ashx ("ok"), on the port and
 * protocol the entrypoint rendered into config.json (http when TLS is offloaded to a proxy).
 */
const fs = require('fs');
const path = require('path');

const APP_DIR = process.env.MESHFORK_APP_DIR || '/opt/meshcentral/app';

function fail(message) {
  console.error(`unhealthy: ${message}`);
  process.exit(1);
}

let settings;
try {
  settings = JSON.parse(fs.readFileSync(path.join(APP_DIR, '..', 'meshcentral-data', 'config.json'), 'utf8')).settings;
} catch (error) {
  fail(`no rendered config.json yet (${error.message})`);
}
const client = settings.tlsOffload ? require('http') : require('https');
const request = client.get(
  { host: '127.0.0.1', port: settings.port, path: '/health.ashx', rejectUnauthorized: false, timeout: 4000 },
  (res) => {
    let body = '';
    res.on('data', (d) => (body += d));
    res.on('end', () =>
      res.statusCode === 200 && body === 'ok' ? process.exit(0) : fail(`HTTP ${res.statusCode} ${JSON.stringify(body.slice(0, 80))}`),
    );
  },
);
request.on('timeout', () => request.destroy(new Error('timed out')));
request.on('error', (error) => fail(error.message));
