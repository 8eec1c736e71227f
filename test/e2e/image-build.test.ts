/*
 * `meshfork build` end to end on real parts: real Docker (the dockerd .ci/run starts), a base image
 * made locally by debootstrap (Docker Hub is not reachable), meshcentral@1.1.55 plus the JWT series
 * (frozen in test/fixtures/jwt-series-1.1.55), a real PostgreSQL on the host, the container on the host
 * network reached on 127.0.0.1 only, and a real docker-registry on 127.0.0.1 for the push. Nothing is
 * mocked.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BuildResult } from '../../src/commands/build';
import { ensureBuilt, runCli, type CliResult } from '../support/cli';
import { docker, dockerOk, ensureBaseImage, inspectImage, scanImage, startRegistry, type LocalRegistry } from '../support/docker';
import { controlSession, httpsGet, loggedInCookie } from '../support/meshClient';
import { AGENT_SIGN_KEY, JWT_SECRET, seedTenants, TENANT_A, tokenFor, USERS } from '../support/jwtTenants';
import { freePort, startPostgres, type PostgresServer } from '../support/postgres';
import { copyJwtSeriesProject } from '../support/jwtSeriesFixture';
import { REPO_ROOT } from '../support/release';
import { makeCaCertificate } from '../support/privateCa';

jest.setTimeout(600_000);

const SOURCE_DATE_EPOCH = '1767225600'; // 2026-01-01T00:00:00Z
const MESHFORK_CACHE = path.join(REPO_ROOT, '.cache', 'meshfork');
/** Every character that breaks a config templated with sed or a shell: " \ / $ ' and more. */
const DB_PASSWORD = `p"w\\d/$HOME'$(id)\`x\`{}%&=;#`;
const DB_USER = 'mesh_app';
const ISSUER = 'https://dashboard.e2e.invalid';
const AUDIENCE = 'meshcentral-e2e';

/**
 * A dashboard token for the image's issuer and audience. `sub`, a one-time `jti` and a short life
 * are what the hardened series (issue 9) also asks of URL tokens; today's series ignores them.
 */
function token(user: (typeof USERS)[keyof typeof USERS], options: { expiresIn?: number } = {}): string {
  return tokenFor(user, { sub: user.id, iss: ISSUER, aud: AUDIENCE, jti: randomBytes(12).toString('hex') }, { expiresIn: 60, ...options });
}

let tmp: string;
let project: string;
let base: string;
let caFile: string;
let proxyCaLines: string[];
let first: BuildResult;
let pg: PostgresServer;
const containers: string[] = [];

function meshfork(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return runCli(args, { cwd: project, env: { MESHFORK_CACHE, SOURCE_DATE_EPOCH, ...env }, timeoutMs: 900_000 });
}

async function buildJson(args: string[]): Promise<BuildResult> {
  const result = await meshfork(['--json', 'build', '--base-image', base, '--network', 'host', '--ca-file', caFile, ...args]);
  if (result.exitCode !== 0) throw new Error(`meshfork build exited ${result.exitCode}:\n${result.stdout}\n${result.stderr}`);
  return JSON.parse(result.stdout) as BuildResult;
}

/**
 * The series hash computed here independently: sha256 of `sha256sum` lines of the files folder's files
 * (named files/<path>, sorted) and then of the listed patches.
 */
function expectedSeriesHash(project: string): string {
  const patchesDir = path.join(project, 'patches');
  const names = readFileSync(path.join(patchesDir, 'series'), 'utf8')
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter(Boolean);
  const sum = (file: string) =>
    createHash('sha256')
      .update(readFileSync(path.join(project, file)))
      .digest('hex');
  const files = readdirSync(path.join(project, 'files'))
    .sort()
    .map((f) => `${sum(path.join('files', f))}  files/${f}\n`);
  const listing = [...files, ...names.map((n) => `${sum(path.join('patches', n))}  ${n}\n`)].join('');
  return createHash('sha256').update(listing).digest('hex');
}

/** The host CA bundle plus a certificate made for this run: the build needs the first, the scan looks for both. */
function makeCaFile(dir: string): string {
  makeCaCertificate(dir, 'meshfork test CA');
  const hostBundle = readFileSync(process.env.NODE_EXTRA_CA_CERTS || '/etc/ssl/certs/ca-certificates.crt', 'utf8');
  const file = path.join(dir, 'ca-bundle.pem');
  writeFileSync(file, `${hostBundle.trimEnd()}\n${readFileSync(path.join(dir, 'ca.pem'), 'utf8')}`);
  return file;
}

/** A 64-character line from the middle of each certificate of `bundle` that `known` lacks. */
function certificateLines(bundle: string, known: string): string[] {
  const certs = bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  return certs
    .filter((c) => !known.includes(c.split('\n')[5] ?? c))
    .map((c) => c.split('\n').filter((l) => l.length === 64))
    .map((lines) => lines[Math.floor(lines.length / 2)]);
}

interface Container {
  name: string;
  port: number;
  logs(): Promise<string>;
}

function containerEnv(port: number, overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string | undefined> = {
    MESHCENTRAL_URL: `https://localhost:${port}`,
    MESHCENTRAL_PORT: String(port),
    MESHCENTRAL_AGENT_PORT: '0',
    MESHCENTRAL_TITLE: 'meshfork image e2e',
    MESHCENTRAL_DATABASE: 'postgres',
    MESHCENTRAL_POSTGRES_DB: 'meshcentral_e2e',
    // No traffic off the machine: no agent code-signing timestamps, no agent self-updates.
    MESHCENTRAL_SETTINGS: JSON.stringify({ agentTimeStampServer: false, noAgentUpdate: true }),
    JWT_SECRET,
    AGENT_SIGN_KEY,
    JWT_ISSUER: ISSUER,
    JWT_AUDIENCE: AUDIENCE,
    POSTGRES_HOST: '127.0.0.1',
    POSTGRES_PORT: String(pg.port),
    POSTGRES_USER: DB_USER,
    POSTGRES_PASSWORD: DB_PASSWORD,
    POSTGRES_DB: 'postgres',
    ...overrides,
  };
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}

/** `docker run` on the host network; values travel in the client's environment (`-e NAME`), never in argv. */
function runArgs(name: string, env: Record<string, string>, extra: string[] = []): string[] {
  return ['run', '--name', name, '--network', 'host', ...Object.keys(env).flatMap((k) => ['-e', k]), ...extra, first.imageId as string];
}

async function startContainer(): Promise<Container> {
  const port = await freePort();
  const name = `meshfork-e2e-${process.pid}-${randomBytes(3).toString('hex')}`;
  const env = containerEnv(port);
  await dockerOk(runArgs(name, env, ['-d', '--health-interval', '2s']), { env });
  containers.push(name);
  const logs = async () => {
    const run = await docker(['logs', name]);
    return run.stdout + run.stderr;
  };
  const deadline = Date.now() + 180_000;
  for (;;) {
    const output = await logs();
    if (output.includes('MeshCentral HTTPS server running') && /JWT Auth: PostgreSQL (connected|unreachable)/.test(output)) break;
    const state = JSON.parse(await dockerOk(['inspect', '--format', '{{json .State}}', name])) as { Running: boolean; ExitCode: number };
    if (!state.Running || Date.now() > deadline)
      throw new Error(`the container did not start MeshCentral (running ${state.Running}, exit ${state.ExitCode}):\n${output}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  return { name, port, logs };
}

const step = (what: string): void => void process.stderr.write(`[image-e2e ${new Date().toISOString()}] ${what}\n`);

beforeAll(async () => {
  step('start');
  ensureBuilt();
  tmp = mkdtempSync(path.join(os.tmpdir(), 'meshfork-image-e2e-'));
  project = path.join(tmp, 'project');
  copyJwtSeriesProject(project);
  cpSync(path.join(REPO_ROOT, 'meshfork.schema.json'), path.join(project, 'meshfork.schema.json'));
  const config = JSON.parse(readFileSync(path.join(project, 'meshfork.config.json'), 'utf8'));
  config.image = { ...config.image, repository: 'meshfork-e2e/meshcentral', source: 'https://example.invalid/meshfork.git' };
  writeFileSync(path.join(project, 'meshfork.config.json'), `${JSON.stringify(config, null, 2)}\n`);
  const git = (...args: string[]) =>
    execFileSync('git', args, {
      cwd: project,
      env: {
        ...process.env,
        GIT_CONFIG_GLOBAL: '/dev/null',
        GIT_AUTHOR_NAME: 't',
        GIT_AUTHOR_EMAIL: 't@example.invalid',
        GIT_COMMITTER_NAME: 't',
        GIT_COMMITTER_EMAIL: 't@example.invalid',
      },
    })
      .toString()
      .trim();
  git('init', '-q');
  git('add', '-A');
  git('commit', '-qm', 'project');
  caFile = makeCaFile(tmp);
  step(`project ${project}`);
  base = await ensureBaseImage();
  pg = await startPostgres();
  step(`base ${base}, postgres ${pg.port}`);
  const baseBundle = await dockerOk([
    'run',
    '--rm',
    '--network',
    'none',
    '--entrypoint',
    'cat',
    base,
    '/etc/ssl/certs/ca-certificates.crt',
  ]);
  proxyCaLines = certificateLines(readFileSync(caFile, 'utf8'), baseBundle);
  await seedTenants(pg);
  // The application's own role, with a password no sed template survives; MeshCentral creates its database with it.
  await pg.query(`CREATE ROLE ${DB_USER} LOGIN CREATEDB PASSWORD '${DB_PASSWORD.replace(/'/g, "''")}'`);
  await pg.query(`GRANT SELECT ON users TO ${DB_USER}`);
  step('build');
  first = await buildJson(['--tag', 'meshfork-e2e/meshcentral:candidate']);
  step(`built ${first.imageId}`);
}, 1_200_000);

afterAll(async () => {
  for (const name of containers) await docker(['rm', '--force', '--volumes', name]);
  // The images this run tagged (BuildKit's cache keeps the layers for the next run).
  const images = (await docker(['images', '--format', '{{.Repository}} {{.ID}}'])).stdout
    .split('\n')
    .filter((l) => l.split(' ')[0].endsWith('meshfork-e2e/meshcentral'));
  const ids = [...new Set(images.map((l) => l.split(' ')[1]))];
  if (ids.length) await docker(['rmi', '-f', ...ids]);
  await pg?.destroy();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test('the build is labelled with the upstream release, its identity, the series hash and the project commit', async () => {
  const lock = JSON.parse(readFileSync(path.join(project, 'meshfork.lock.json'), 'utf8'));
  const identity = lock.upstreams['npm:meshcentral']['1.1.55'].identity as string;
  const series = expectedSeriesHash(project);
  const revision = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: project }).toString().trim();
  const image = await inspectImage(first.imageId as string);
  expect(image.Config.Labels).toEqual({
    'io.meshfork.series.sha256': series,
    'io.meshfork.upstream.identity': identity,
    'io.meshfork.upstream.version': '1.1.55',
    'org.opencontainers.image.base.name': base,
    'org.opencontainers.image.created': '2026-01-01T00:00:00Z',
    'org.opencontainers.image.licenses': 'Apache-2.0',
    'org.opencontainers.image.revision': revision,
    'org.opencontainers.image.source': 'https://example.invalid/meshfork.git',
    'org.opencontainers.image.title': 'MeshCentral with the meshfork patch series',
    'org.opencontainers.image.version': `1.1.55-${series.slice(0, 12)}`,
  });
  expect(first.labels).toEqual(image.Config.Labels);
  expect(first.tags).toEqual([`meshfork-e2e/meshcentral:1.1.55-${series.slice(0, 12)}`, 'meshfork-e2e/meshcentral:candidate']);
  for (const tag of first.tags) expect((await inspectImage(tag)).Id).toBe(first.imageId);
  // The committed dependency lock matches the patched package.json: the build did not rewrite it.
  expect(first.depsLock.updated).toBe(false);
  expect(image.Config.User).toBe('10001:10001');
  expect(Object.keys(image.Config.Volumes as Record<string, unknown>).sort()).toEqual([
    '/opt/meshcentral/meshcentral-backups',
    '/opt/meshcentral/meshcentral-data',
    '/opt/meshcentral/meshcentral-files',
  ]);
  expect((image.Config.Healthcheck as { Test: string[] }).Test).toEqual(['CMD', 'node', '/opt/meshfork/healthcheck.js']);
});

test('the container logs in with a JWT over HTTP ?token= and WebSocket, as a non-root user, turns healthy, and stops cleanly on SIGTERM', async () => {
  const container = await startContainer();
  // ?token= login through the container's port: a 302 without the token and a logged-in session cookie.
  // On a loaded machine the series' first connection may time out (it then logs "unreachable" and
  // refuses with 401 until PostgreSQL answers, without a restart): retry for a while.
  let login = await httpsGet(container.port, `/?token=${token(USERS.alice)}`);
  for (const deadline = Date.now() + 60_000; login.status === 401 && Date.now() < deadline;) {
    await new Promise((r) => setTimeout(r, 2000));
    login = await httpsGet(container.port, `/?token=${token(USERS.alice)}`);
  }
  expect(login.status).toBe(302);
  expect(login.headers.location).toBe('/');
  const cookie = loggedInCookie(login);
  expect(cookie).not.toBeNull();
  const app = await httpsGet(container.port, '/', { cookie: cookie as string });
  expect(app.status).toBe(200);
  expect(app.body).toContain('id="logoutControl"');
  // WebSocket: with the session cookie, and with a Bearer token of another user.
  const control = await controlSession(container.port, { headers: { cookie: cookie as string } });
  expect(control.error).toBeUndefined();
  expect(control.userinfo?.email).toBe(USERS.alice.email);
  expect(control.meshes?.map((m) => m.name)).toEqual([`Tenant ${TENANT_A}`]);
  const bearer = await controlSession(container.port, { headers: { authorization: `Bearer ${token(USERS.amy)}` } });
  expect(bearer.userinfo?.email).toBe(USERS.amy.email);
  const refused = await controlSession(container.port, { headers: { authorization: `Bearer ${token(USERS.amy, { expiresIn: -120 })}` } });
  expect(refused.closeMessage).toEqual({ cause: 'noauth', msg: 'noauth-jwt' });
  // JWT_AUDIENCE reached the series: a token for another audience is refused.
  const otherAudience = tokenFor(USERS.amy, { iss: ISSUER, aud: 'another-app' });
  expect((await controlSession(container.port, { headers: { authorization: `Bearer ${otherAudience}` } })).closeMessage).toEqual({
    cause: 'noauth',
    msg: 'noauth-jwt',
  });

  // The rendered config holds the password byte for byte (JSON, not sed), and MeshCentral used it for its own database.
  const config = JSON.parse(await dockerOk(['exec', container.name, 'cat', '/opt/meshcentral/meshcentral-data/config.json']));
  expect(config.settings.postgres).toEqual({
    host: '127.0.0.1',
    port: pg.port,
    user: DB_USER,
    password: DB_PASSWORD,
    database: 'meshcentral_e2e',
  });
  expect(config.settings.jwtAuth).toBe(true);
  expect(config.domains['']).toEqual({ title: 'meshfork image e2e', newAccounts: false });
  expect((await pg.query("SELECT datname FROM pg_database WHERE datname = 'meshcentral_e2e'")).rows).toHaveLength(1);
  expect(JSON.stringify(config)).not.toContain(JWT_SECRET);

  // Every process in the container runs as the image's user, never root.
  const status = await dockerOk(['exec', container.name, 'sh', '-c', 'for f in /proc/[0-9]*/status; do grep "^Uid:" "$f"; done']);
  const uids = status
    .trim()
    .split('\n')
    .map((l) => l.split(/\s+/)[1]);
  expect(uids.length).toBeGreaterThanOrEqual(3); // entrypoint, MeshCentral's watchdog and its server (and the shell)
  expect(new Set(uids)).toEqual(new Set(['10001']));

  const deadline = Date.now() + 90_000;
  let health = '';
  while (health !== 'healthy' && Date.now() < deadline) {
    health = (await dockerOk(['inspect', '--format', '{{.State.Health.Status}}', container.name])).trim();
    if (health !== 'healthy') await new Promise((r) => setTimeout(r, 1000));
  }
  expect(health).toBe('healthy');

  // Every module was in the image: MeshCentral installed none at start (it prints "Installing modules" when it does).
  const started = await container.logs();
  expect(started).toContain('MeshCentral v1.1.55');
  expect(started).not.toMatch(/Installing modules|Unable to install required modules/);

  const stopStart = Date.now();
  await dockerOk(['kill', '--signal', 'SIGTERM', container.name]);
  const exitCode = Number((await dockerOk(['wait', container.name])).trim());
  const stopMs = Date.now() - stopStart;
  const stopped = await container.logs();
  expect(exitCode).toBe(0);
  expect(stopped).toContain('meshfork: SIGTERM received, stopping MeshCentral');
  expect(stopped).toContain('Server Ctrl-C exit...');
  expect(stopMs).toBeLessThan(20_000);
});

test('without JWT_SECRET, or with a bad variable, the container exits non-zero naming the variable, before MeshCentral starts', async () => {
  const port = await freePort();
  const cases: [string, Record<string, string | undefined>, RegExp][] = [
    ['JWT_SECRET', { JWT_SECRET: undefined }, /JWT_SECRET: is required but not set/],
    ['JWT_SECRET', { JWT_SECRET: 'short' }, /JWT_SECRET: must be at least 32 bytes/],
    ['POSTGRES_HOST', { POSTGRES_HOST: undefined }, /POSTGRES_HOST: is required \(or DB_HOST\)/],
    ['POSTGRES_PORT', { POSTGRES_PORT: '54x' }, /POSTGRES_PORT: must be a whole number/],
  ];
  for (const [variable, overrides, message] of cases) {
    const env = containerEnv(port, overrides);
    const run = await docker([...runArgs(`meshfork-e2e-bad-${process.pid}-${variable.toLowerCase()}`, env, ['--rm'])], { env });
    expect({ variable, exitCode: run.exitCode }).toEqual({ variable, exitCode: 78 });
    expect(run.stderr).toMatch(message);
    expect(run.stdout + run.stderr).not.toContain('MeshCentral v');
  }
});

test('no layer, no history entry and no config of the image holds a runtime secret or the build CA; no npm, cache or dev files', async () => {
  const needles = [JWT_SECRET, AGENT_SIGN_KEY, DB_PASSWORD, ...proxyCaLines];
  expect(proxyCaLines.length).toBeGreaterThanOrEqual(1); // at least the certificate made for this run
  const control = 'module.exports.CreateJwtAuth'; // jwt-auth.js, from the series layer: proves the scan reads file contents
  const scan = await scanImage(first.imageId as string, [...needles, control]);
  expect(scan.layers).toBeGreaterThanOrEqual(5);
  expect(scan.findings.filter((f) => f.needle === control).map((f) => f.where.split(':').pop())).toContain(
    'opt/meshcentral/app/jwt-auth.js',
  );
  expect(scan.findings.filter((f) => f.needle !== control)).toEqual([]);
  const files = scan.paths.map((p) => p.slice(p.indexOf(':') + 1));
  expect(files.filter((f) => /(^|\/)(npm-cli\.js|_cacache|\.npmrc|package-lock\.json)$|^opt\/npm-dist\/|^deps\//.test(f))).toEqual([]);
  expect(files).toContain('opt/meshcentral/app/node_modules/pg/package.json');
  expect(files).toContain('opt/meshcentral/app/node_modules/jsonwebtoken/package.json');
});

test('--context-only writes a context and build command that build the same image config with docker itself', async () => {
  const dir = path.join(tmp, 'context');
  const result = await meshfork([
    '--json',
    'build',
    '--context-only',
    dir,
    '--base-image',
    base,
    '--network',
    'host',
    '--ca-file',
    caFile,
    '--tag',
    'meshfork-e2e/meshcentral:candidate',
  ]);
  expect(result.exitCode).toBe(0);
  const written = JSON.parse(result.stdout) as BuildResult;
  expect(written.built).toBe(false);
  expect(written.labels).toEqual(first.labels);
  expect(readFileSync(path.join(dir, 'Dockerfile'), 'utf8')).toContain(`FROM ${base} AS deps`);
  // The release's untouched files and the series' files in their own folders (their own layers).
  expect(existsSync(path.join(dir, 'release', 'common.js'))).toBe(true);
  for (const file of ['jwt-auth.js', 'meshcentral.js', 'webserver.js', 'package.json']) {
    expect({ file, release: existsSync(path.join(dir, 'release', file)), series: existsSync(path.join(dir, 'series', file)) }).toEqual({
      file,
      release: false,
      series: true,
    });
  }
  const iid = path.join(tmp, 'context.iid');
  execFileSync(path.join(dir, 'build.sh'), ['--iidfile', iid], { stdio: 'pipe' });
  const other = await inspectImage(readFileSync(iid, 'utf8').trim());
  const original = await inspectImage(first.imageId as string);
  expect(other.Config).toEqual(original.Config);
  expect(other.RootFS.Layers).toEqual(original.RootFS.Layers);
});

describe('with a local registry', () => {
  let registry: LocalRegistry;
  beforeAll(async () => {
    registry = await startRegistry();
  });
  afterAll(async () => {
    await registry?.stop();
  });

  test('--push with no --tag pushes the default tag when image.repository names the registry, and reports the digest; pulling by that digest gives the same image', async () => {
    const config = JSON.parse(readFileSync(path.join(project, 'meshfork.config.json'), 'utf8'));
    const repository = `${registry.address}/meshfork-e2e/meshcentral`;
    writeFileSync(
      path.join(project, 'meshfork.config.json'),
      JSON.stringify({ ...config, image: { ...config.image, repository } }, null, 2),
    );
    try {
      const pushed = await buildJson(['--tag', `${repository}:latest`]);
      expect(pushed.pushed).toEqual([]); // no --push: nothing pushed
      const again = await buildJson(['--push']);
      expect(again.imageId).toBe(first.imageId); // only the repository changed: the same image
      expect(again.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(again.pushed).toEqual([{ tag: `${repository}:1.1.55-${first.series.sha256.slice(0, 12)}`, digest: again.digest }]);
      const tags = (await (await fetch(`http://${registry.address}/v2/meshfork-e2e/meshcentral/tags/list`)).json()) as { tags: string[] };
      expect(tags.tags.sort()).toEqual([`1.1.55-${first.series.sha256.slice(0, 12)}`]);
      // The registry's manifest under that digest names this image's config.
      const manifest = (await (
        await fetch(`http://${registry.address}/v2/meshfork-e2e/meshcentral/manifests/${again.digest}`, {
          headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json' },
        })
      ).json()) as { config: { digest: string } };
      expect(manifest.config.digest).toBe(first.imageId);
      for (const tag of [...again.pushed.map((p) => p.tag), `${repository}:latest`]) await dockerOk(['rmi', tag]);
      await dockerOk(['pull', `${repository}@${again.digest}`]);
      expect((await inspectImage(`${repository}@${again.digest}`)).Id).toBe(first.imageId);
    } finally {
      writeFileSync(path.join(project, 'meshfork.config.json'), JSON.stringify(config, null, 2));
    }
  });
});

test('after the module (files/jwt-auth.js) changes, the rebuild reuses the dependency and release layers and carries the new series hash', async () => {
  const moduleFile = path.join(project, 'files', 'jwt-auth.js');
  const text = readFileSync(moduleFile, 'latin1');
  const changed = text.replace(
    '// Reads the JWT_SECRET / POSTGRES_* environment',
    '// Reads JWT_SECRET and POSTGRES_* from the environment',
  );
  expect(changed).not.toBe(text);
  writeFileSync(moduleFile, changed, 'latin1');
  const second = await buildJson([]);
  const before = await inspectImage(first.imageId as string);
  const after = await inspectImage(second.imageId as string);
  const baseLayers = (await inspectImage(base)).RootFS.Layers.length;
  // Layers: base, user, dependencies, release, series files, meshfork assets, workdir.
  expect(after.RootFS.Layers).toHaveLength(baseLayers + 6);
  expect(after.RootFS.Layers.slice(0, baseLayers + 3)).toEqual(before.RootFS.Layers.slice(0, baseLayers + 3));
  expect(after.RootFS.Layers[baseLayers + 3]).not.toBe(before.RootFS.Layers[baseLayers + 3]);
  expect(second.series.sha256).toBe(expectedSeriesHash(project));
  expect(second.series.sha256).not.toBe(first.series.sha256);
  expect(after.Config.Labels['io.meshfork.series.sha256']).toBe(second.series.sha256);
  expect(second.tags[0]).toBe(`meshfork-e2e/meshcentral:1.1.55-${second.series.sha256.slice(0, 12)}`);
  expect(second.steps?.cached).toBeGreaterThanOrEqual(6);
});

test('bad input and a missing or unreachable docker: the documented exit codes, named causes, and nothing written', async () => {
  const lockFile = path.join(project, 'image', 'package-lock.json');
  const lock = readFileSync(lockFile);
  // A lock made for other dependencies: --frozen-lock refuses, and leaves the file as it was.
  const stale = JSON.parse(lock.toString('utf8'));
  stale.packages[''].dependencies.pg = '8.0.0';
  writeFileSync(lockFile, JSON.stringify(stale));
  const frozen = await meshfork(['build', '--frozen-lock', '--base-image', base, '--context-only', path.join(tmp, 'frozen')]);
  expect({ exitCode: frozen.exitCode, stderr: frozen.stderr }).toEqual({
    exitCode: 2,
    stderr: expect.stringContaining('error[LOCK_MISMATCH]'),
  });
  expect(frozen.stderr).toContain(lockFile);
  expect(JSON.parse(readFileSync(lockFile, 'utf8')).packages[''].dependencies.pg).toBe('8.0.0');
  expect(existsSync(path.join(tmp, 'frozen'))).toBe(false);
  writeFileSync(lockFile, lock);

  const noCa = await meshfork(['build', '--ca-file', path.join(tmp, 'absent.pem'), '--base-image', base]);
  expect(noCa.exitCode).toBe(2);
  expect(noCa.stderr).toMatch(/error\[USAGE\]: --ca-file: .*absent\.pem does not exist/);

  const noDocker = await meshfork(['build', '--base-image', base, '--ca-file', caFile], {
    MESHFORK_DOCKER: path.join(tmp, 'no-such-docker'),
  });
  expect(noDocker.exitCode).toBe(4);
  expect(noDocker.stderr).toContain('error[TOOL_MISSING]: docker is not installed');
  expect(noDocker.stderr).toContain('hint: install Docker');

  const noDaemon = await meshfork(['build', '--base-image', base, '--ca-file', caFile], {
    DOCKER_HOST: `unix://${path.join(tmp, 'no-dockerd.sock')}`,
  });
  expect(noDaemon.exitCode).toBe(4);
  expect(noDaemon.stderr).toContain('error[TOOL_FAILED]: docker build failed');
  expect(noDaemon.stderr).toContain('hint: start the Docker daemon');
});
