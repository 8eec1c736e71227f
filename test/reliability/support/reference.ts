/* The independent expectation for the small project: `git archive` of the release plus `git apply` of the series. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const GIT_ENV = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };

export function smallReference(projectDir: string, upstreamUrl: string, version: string, dir: string): string {
  mkdirSync(dir, { recursive: true });
  const archive = execFileSync('git', ['--git-dir', fileURLToPath(upstreamUrl), 'archive', '--format=tar', `v${version}`], {
    env: GIT_ENV,
    maxBuffer: 1 << 30,
  });
  execFileSync('tar', ['-xf', '-', '-C', dir], { input: archive });
  const patches = path.join(projectDir, 'patches');
  const names = readFileSync(path.join(patches, 'series'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() && !l.startsWith('#'));
  execFileSync('git', ['apply', '--whitespace=nowarn', ...names.map((n) => path.join(patches, n))], {
    cwd: dir,
    env: GIT_ENV,
    stdio: 'pipe',
  });
  return dir;
}
