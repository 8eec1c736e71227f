/*
 * Start-up and warm commands against what node and git cost by themselves (issue 14), all through
 * the built CLI, alternating with the baseline:
 *   --version, --help                       vs `node -e 0`                       target <= 1.5x
 *   warm `sync check --to 1.1.55` (npm)     vs `node -e 0`                       target <= 2x
 *     (the report remembered for unchanged inputs; `--recheck`, the engine's full check, is shown beside it)
 *   warm `apply --to 1.1.55`                vs `cp -al` of the unpacked release + `git apply` of the series   target <= 2x
 *   cold `sync check --to 1.1.55`           vs `npm pack` + `tar -xzf`            target <= 1.1x
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compare, exec, meshfork } from './alternate';
import type { BenchFigure } from './result';
import { JWT_SERIES_FILES, JWT_SERIES_PATCHES } from '../test/support/jwtSeriesFixture';
import { REPO_ROOT, releaseTarball, SHARED_CACHE } from '../test/support/release';

const NODE = [process.execPath, '-e', '0'];
const ROUNDS = 15;

function seriesDir(): string {
  return JWT_SERIES_PATCHES;
}

function seriesFiles(series: string): string[] {
  return readFileSync(path.join(series, 'series'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((n) => path.join(series, n));
}

export async function measure(tmp: string): Promise<BenchFigure[]> {
  const series = seriesDir();
  const project = path.join(tmp, 'project');
  mkdirSync(project);
  cpSync(series, path.join(project, 'patches'), { recursive: true });
  // the JWT series adds its module as files/jwt-auth.js; git apply's side copies the same files in
  const files = series === JWT_SERIES_PATCHES ? JWT_SERIES_FILES : undefined;
  if (files) cpSync(files, path.join(project, 'files'), { recursive: true });
  writeFileSync(
    path.join(project, 'meshfork.config.json'),
    JSON.stringify({
      upstream: { source: 'npm', package: 'meshcentral' },
      base: '1.1.55',
      supports: '>=1.1.0 <2',
      patches: 'patches',
      ...(files ? { files: 'files' } : {}),
    }),
  );
  const env = { MESHFORK_CACHE: SHARED_CACHE };
  meshfork(['-C', project, 'sync', 'check', '--to', '1.1.55'], env); // fill the cache
  process.stdout.write(
    `series: ${path.relative(REPO_ROOT, series)}; medians of ${ROUNDS} alternating rounds on a shared machine (noisy)\n`,
  );

  const figures: BenchFigure[] = [];
  const node = { work: () => exec(NODE) };
  figures.push(compare('startup', '--version vs node -e 0', ROUNDS, { work: () => meshfork(['--version']) }, node, 1.5));
  figures.push(compare('startup', '--help vs node -e 0', ROUNDS, { work: () => meshfork(['--help']) }, node, 1.5));
  figures.push(
    compare(
      'startup',
      'warm sync check --to 1.1.55 vs node -e 0',
      ROUNDS,
      { work: () => meshfork(['-C', project, 'sync', 'check', '--to', '1.1.55'], env) },
      node,
      2,
    ),
  );
  figures.push(
    compare(
      'startup',
      'warm sync check --to 1.1.55 --recheck vs node -e 0',
      ROUNDS,
      { work: () => meshfork(['-C', project, 'sync', 'check', '--to', '1.1.55', '--recheck'], env) },
      node,
    ),
  );

  const unpacked = path.join(tmp, 'unpacked');
  mkdirSync(unpacked);
  exec(['tar', '-xzf', releaseTarball('1.1.55'), '-C', unpacked, '--strip-components=1']);
  const out = path.join(tmp, 'out');
  const copy = path.join(tmp, 'copy');
  const patches = seriesFiles(series);
  figures.push(
    compare(
      'startup',
      'warm apply --to 1.1.55 vs cp -al + git apply',
      ROUNDS,
      {
        before: () => rmSync(out, { recursive: true, force: true }),
        work: () => meshfork(['-C', project, 'apply', '--to', '1.1.55', '--out', out], env),
      },
      {
        before: () => rmSync(copy, { recursive: true, force: true }),
        work: () => {
          exec(['cp', '-al', unpacked, copy]);
          if (files) exec(['cp', '-a', `${files}/.`, copy]);
          exec(['git', 'apply', ...patches], { cwd: copy });
        },
      },
      2,
    ),
  );

  // Cold: an empty meshfork cache, npm's own cache warm (both sides download through it).
  const coldCache = path.join(tmp, 'cold-cache');
  const packDir = path.join(tmp, 'pack');
  figures.push(
    compare(
      'startup',
      'cold sync check --to 1.1.55 vs npm pack + tar -xzf',
      3,
      {
        before: () => rmSync(coldCache, { recursive: true, force: true }),
        work: () => meshfork(['-C', project, 'sync', 'check', '--to', '1.1.55'], { MESHFORK_CACHE: coldCache }),
      },
      {
        before: () => {
          rmSync(packDir, { recursive: true, force: true });
          mkdirSync(packDir);
        },
        work: () => {
          exec(['npm', 'pack', 'meshcentral@1.1.55', '--silent', '--pack-destination', packDir], { cwd: packDir });
          mkdirSync(path.join(packDir, 'x'));
          exec(['tar', '-xzf', path.join(packDir, 'meshcentral-1.1.55.tgz'), '-C', path.join(packDir, 'x')]);
        },
      },
      1.1,
    ),
  );
  return figures;
}

export async function run(): Promise<BenchFigure[]> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'meshfork-bench-startup-'));
  try {
    if (!existsSync(path.join(REPO_ROOT, 'dist', 'cli', 'main.js'))) throw new Error('run `npm run build` first');
    return await measure(tmp);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
