/*
 * `meshfork build` after a one-patch change against a full build without cache, both through the
 * built CLI on the same project, base image and machine, in the same run. Target: the rebuild at
 * least 5x faster (ratio <= 0.2): only the series and meshfork layers are rebuilt, the dependency
 * layer (npm ci from the registry) and the 400 MB release layer come from BuildKit's cache.
 *
 * The full build runs on a copy of the base image with one tiny file more (a layer of its own, so
 * BuildKit has no cached step for it), rather than with --no-cache: a --no-cache build would leave a second cache
 * record for every step of the real base, and BuildKit may then give later builds either one (the
 * image test compares layer digests across builds).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dockerOk, ensureBaseImage } from '../test/support/docker';
import { copyJwtSeriesProject } from '../test/support/jwtSeriesFixture';
import { REPO_ROOT } from '../test/support/release';
import { figure, type BenchFigure } from './result';

const BIN = path.join(REPO_ROOT, 'bin', 'meshfork');
const REBUILDS = 3;
const REPOSITORY = 'meshfork-bench/meshcentral';
const MODULE = 'files/jwt-auth.js';
const LINE = '// Reads the JWT_SECRET / POSTGRES_* environment';

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

export async function run(): Promise<BenchFigure[]> {
  const base = await ensureBaseImage();
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'meshfork-bench-image-'));
  try {
    const project = path.join(tmp, 'project');
    copyJwtSeriesProject(project);
    const config = JSON.parse(readFileSync(path.join(project, 'meshfork.config.json'), 'utf8'));
    writeFileSync(
      path.join(project, 'meshfork.config.json'),
      JSON.stringify({ ...config, image: { ...config.image, repository: REPOSITORY } }),
    );
    const env = { ...process.env, MESHFORK_CACHE: path.join(REPO_ROOT, '.cache', 'meshfork'), CI: '1' };
    const build = (baseImage = base): number => {
      const start = process.hrtime.bigint();
      execFileSync(process.execPath, [BIN, '-q', 'build', '--base-image', baseImage, '--network', 'host'], {
        cwd: project,
        env,
        stdio: 'pipe',
        timeout: 1_800_000,
      });
      return Number(process.hrtime.bigint() - start) / 1e6;
    };
    const patchFile = path.join(project, MODULE);
    const original = readFileSync(patchFile, 'latin1');
    if (!original.includes(LINE)) throw new Error(`${MODULE} no longer contains the line the benchmark edits: ${LINE}`);

    build(); // warm: caches, the stable context folder, BuildKit's layers
    const coldBase = `meshfork-bench/cold-base:${randomBytes(6).toString('hex')}`;
    writeFileSync(path.join(tmp, 'marker'), coldBase);
    writeFileSync(path.join(tmp, 'Dockerfile'), `FROM ${base}\nCOPY marker /etc/meshfork-bench-marker\n`);
    await dockerOk(['build', '--tag', coldBase, tmp]);
    let full: number;
    try {
      full = build(coldBase);
    } finally {
      await dockerOk(['rmi', '-f', coldBase]).catch(() => undefined);
    }
    const rebuilds: number[] = [];
    for (let i = 0; i < REBUILDS; i++) {
      writeFileSync(patchFile, original.replace(LINE, `${LINE} (bench edit ${i})`), 'latin1');
      rebuilds.push(build());
    }
    const value = median(rebuilds);
    const ratios = rebuilds.map((r) => r / full);
    process.stdout.write(
      `full build without cache: ${(full / 1000).toFixed(1)} s; rebuild after a one-patch change: median ${(value / 1000).toFixed(1)} s of ${rebuilds.map((r) => (r / 1000).toFixed(1)).join(', ')} s; ratio ${(value / full).toFixed(3)} (target <= 0.2)\n`,
    );
    return [
      figure({
        benchmark: 'image',
        name: 'rebuild after a one-patch change vs full build without cache',
        value,
        baseline: full,
        unit: 'ms',
        maxRatio: 0.2,
        spread: [Math.min(...ratios), Math.max(...ratios)],
        runs: REBUILDS,
      }),
    ];
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    // The images this run tagged (each ~770 MB); BuildKit's layer cache stays for the next run.
    const tagged = (await dockerOk(['images', '--quiet', '--filter', `reference=${REPOSITORY}`])).split('\n').filter(Boolean);
    if (tagged.length > 0) await dockerOk(['rmi', '-f', ...new Set(tagged)]);
  }
}
