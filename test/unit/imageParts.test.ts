/* Pure parts of the image build: labels, Dockerfile quoting, the dependency lock check, the series hash. */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildPlan } from '../../src/image/buildPlan';
import { depsManifest, lockMatches } from '../../src/image/depsLock';
import { dockerfileString, renderDockerfile } from '../../src/image/dockerfile';
import { creationDate, imageLabels } from '../../src/image/labels';
import { seriesHash } from '../../src/image/seriesHash';
import { errorOf } from '../support/errors';

test('labels: OCI plus io.meshfork.*, created from SOURCE_DATE_EPOCH, version = upstream + short series hash', () => {
  const created = creationDate({ SOURCE_DATE_EPOCH: '1700000000' });
  expect(created?.toISOString()).toBe('2023-11-14T22:13:20.000Z');
  expect(creationDate({ SOURCE_DATE_EPOCH: 'yesterday' })).toBeUndefined();
  const labels = imageLabels({
    upstreamVersion: '1.1.55',
    upstreamIdentity: 'sha512-abc',
    seriesSha256: 'f'.repeat(64),
    baseImage: 'node:20-bookworm-slim',
    created: created as Date,
    licenses: 'Apache-2.0',
  });
  expect(labels).toEqual({
    'io.meshfork.series.sha256': 'f'.repeat(64),
    'io.meshfork.upstream.identity': 'sha512-abc',
    'io.meshfork.upstream.version': '1.1.55',
    'org.opencontainers.image.base.name': 'node:20-bookworm-slim',
    'org.opencontainers.image.created': '2023-11-14T22:13:20Z',
    'org.opencontainers.image.licenses': 'Apache-2.0',
    'org.opencontainers.image.title': 'MeshCentral with the meshfork patch series',
    'org.opencontainers.image.version': '1.1.55-ffffffffffff',
  });
});

test('Dockerfile strings escape quote, backslash and dollar; line breaks and bad base images are refused', () => {
  expect(dockerfileString('a"b\\c$d', 'x')).toBe('"a\\"b\\\\c\\$d"');
  expect(errorOf(() => dockerfileString('a\nb', 'label x')).code).toBe('USAGE');
  expect(errorOf(() => renderDockerfile('FROM {{BASE_IMAGE}}\n{{LABELS}}\n', { baseImage: 'node:20 AS x', labels: {} })).code).toBe(
    'USAGE',
  );
  const text = renderDockerfile('FROM {{BASE_IMAGE}} AS deps\nFROM {{BASE_IMAGE}}\n{{LABELS}}\n', {
    baseImage: 'localhost/base:1',
    labels: { a: '1', b: 'x"y' },
  });
  expect(text).toBe('FROM localhost/base:1 AS deps\nFROM localhost/base:1\nLABEL \\\n      "a"="1" \\\n      "b"="x\\"y"\n');
});

test('the dependency manifest keeps only what npm ci reads, sorted; the lock matches it exactly or not at all', () => {
  const manifest = depsManifest(
    JSON.stringify({
      name: 'meshcentral',
      version: '1.1.55',
      keywords: ['x'],
      dependencies: { ws: '8.18.3', pg: '8.16.3' },
      devDependencies: { jest: '1' },
    }),
    'package.json',
  );
  expect(manifest).toEqual({ name: 'meshcentral', version: '1.1.55', private: true, dependencies: { pg: '8.16.3', ws: '8.18.3' } });
  const lock = (deps: Record<string, string>, version = '1.1.55') =>
    JSON.stringify({
      name: 'meshcentral',
      version,
      lockfileVersion: 3,
      packages: { '': { name: 'meshcentral', version, dependencies: deps } },
    });
  expect(lockMatches(lock({ ws: '8.18.3', pg: '8.16.3' }), manifest)).toBe(true);
  expect(lockMatches(lock({ ws: '8.18.3', pg: '8.16.2' }), manifest)).toBe(false);
  expect(lockMatches(lock({ ws: '8.18.3' }), manifest)).toBe(false);
  expect(lockMatches(lock({ ws: '8.18.3', pg: '8.16.3' }, '1.1.56'), manifest)).toBe(false);
  expect(lockMatches('not json', manifest)).toBe(false);
  expect(errorOf(() => depsManifest('{"dependencies": {"pg": 8}}', 'package.json')).code).toBe('PATCH_INVALID');
});

test('the series hash is sha256 of the sha256sum listing of the listed patches in order; comments do not count', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'meshfork-serieshash-'));
  try {
    writeFileSync(path.join(dir, 'a.patch'), 'A');
    writeFileSync(path.join(dir, 'b.patch'), 'B');
    const sha = (s: string) => createHash('sha256').update(s).digest('hex');
    const expected = sha(`${sha('A')}  a.patch\n${sha('B')}  b.patch\n`);
    const entries = [
      { name: 'a.patch', line: 2, options: {} },
      { name: 'b.patch', line: 3, options: {} },
    ];
    expect(await seriesHash({ dir, entries, patches: [], warnings: [], unlisted: [] })).toBe(expected);
    expect(await seriesHash({ dir, entries: [...entries].reverse(), patches: [], warnings: [], unlisted: [] })).not.toBe(expected);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the build plan: the CA as the build secret "ca", and build.sh running the same command from its folder', () => {
  const plan = buildPlan({
    docker: '/usr/bin/docker',
    context: '/ctx',
    tags: ['a/b:1', "c/d:it's"],
    caFile: '/etc/ca.pem',
    network: 'host',
  });
  expect(plan.args).toEqual([
    'build',
    '--progress',
    'plain',
    '--secret',
    'id=ca,src=/etc/ca.pem',
    '--network',
    'host',
    '--tag',
    'a/b:1',
    '--tag',
    "c/d:it's",
    '/ctx',
  ]);
  expect(plan.script).toContain(
    `DOCKER_BUILDKIT=1 exec /usr/bin/docker build --progress plain --secret id=ca,src=/etc/ca.pem --network host --tag a/b:1 --tag 'c/d:it'\\''s' . "$@"`,
  );
});
