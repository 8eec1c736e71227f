'use strict';
/*
 * deploy-image.js SPEC REFERENCE: writes an image reference (HOST/OWNER/NAME@sha256:...) into the
 * `image:` block of a DigitalOcean App Platform spec (deploy/digitalocean-app.yaml), as
 * release-steps.sh does after the push. App Platform pulls from GHCR, DOCR or Docker Hub only, by
 * `registry_type`, `registry` (the owner), `repository` and `digest`. Only those lines change
 * (comments and the rest stay as written); the result is parsed back and compared before it is written.
 */
const fs = require('fs');

const REGISTRY_TYPES = { 'ghcr.io': 'GHCR', 'registry.digitalocean.com': 'DOCR', 'docker.io': 'DOCKER_HUB' };

/** HOST/OWNER/NAME@sha256:HEX -> the spec's image fields; throws on a reference App Platform cannot pull. */
function imageFields(reference) {
  const match = /^([^/]+)\/([^/]+)\/([^/@:]+)@(sha256:[0-9a-f]{64})$/.exec(reference);
  if (!match) throw new Error(`${reference}: expected HOST/OWNER/NAME@sha256:<64 hex>`);
  const [, host, owner, repository, digest] = match;
  const type = REGISTRY_TYPES[host];
  if (!type) throw new Error(`${reference}: App Platform pulls only from ${Object.keys(REGISTRY_TYPES).join(', ')}`);
  return { registry_type: type, registry: owner, repository, digest };
}

/** The spec text with the image block's four fields set (each must be there once, under `image:`). */
function withImage(spec, reference) {
  const fields = imageFields(reference);
  const lines = spec.split('\n');
  const start = lines.findIndex((line) => /^\s+image:\s*$/.test(line));
  if (start === -1) throw new Error('the spec has no `image:` block');
  const indent = /^(\s*)/.exec(lines[start + 1])[1];
  const done = new Set();
  for (let i = start + 1; i < lines.length && lines[i].startsWith(indent) && lines[i].length > indent.length && lines[i][indent.length] !== ' '; i++) {
    const key = /^\s*([a-z_]+):/.exec(lines[i]);
    if (key && key[1] in fields) {
      lines[i] = `${indent}${key[1]}: ${fields[key[1]]}`;
      done.add(key[1]);
    }
  }
  const missing = Object.keys(fields).filter((key) => !done.has(key));
  if (missing.length) throw new Error(`the spec's image block lacks ${missing.join(', ')}`);
  return lines.join('\n');
}

function main([specFile, reference]) {
  const text = withImage(fs.readFileSync(specFile, 'utf8'), reference);
  const image = require('yaml').parse(text).services[0].image;
  const expected = imageFields(reference);
  for (const key of Object.keys(expected)) {
    if (String(image[key]) !== expected[key]) throw new Error(`written spec reads back ${key}: ${image[key]}, not ${expected[key]}`);
  }
  fs.writeFileSync(`${specFile}.tmp`, text);
  fs.renameSync(`${specFile}.tmp`, specFile);
  console.log(`${specFile}: image ${reference}`);
}

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (error) {
    console.error(`deploy-image: ${error.message}`);
    process.exit(1);
  }
}

module.exports = { imageFields, withImage };
