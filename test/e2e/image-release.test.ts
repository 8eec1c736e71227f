/*
 * The release as a release engineer runs it, on real parts: `meshfork build --push` against a real
 * docker-registry on 127.0.0.1, and .github/scripts/release-steps.sh (what release.yml runs) end to
 * end: build, the image smoke (image-smoke.sh: a real PostgreSQL, MeshCentral, one JWT login over
 * curl) on the image just built, push by digest, `latest` moved last, release.json. Nothing mocked.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BuildResult } from '../../src/commands/build';
import { ensureBuilt, MESHFORK_BIN } from '../support/cli';
import { docker, DOCKER, ensureBaseImage, startRegistry, type LocalRegistry } from '../support/docker';
import { buildCaFile, copyProject, MESHFORK_CACHE, meshforkIn } from '../support/imageProject';
import { freePort, startPostgres, type PostgresServer } from '../support/postgres';
import { REPO_ROOT } from '../support/release';

jest.setTimeout(900_000);

const REPOSITORY_NAME = 'meshfork-release-e2e/meshcentral';
let tmp: string;
let project: string;
let sourceDateEpoch: string;
let base: string;
let registry: LocalRegistry;
let pg: PostgresServer;

const buildArgs = (): string[] => ['--base-image', base, '--network', 'host', '--ca-file', buildCaFile()];

async function tags(repository: string): Promise<string[]> {
  const answer = await fetch(`http://${registry.address}/v2/${repository}/tags/list`);
  if (answer.status === 404) return [];
  return (((await answer.json()) as { tags: string[] | null }).tags ?? []).sort();
}

/** The manifest digest the registry serves for a tag (what a pull by that tag resolves to). */
async function manifestDigest(repository: string, tag: string): Promise<string | null> {
  const answer = await fetch(`http://${registry.address}/v2/${repository}/manifests/${tag}`, {
    method: 'HEAD',
    headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json' },
  });
  return answer.status === 200 ? answer.headers.get('docker-content-digest') : null;
}

interface ScriptRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

function releaseSteps(repository: string, version: string, env: Record<string, string>): Promise<ScriptRun> {
  return new Promise((resolve) => {
    const child = spawn('bash', [path.join(REPO_ROOT, '.github', 'scripts', 'release-steps.sh'), repository, version], {
      cwd: project,
      env: {
        PATH: process.env.PATH as string,
        HOME: process.env.HOME as string,
        MESHFORK: `${process.execPath} ${MESHFORK_BIN}`,
        MESHFORK_CACHE,
        MESHFORK_BUILD_ARGS: buildArgs().join(' '),
        DOCKER,
        ...env,
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const step = (what: string): void => void process.stderr.write(`[image-release ${new Date().toISOString()}] ${what}\n`);

beforeAll(async () => {
  ensureBuilt();
  tmp = mkdtempSync(path.join(os.tmpdir(), 'meshfork-image-release-'));
  project = path.join(tmp, 'project');
  mkdirSync(project);
  ({ sourceDateEpoch } = copyProject(project, REPOSITORY_NAME));
  base = await ensureBaseImage();
  registry = await startRegistry();
  pg = await startPostgres();
  step(`base ${base}, registry ${registry.address}, postgres ${pg.port}`);
}, 1_200_000);

afterAll(async () => {
  const images = (await docker(['images', '--format', '{{.Repository}} {{.ID}}'])).stdout
    .split('\n')
    .filter((l) => l.split(' ')[0].endsWith(REPOSITORY_NAME));
  const ids = [...new Set(images.map((l) => l.split(' ')[1]))];
  if (ids.length) await docker(['rmi', '-f', ...ids]);
  await registry?.stop();
  await pg?.destroy();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test('--push with no --tag, while image.repository names no registry: exit 2 before anything is built, nothing pushed', async () => {
  const result = await meshforkIn(project, ['build', '--push', ...buildArgs()]);
  expect(result.exitCode).toBe(2);
  expect(result.stderr).toBe(
    `error[USAGE]: --push without --tag would push ${REPOSITORY_NAME}, which names no registry (Docker Hub is never pushed to implicitly)\n` +
      'hint: name the image: meshfork build --push --tag ghcr.io/OWNER/meshcentral:1.1.55-jwt.1 (or set image.repository to registry/name)\n',
  );
});

test('build --push --tag <local registry>/... pushes that tag there and nothing else (no Docker Hub push of the default tag)', async () => {
  const repository = `${registry.address}/pushed/meshcentral`;
  step('build --push');
  const result = await meshforkIn(project, ['build', '--frozen-lock', '--push', '--tag', `${repository}:1.1.55-jwt.1`, ...buildArgs()], {
    SOURCE_DATE_EPOCH: sourceDateEpoch,
  });
  expect(result.exitCode).toBe(0);
  // docker's own output streams on stderr: exactly one push, to the local registry.
  expect(result.stderr.match(/^The push refers to repository \[.*\]$/gm)).toEqual([`The push refers to repository [${repository}]`]);
  expect(result.stdout).toMatch(new RegExp(`^  ${repository.replace(/[.]/g, '\\.')}:1\\.1\\.55-jwt\\.1  pushed sha256:[0-9a-f]{64}$`, 'm'));
  // The default tag is built (tagged locally) but not pushed: its line carries no digest.
  expect(result.stdout).toMatch(new RegExp(`^  ${REPOSITORY_NAME}:1\\.1\\.55-[0-9a-f]{12}$`, 'm'));
  expect(await tags('pushed/meshcentral')).toEqual(['1.1.55-jwt.1']);
  const catalog = (await (await fetch(`http://${registry.address}/v2/_catalog`)).json()) as { repositories: string[] };
  expect(catalog.repositories).toEqual(['pushed/meshcentral']);
});

test("a base image whose registry is unreachable: exit 4, docker's output once, and a hint that is the command to run by hand", async () => {
  const port = await freePort(); // nothing listens there
  const unreachable = `127.0.0.1:${port}/library/node:20-bookworm-slim`;
  const args = ['build', '--base-image', unreachable, '--network', 'host', '--ca-file', buildCaFile()];
  const text = await meshforkIn(project, args);
  expect(text.exitCode).toBe(4);
  expect(text.stderr).toContain('error[TOOL_FAILED]: docker build failed (exit 1): its output is above\n');
  // docker's own lines came once (streamed), not again inside the error message.
  const refused = text.stderr.split('\n').filter((line) => line.includes(`dial tcp 127.0.0.1:${port}: connect: connection refused`));
  const streamed = text.stderr
    .slice(0, text.stderr.indexOf('error[TOOL_FAILED]'))
    .split('\n')
    .filter((line) => line.includes(`dial tcp 127.0.0.1:${port}: connect: connection refused`));
  expect(refused.length).toBeGreaterThanOrEqual(1);
  expect(refused).toEqual(streamed);
  const hint = /^hint: run `(.*)` by hand to see the whole error$/m.exec(text.stderr)?.[1] as string;
  expect(hint).toMatch(/^DOCKER_BUILDKIT=1 \S+docker build --progress plain /);
  expect(hint).not.toContain('...');
  expect(hint).not.toContain('--iidfile');
  // The hint runs as it is, and fails the same way.
  const again = spawnSync('sh', ['-c', hint], { encoding: 'utf8' });
  expect(again.status).toBe(1);
  expect(again.stderr).toContain(`dial tcp 127.0.0.1:${port}: connect: connection refused`);
  // Without streaming (--json) the message carries docker's last lines itself.
  const json = await meshforkIn(project, ['--json', ...args]);
  expect(json.exitCode).toBe(4);
  expect(JSON.parse(json.stdout).error.message).toContain(`dial tcp 127.0.0.1:${port}: connect: connection refused`);
});

describe('.github/scripts/release-steps.sh against the local registry', () => {
  let smokePort: number;
  const smokeEnv = (): Record<string, string> => ({ ...pg.env, SMOKE_PORT: String(smokePort) });
  beforeAll(async () => {
    smokePort = await freePort();
  });

  test('a smoke run that fails pushes nothing: the step fails and the registry has no tag of the release', async () => {
    const out = path.join(tmp, 'failed');
    mkdirSync(out);
    step('release steps, failing smoke');
    // The smoke's database refuses the password: the script stops at step 2, before any push.
    const run = await releaseSteps(`${registry.address}/failed/meshcentral`, '1.1.55-jwt.1', {
      ...smokeEnv(),
      POSTGRES_PASSWORD: 'not-the-password',
      OUT: out,
    });
    expect(run.code).not.toBe(0);
    expect(run.stdout).toContain('release: 2/5 smoke run of sha256:');
    expect(run.stdout).not.toContain('release: 3/5');
    expect(run.stderr).toContain('password authentication failed for user "postgres"');
    expect(await tags('failed/meshcentral')).toEqual([]);
  });

  test('build, image smoke on the built image, push by digest, latest moved last to the same digest, release.json with the reference', async () => {
    const out = path.join(tmp, 'release');
    mkdirSync(out);
    const repository = `${registry.address}/acme/meshcentral`;
    step('release steps');
    const started = Date.now();
    const run = await releaseSteps(repository, '1.1.55-jwt.1', { ...smokeEnv(), OUT: out });
    step(`release steps took ${Math.round((Date.now() - started) / 1000)} s`);
    if (run.code !== 0) throw new Error(`release-steps.sh exited ${run.code}:\n${run.stdout}\n${run.stderr}`);
    const steps = run.stdout.split('\n').filter((line) => /^release: \d\/5 /.test(line) || line.startsWith('image smoke: '));
    const built = JSON.parse(readFileSync(path.join(out, 'build.json'), 'utf8')) as BuildResult;
    const pushed = JSON.parse(readFileSync(path.join(out, 'push.json'), 'utf8')) as BuildResult;
    const release = JSON.parse(readFileSync(path.join(out, 'release.json'), 'utf8'));
    const digest = pushed.digest as string;
    expect(steps).toEqual([
      `release: 1/5 build ${repository}:1.1.55-jwt.1`,
      `release: 2/5 smoke run of ${built.imageId}`,
      `image smoke: ${built.imageId} took a JWT login (HTTP 302 with a session)`,
      `release: 3/5 push ${repository}:1.1.55-jwt.1`,
      `release: 4/5 move ${repository}:latest to ${digest}`,
      `release: 5/5 image reference ${repository}@${digest}`,
    ]);
    // The first build pushed nothing; the push step pushed exactly the release tag, of the smoked image.
    expect(built.pushed).toEqual([]);
    expect(pushed.imageId).toBe(built.imageId);
    expect(pushed.pushed).toEqual([{ tag: `${repository}:1.1.55-jwt.1`, digest }]);
    expect(release).toEqual({ image: repository, digest, reference: `${repository}@${digest}`, imageId: built.imageId });
    expect(await tags('acme/meshcentral')).toEqual(['1.1.55-jwt.1', 'latest']);
    expect(await manifestDigest('acme/meshcentral', '1.1.55-jwt.1')).toBe(digest);
    expect(await manifestDigest('acme/meshcentral', 'latest')).toBe(digest);
    // The digest names the smoked image: its manifest's config is that image id.
    const manifest = (await (
      await fetch(`http://${registry.address}/v2/acme/meshcentral/manifests/${digest}`, {
        headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json' },
      })
    ).json()) as { config: { digest: string } };
    expect(manifest.config.digest).toBe(built.imageId);
  });
});
