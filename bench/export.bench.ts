/*
 * `meshfork export` of an unchanged workspace (nothing to write: it reads the commits, renders the
 * patches and compares them with patches/) vs `git format-patch` of the same commits, the naive
 * export, in the same run. meshcentral 1.1.55 with the JWT series (frozen in test/fixtures/jwt-series-1.1.55).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { edit } from '../src/commands/edit';
import { SHARED_CACHE } from '../test/support/cache';
import { writeProject } from '../test/support/project';
import { REPO_ROOT } from '../test/support/release';
import { seriesDir } from './apply.bench';
import { compare, samples } from './measure';
import type { BenchFigure } from './result';

const BIN = path.join(REPO_ROOT, 'bin', 'meshfork');
const RUNS = 5;

export async function run(): Promise<BenchFigure[]> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'meshfork-bench-export-'));
  try {
    const project = writeProject(path.join(tmp, 'project'), seriesDir());
    await edit({ cwd: project, cacheDir: SHARED_CACHE });
    const env = { ...process.env, CI: '1', MESHFORK_CACHE: SHARED_CACHE };
    execFileSync(process.execPath, [BIN, '-C', project, 'export'], { env, stdio: 'pipe' }); // the first export may rewrite headers
    const exportRuns = await samples(RUNS, () => execFileSync(process.execPath, [BIN, '-C', project, 'export'], { env, stdio: 'pipe' }));
    const work = path.join(project, '.meshfork', 'work');
    const formatPatch = await samples(RUNS, (i) =>
      execFileSync('git', ['-C', work, 'format-patch', '--quiet', '-o', path.join(tmp, `format-patch-${i}`), 'upstream..HEAD'], {
        env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' },
      }),
    );
    return [compare('export', 'export of an unchanged workspace (CLI) vs git format-patch upstream..HEAD', exportRuns, formatPatch)];
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
