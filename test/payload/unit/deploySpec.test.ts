/*
 * deploy/digitalocean-app.yaml against the image and the release: every env name in the spec is one
 * the image reads (render-config.js VARIABLES), the spec's values render into a config the entrypoint
 * accepts (the platform's ${db.*} bindings stood in for by values of their kind), and the image block
 * is exactly what the release steps write after the push (deploy-image.js, called by release-steps.sh).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { REPO_ROOT } from '../../support/release';
import { makeCaCertificate } from '../../support/privateCa';

/* eslint-disable @typescript-eslint/no-require-imports -- plain CommonJS scripts (the image's and the deploy workflow's), loaded as they run */
const { renderConfig, VARIABLES } = require('../../../image/assets/render-config.js') as {
  renderConfig(env: Record<string, string>): { settings: Record<string, unknown> };
  VARIABLES: string[];
};
const { withImage, imageFields } = require('../../../.github/scripts/deploy-image.js') as {
  withImage(spec: string, reference: string): string;
  imageFields(reference: string): Record<string, string>;
};
/* eslint-enable @typescript-eslint/no-require-imports */

interface SpecEnv {
  key: string;
  value: string;
  type?: string;
}
interface Spec {
  services: { image: Record<string, string>; http_port: number; envs: SpecEnv[] }[];
}

const SPEC_FILE = path.join(REPO_ROOT, 'deploy', 'digitalocean-app.yaml');
const specText = readFileSync(SPEC_FILE, 'utf8');
const spec = parseYaml(specText) as Spec;
const service = spec.services[0];
const DIGEST = `sha256:${'ab12'.repeat(16)}`;

let caPem: string;
beforeAll(() => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'meshfork-spec-'));
  caPem = makeCaCertificate(dir, 'provider CA').caPem;
  rmSync(dir, { recursive: true, force: true });
});

/** The environment App Platform gives the container: bindings and console secrets by values of their kind. */
function platformEnv(): Record<string, string> {
  const bindings: Record<string, string> = {
    '${db.HOSTNAME}': 'db-postgresql-fra1-1234.b.db.ondigitalocean.com',
    '${db.PORT}': '25060',
    '${db.USERNAME}': 'doadmin',
    '${db.PASSWORD}': 'database-password',
    '${db.DATABASE}': 'defaultdb',
    '${db.CA_CERT}': caPem,
  };
  let n = 0;
  return Object.fromEntries(
    service.envs.map((e) => [
      e.key,
      e.type === 'SECRET' && !e.value.startsWith('${') ? `console-secret-${++n}-${'s'.repeat(32)}` : (bindings[e.value] ?? e.value),
    ]),
  );
}

test('every env name of the spec is one the image reads, and none is listed twice', () => {
  const keys = service.envs.map((e) => e.key);
  expect(keys.filter((k) => !VARIABLES.includes(k))).toEqual([]);
  expect(new Set(keys).size).toBe(keys.length);
});

test('the spec carries what the deployment needs: dashboard origins, database TLS with the provider CA, URL, the identity key, secrets as secrets', () => {
  const byKey = Object.fromEntries(service.envs.map((e) => [e.key, e]));
  expect(byKey.JWT_ORIGINS.value).toMatch(/^https:\/\//);
  expect(byKey.POSTGRES_SSL.value).toBe('true');
  expect(byKey.POSTGRES_SSL_CA.value).toBe('${db.CA_CERT}');
  expect(byKey.MESHCENTRAL_DATABASE.value).toBe('postgres');
  expect(byKey.MESHCENTRAL_URL.value).toMatch(/^https:\/\//);
  for (const secret of ['JWT_SECRET', 'AGENT_SIGN_KEY', 'MESHCENTRAL_IDENTITY_KEY', 'POSTGRES_PASSWORD'])
    expect({ secret, type: byKey[secret].type }).toEqual({ secret, type: 'SECRET' });
});

test('the spec environment renders: TLS offload on the http_port, the dashboard may frame MeshCentral, MeshCentral verifies the database against the provider CA', () => {
  const config = renderConfig(platformEnv());
  expect(config.settings.port).toBe(service.http_port);
  expect(config.settings.tlsOffload).toBe(true);
  expect(config.settings.jwtAuthOrigins).toEqual(['https://dashboard.example.com']);
  expect(config.settings.postgres).toMatchObject({
    host: 'db-postgresql-fra1-1234.b.db.ondigitalocean.com',
    port: 25060,
    ssl: { rejectUnauthorized: true, ca: caPem },
  });
});

test('the image block is what the release writes: GHCR, the owner, the repository, the digest of the push', () => {
  // release.yml pushes to ghcr.io/OWNER/meshcentral; release-steps.sh hands "$repository@$digest" to deploy-image.js.
  const workflow = readFileSync(path.join(REPO_ROOT, '.github', 'workflows', 'release.yml'), 'utf8');
  expect(workflow).toContain('IMAGE: ghcr.io/${{ github.repository_owner }}/meshcentral');
  expect(readFileSync(path.join(REPO_ROOT, '.github', 'scripts', 'release-steps.sh'), 'utf8')).toContain(
    'node "$scripts/deploy-image.js" "$DEPLOY_SPEC" "$repository@$digest"',
  );
  expect(Object.keys(service.image).sort()).toEqual(['digest', 'registry', 'registry_type', 'repository']);
  expect(service.image.registry_type).toBe('GHCR');
  expect(service.image.repository).toBe('meshcentral');

  const written = withImage(specText, `ghcr.io/acme/meshcentral@${DIGEST}`);
  expect((parseYaml(written) as Spec).services[0].image).toEqual({
    registry_type: 'GHCR',
    registry: 'acme',
    repository: 'meshcentral',
    digest: DIGEST,
  });
  // Only the image lines changed: comments and every other line are as committed.
  const changed = written.split('\n').filter((line, i) => line !== specText.split('\n')[i]);
  expect(changed).toEqual(['      registry: acme', `      digest: ${DIGEST}`]);
});

test('a reference App Platform cannot pull, or without a digest, is refused', () => {
  expect(() => imageFields(`127.0.0.1:5000/acme/meshcentral@${DIGEST}`)).toThrow(
    'App Platform pulls only from ghcr.io, registry.digitalocean.com, docker.io',
  );
  expect(() => imageFields('ghcr.io/acme/meshcentral:latest')).toThrow('expected HOST/OWNER/NAME@sha256:<64 hex>');
  expect(imageFields(`registry.digitalocean.com/acme/meshcentral@${DIGEST}`).registry_type).toBe('DOCR');
});
