'use strict';
/*
 * The server's identity without a disk, for the meshfork image: MeshCentral's certificates and keys
 * (meshcentral-data/*-cert-public.crt and *-cert-private.key: root, web, agent, MPS, code signing)
 * kept in MeshCentral's own PostgreSQL database, sealed with AES-256-GCM under a key derived from
 * MESHCENTRAL_IDENTITY_KEY. Agents pin the agent-server certificate's hash (the .msh ServerID), so a
 * redeploy on a fresh container must bring back the same files, not make new ones.
 *
 * restore() runs before MeshCentral starts and writes the kept files into the data folder;
 * keep() runs once MeshCentral serves and stores the files it made on the first start. One row holds
 * all files, so two containers starting at once cannot keep a mix: the second one's INSERT does
 * nothing and it is told the identity it made is not the kept one.
 */
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

const TABLE = 'meshfork_identity';
const FILE_NAME = /^[a-z0-9-]+-cert-(public\.crt|private\.key)$/;
const FORMAT = 1;
const AAD = Buffer.from('meshfork identity v1');

/** A kept identity that cannot be used (wrong key, damaged row); `.variable` names what to check. */
class IdentityError extends Error {
  constructor(message) {
    super(message);
    this.name = 'IdentityError';
    this.variable = 'MESHCENTRAL_IDENTITY_KEY';
  }
}

function sealingKey(secret) {
  return Buffer.from(crypto.hkdfSync('sha256', Buffer.from(secret, 'utf8'), Buffer.from(TABLE), AAD, 32));
}

/** { name: text } -> format byte, 12-byte IV, 16-byte tag, ciphertext of the JSON. */
function seal(files, secret) {
  const iv = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv('aes-256-gcm', sealingKey(secret), iv);
  cipher.setAAD(AAD);
  const body = Buffer.concat([cipher.update(JSON.stringify(files), 'utf8'), cipher.final()]);
  return Buffer.concat([Buffer.from([FORMAT]), iv, cipher.getAuthTag(), body]);
}

function unseal(sealed, secret) {
  if (sealed.length < 29 || sealed[0] !== FORMAT)
    throw new IdentityError(`the identity kept in table ${TABLE} is not in a format this image reads`);
  const decipher = crypto.createDecipheriv('aes-256-gcm', sealingKey(secret), sealed.subarray(1, 13));
  decipher.setAAD(AAD);
  decipher.setAuthTag(sealed.subarray(13, 29));
  let text;
  try {
    text = Buffer.concat([decipher.update(sealed.subarray(29)), decipher.final()]).toString('utf8');
  } catch (_) {
    throw new IdentityError(
      `the identity kept in table ${TABLE} does not open with this MESHCENTRAL_IDENTITY_KEY (set the key the first deployment used)`,
    );
  }
  return JSON.parse(text);
}

/** The certificate and key files in the data folder, each checked to parse (a half-written file is not kept). */
function identityFiles(dataDir) {
  const files = {};
  for (const name of fs
    .readdirSync(dataDir)
    .filter((n) => FILE_NAME.test(n))
    .sort()) {
    const content = fs.readFileSync(path.join(dataDir, name), 'utf8');
    if (name.endsWith('.crt')) new crypto.X509Certificate(content);
    else crypto.createPrivateKey(content);
    files[name] = content;
  }
  return files;
}

/** The sha256 of each certificate (DER), by file name: what the log shows so operators can compare deployments. */
function fingerprints(files) {
  return Object.keys(files)
    .filter((name) => name.endsWith('.crt'))
    .map((name) => `${name.replace(/-cert-public\.crt$/, '')} ${new crypto.X509Certificate(files[name]).fingerprint256}`);
}

/**
 * A pg Client on MeshCentral's database (settings.postgres of config.json). The database is created
 * when missing, as MeshCentral itself would on its first start (it then adds its tables to it).
 */
async function connect(pg, settings) {
  const client = new pg.Client(settings);
  try {
    await client.connect();
    return client;
  } catch (error) {
    await client.end().catch(() => undefined);
    if (error.code !== '3D000') throw error; // 3D000: invalid_catalog_name, the database does not exist
  }
  const admin = new pg.Client({ ...settings, database: 'postgres' });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${settings.database.replace(/"/g, '""')}"`).catch((error) => {
      if (error.code !== '42P04') throw error; // 42P04: another container created it meanwhile
    });
  } finally {
    await admin.end().catch(() => undefined);
  }
  const client2 = new pg.Client(settings);
  await client2.connect();
  return client2;
}

async function withTable(pg, settings, work) {
  const client = await connect(pg, settings);
  try {
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${TABLE} (id smallint PRIMARY KEY CHECK (id = 1), sealed bytea NOT NULL, files text[] NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`,
    );
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Writes the kept identity into dataDir (replacing files of the same names); the names written, or null when none is kept yet. */
async function restore({ pg, settings, secret, dataDir }) {
  return withTable(pg, settings, async (client) => {
    const row = (await client.query(`SELECT sealed FROM ${TABLE} WHERE id = 1`)).rows[0];
    if (!row) return null;
    const files = unseal(row.sealed, secret);
    fs.mkdirSync(dataDir, { recursive: true });
    for (const [name, content] of Object.entries(files)) {
      if (!FILE_NAME.test(name))
        throw new IdentityError(`the identity kept in table ${TABLE} names a file that is not a certificate: ${JSON.stringify(name)}`);
      const file = path.join(dataDir, name);
      fs.writeFileSync(`${file}.tmp`, content, { mode: 0o600 });
      fs.renameSync(`${file}.tmp`, file);
    }
    return { names: Object.keys(files).sort(), fingerprints: fingerprints(files) };
  });
}

/** Keeps the identity MeshCentral made in dataDir; `kept: false` when another one was kept first. */
async function keep({ pg, settings, secret, dataDir }) {
  const files = identityFiles(dataDir);
  if (!files['root-cert-public.crt'] || !files['agentserver-cert-public.crt'])
    throw new Error(`MeshCentral made no root and agent-server certificates in ${dataDir}`);
  return withTable(pg, settings, async (client) => {
    const inserted = await client.query(`INSERT INTO ${TABLE} (id, sealed, files) VALUES (1, $1, $2) ON CONFLICT (id) DO NOTHING`, [
      seal(files, secret),
      Object.keys(files),
    ]);
    if (inserted.rowCount === 1) return { kept: true, names: Object.keys(files), fingerprints: fingerprints(files) };
    const row = (await client.query(`SELECT sealed FROM ${TABLE} WHERE id = 1`)).rows[0];
    const other = unseal(row.sealed, secret);
    const same = Object.keys(files).every((name) => other[name] === files[name]);
    return { kept: same, names: Object.keys(files), fingerprints: fingerprints(files) };
  });
}

module.exports = { restore, keep, seal, unseal, identityFiles, fingerprints, IdentityError, TABLE };
