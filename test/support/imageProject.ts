/*
 * A copy of the frozen JWT series project (test/fixtures/jwt-series-1.1.55: config, lock, series,
 * files, image lock; the tool's tests never read the live project) in a temporary git
 * repository, for the image end-to-end tests that build with bin/meshfork: the image repository
 * renamed per test file, so their images and tags do not meet.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runCli, type CliResult } from './cli';
import { copyJwtSeriesProject } from './jwtSeriesFixture';
import { REPO_ROOT } from './release';

export const MESHFORK_CACHE = path.join(REPO_ROOT, '.cache', 'meshfork');

/** The project copy in `dir`, committed; returns its commit time (a SOURCE_DATE_EPOCH that makes builds repeat). */
export function copyProject(dir: string, repository: string): { sourceDateEpoch: string } {
  copyJwtSeriesProject(dir);
  cpSync(path.join(REPO_ROOT, 'meshfork.schema.json'), path.join(dir, 'meshfork.schema.json'));
  const config = JSON.parse(readFileSync(path.join(dir, 'meshfork.config.json'), 'utf8'));
  config.image = { ...config.image, repository, source: 'https://example.invalid/meshfork.git' };
  writeFileSync(path.join(dir, 'meshfork.config.json'), `${JSON.stringify(config, null, 2)}\n`);
  const git = (...args: string[]) =>
    execFileSync('git', args, {
      cwd: dir,
      env: {
        ...process.env,
        GIT_CONFIG_GLOBAL: '/dev/null',
        GIT_AUTHOR_NAME: 't',
        GIT_AUTHOR_EMAIL: 't@example.invalid',
        GIT_COMMITTER_NAME: 't',
        GIT_COMMITTER_EMAIL: 't@example.invalid',
        GIT_AUTHOR_DATE: '2026-01-01T00:00:00Z',
        GIT_COMMITTER_DATE: '2026-01-01T00:00:00Z',
      },
    })
      .toString()
      .trim();
  git('init', '-q');
  git('add', '-A');
  git('commit', '-qm', 'project');
  return { sourceDateEpoch: git('log', '-1', '--format=%ct') };
}

/** The PEM bundle the build's npm needs to reach the registry (the machine's, as the image e2e test uses). */
export function buildCaFile(): string {
  return process.env.NODE_EXTRA_CA_CERTS || '/etc/ssl/certs/ca-certificates.crt';
}

/** `node bin/meshfork ARGS` in the project, with the shared release cache. */
export function meshforkIn(project: string, args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return runCli(args, { cwd: project, env: { MESHFORK_CACHE, ...env }, timeoutMs: 900_000 });
}
