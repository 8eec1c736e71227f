/*
 * What a new user reads and runs first, checked against the files that do it: the quick start names
 * every system package .ci/run installs, README's `apply --out build/...` output is git-ignored, and
 * .ci/run prints how long it took however it ends, and every command's help (groups included) lists
 * the exit codes README promises. The help test runs the built bin/meshfork (npm run build first).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../support/release';

const ciRun = readFileSync(path.join(REPO_ROOT, '.ci', 'run'), 'utf8');
const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');

function ciPackages(): string[] {
  const install = /apt-get install -y -q --no-install-recommends ([^>]*)>/.exec(ciRun.replace(/\\\n\s*/g, ' '));
  if (!install) throw new Error('.ci/run has no apt-get install line');
  return install[1]
    .trim()
    .split(/\s+/)
    .filter((p) => p !== 'ca-certificates');
}

test("the quick start's npm test comment names every system package .ci/run installs", () => {
  const quickStart = readme.slice(readme.indexOf('## Quick start'), readme.indexOf('## Commands'));
  const comment = quickStart
    .split('\n')
    .filter((l) => l.includes('#'))
    .join(' ');
  expect(ciPackages().length).toBeGreaterThanOrEqual(11);
  expect(ciPackages().filter((p) => !new RegExp(`\\b${p.replace(/[.]/g, '\\.')}\\b`).test(comment))).toEqual([]);
});

test("README's `apply --out build/meshcentral` output is ignored by git", () => {
  expect(readme).toContain('apply --out build/meshcentral');
  const ignored = execFileSync('git', ['check-ignore', '--no-index', 'build/meshcentral/package.json'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });
  expect(ignored).toBe('build/meshcentral/package.json\n');
});

test('.ci/run prints its elapsed time when it passes and when it fails', () => {
  // the script's own preamble (up to its first command that needs root), then a given end
  const preamble = ciRun.slice(0, ciRun.indexOf('export DEBIAN_FRONTEND'));
  for (const [end, line] of [
    ['exit 0', /^\.ci\/run: passed in 0 min [0-9] s$/],
    ['exit 3', /^\.ci\/run: failed \(exit 3\) in 0 min [0-9] s$/],
  ] as const) {
    const run = spawnSync('bash', ['-c', `${preamble}\n${end}\n`, 'run'], { cwd: path.join(REPO_ROOT, '.ci'), encoding: 'utf8' });
    expect(run.stdout.trim()).toMatch(line);
    expect(run.status).toBe(Number(end.split(' ')[1]));
  }
});

test.each([['import', 'mbox'], ['import', 'quilt'], ['import'], ['upstream']])('meshfork %s %s --help lists its exit codes', (...words) => {
  const help = execFileSync(process.execPath, [path.join(REPO_ROOT, 'bin', 'meshfork'), ...words.filter(Boolean), '--help'], {
    encoding: 'utf8',
  });
  expect(help).toMatch(/\nExit codes[^\n]*:\n {2}0 {2}[^\n]+\n( {2}[1-4] {2}[^\n]+\n)+/);
  expect(help).toContain('\n  2  ');
  expect(help).toContain('\n  4  ');
});
