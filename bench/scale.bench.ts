/*
 * meshfork at scale against git alone (issue 14): a generated git upstream of 1,000 files with five
 * release tags, and series of 30, 100 and 300 patches made with `git format-patch`, each patch
 * changing one file. Through the built CLI, alternating with the baseline:
 *   edit (300 patches)              vs `git clone` + `git am`          target <= 1.0x (issue 23)
 *   export, unchanged (300)         vs `git format-patch`              target < 0.5x (issue 23)
 *   apply (300)                     vs `cp -al` of the tree + `git apply`   target <= 2x
 *   apply (300), for the record     vs `git clone` + `git am`, vs `cp -al` + `quilt push -a`
 *   sync check (300), for the record  vs one `git apply --check` of the series on a checkout
 *   sync check --all, peak memory   vs `sync check --to` one release   target <= 1.5x
 *   sync check and apply (30)       vs `read-tree` + one `git apply --cached` per patch   target <= 1.5x
 * and the growth from 30 to 300 patches of apply, check, edit and export (linear: at most 10x).
 * Each target's baseline is also raced by an empty `node -e 0` (see floorFigures): the floor of its ratio.
 * MESHFORK_BENCH_SCALE=edit,export (any of git, edit, export, apply, check, memory) measures only those;
 * MESHFORK_BENCH_KEEP=1 keeps the generated upstream and projects (to profile them) and prints where.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { compare, exec, floorFigures, median, meshfork, peakMiB, print, BIN, type Side } from './alternate';
import { figure, type BenchFigure } from './result';

const FILES = 1000;
const SIZES = [30, 100, 300];
const RELEASES = ['1.0.0', '1.0.1', '1.0.2', '1.0.3', '1.0.4'];
const ROUNDS = 3;
const PARTS = ['git', 'edit', 'export', 'apply', 'check', 'memory'] as const;
type Part = (typeof PARTS)[number];

/** The parts MESHFORK_BENCH_SCALE selects (all when unset). */
function selectedParts(): Set<Part> {
  const wanted = (process.env.MESHFORK_BENCH_SCALE ?? '')
    .split(',')
    .map((w) => w.trim())
    .filter(Boolean);
  const unknown = wanted.filter((w) => !(PARTS as readonly string[]).includes(w));
  if (unknown.length > 0) throw new Error(`MESHFORK_BENCH_SCALE: unknown part ${unknown.join(', ')} (parts: ${PARTS.join(', ')})`);
  return new Set(wanted.length === 0 ? PARTS : (wanted as Part[]));
}

const GIT_ENV = {
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_AUTHOR_NAME: 'Bench',
  GIT_AUTHOR_EMAIL: 'bench@example.invalid',
  GIT_COMMITTER_NAME: 'Bench',
  GIT_COMMITTER_EMAIL: 'bench@example.invalid',
  GIT_AUTHOR_DATE: '1700000000 +0000',
  GIT_COMMITTER_DATE: '1700000000 +0000',
};

function git(cwd: string, args: string[]): void {
  exec(['git', ...args], { cwd, env: { ...process.env, ...GIT_ENV } });
}

function fileName(i: number): string {
  return `lib/m${String(i % 50).padStart(2, '0')}/file${String(i).padStart(4, '0')}.js`;
}

function fileText(i: number, release: number): string {
  const lines = Array.from({ length: 80 }, (_, l) => `    obj.value${l} = compute(${i}, ${l}); // line ${l + 1} of ${fileName(i)}`);
  lines.unshift(`// module ${i}`);
  if (release > 0) lines[75] = `    obj.release = ${release}; // changed in release ${release}`;
  return `${lines.join('\n')}\n`;
}

/** The upstream: 1,000 files, tagged v1.0.0; each later tag changes one file far from the patches' lines. */
function buildUpstream(tmp: string): { bare: string; work: string } {
  const work = path.join(tmp, 'upstream-work');
  mkdirSync(work);
  git(work, ['init', '-q', '-b', 'main']);
  for (let i = 0; i < FILES; i++) {
    mkdirSync(path.dirname(path.join(work, fileName(i))), { recursive: true });
    writeFileSync(path.join(work, fileName(i)), fileText(i, 0));
  }
  git(work, ['add', '-A']);
  git(work, ['commit', '-q', '-m', 'Release 1.0.0']);
  git(work, ['tag', 'v1.0.0']);
  RELEASES.slice(1).forEach((version, r) => {
    const i = 999 - r;
    writeFileSync(path.join(work, fileName(i)), fileText(i, r + 1));
    git(work, ['commit', '-q', '-am', `Release ${version}`]);
    git(work, ['tag', `v${version}`]);
  });
  const bare = path.join(tmp, 'upstream.git');
  git(tmp, ['clone', '-q', '--bare', work, bare]);
  return { bare, work };
}

/** `count` commits on v1.0.0, one file each (a line changed, two added), written with git format-patch. */
function buildSeries(tmp: string, work: string, count: number): string {
  const clone = path.join(tmp, `series-work-${count}`);
  git(tmp, ['clone', '-q', work, clone]);
  git(clone, ['checkout', '-q', '-b', 'fork', 'v1.0.0']);
  for (let p = 0; p < count; p++) {
    const i = (p * 37) % FILES;
    const lines = fileText(i, 0).split('\n');
    const at = 10 + (p % 50);
    lines[at] = `${lines[at]} // reviewed for the fork (${p})`;
    lines.splice(at + 3, 0, `    fork.hook${p}(obj); // fork change ${p}`, `    fork.audit(${p});`);
    writeFileSync(path.join(clone, fileName(i)), lines.join('\n'));
    git(clone, [
      'commit',
      '-q',
      '-am',
      `Fork change ${p} in ${path.basename(fileName(i))}`,
      '-m',
      'Upstream-Status: Inappropriate [bench]',
    ]);
  }
  const patches = path.join(tmp, `patches-${count}`);
  git(clone, ['format-patch', '-q', '-o', patches, 'v1.0.0..fork']);
  const names = readdirSync(patches)
    .filter((f) => f.endsWith('.patch'))
    .sort();
  writeFileSync(path.join(patches, 'series'), `${names.join('\n')}\n`);
  return patches;
}

function project(tmp: string, count: number, url: string, patches: string): string {
  const dir = path.join(tmp, `project-${count}`);
  mkdirSync(dir);
  exec(['cp', '-r', patches, path.join(dir, 'patches')]);
  writeFileSync(
    path.join(dir, 'meshfork.config.json'),
    JSON.stringify({ upstream: { source: 'git', url, tagPattern: 'v*' }, base: '1.0.0', supports: '>=1.0.0 <2', patches: 'patches' }),
  );
  return dir;
}

function timeRounds(rounds: number, before: () => void, work: () => void): number {
  const samples: number[] = [];
  for (let i = 0; i < rounds; i++) {
    before();
    const start = process.hrtime.bigint();
    work();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return median(samples);
}

/**
 * What a git user runs to check or apply a series on a release without a checkout: `read-tree` of
 * the tag into a scratch index, then `git apply --cached` of each patch in order (issue 23's
 * baseline for the git upstream's fixed cost: the moved-tag check included on meshfork's side).
 */
function gitUpstreamFigures(tmp: string, bare: string, patches: string, check: Side, apply: Side): BenchFigure[] {
  const names = readdirSync(patches)
    .filter((f) => f.endsWith('.patch'))
    .sort()
    .map((f) => path.join(patches, f));
  const index = path.join(tmp, 'loop-index');
  const loop = (tag: string): Side => ({
    before: () => rmSync(index, { force: true }),
    work: () => {
      const env = { ...process.env, ...GIT_ENV, GIT_INDEX_FILE: index };
      exec(['git', '--git-dir', bare, 'read-tree', tag], { env });
      for (const name of names) exec(['git', '--git-dir', bare, 'apply', '--cached', name], { env });
    },
  });
  const rounds = 7;
  return [
    ...floorFigures('scale', `read-tree + git apply --cached loop (${names.length} patches, v1.0.1)`, rounds, loop('v1.0.1'), 1.5),
    compare(
      'scale',
      `sync check --to 1.0.1, ${names.length} patches, git upstream vs read-tree + git apply --cached loop`,
      rounds,
      check,
      loop('v1.0.1'),
      1.5,
    ),
    compare(
      'scale',
      `apply, ${names.length} patches, git upstream vs read-tree + git apply --cached loop`,
      rounds,
      apply,
      loop('v1.0.0'),
      1.5,
    ),
  ];
}

async function measure(tmp: string): Promise<BenchFigure[]> {
  const { bare, work } = buildUpstream(tmp);
  const url = pathToFileURL(bare).href;
  const env = { MESHFORK_CACHE: path.join(tmp, 'cache') };
  const parts = selectedParts();
  const figures: BenchFigure[] = [];
  const curve: Partial<Record<Part, number[]>> = {};
  for (const part of ['apply', 'check', 'edit', 'export'] as const) if (parts.has(part)) curve[part] = [];
  const unpacked = path.join(tmp, 'unpacked');
  mkdirSync(unpacked);
  exec(['sh', '-c', `git --git-dir="${bare}" archive v1.0.0 | tar -x -C "${unpacked}"`]);
  process.stdout.write(
    `generated upstream: ${FILES} files, ${RELEASES.length} releases; series of ${SIZES.join('/')} patches (git format-patch); medians of ${ROUNDS} alternating rounds (noisy)\n`,
  );

  for (const count of SIZES) {
    const patches = buildSeries(tmp, work, count);
    const dir = project(tmp, count, url, patches);
    const out = path.join(tmp, `out-${count}`);
    const workDir = path.join(dir, '.meshfork', 'work');
    meshfork(['-C', dir, 'sync', 'check', '--all'], env); // mirror and cache every release
    const rmOut = () => rmSync(out, { recursive: true, force: true });
    const apply = { before: rmOut, work: () => meshfork(['-C', dir, 'apply', '--out', out], env) };
    const check = { work: () => meshfork(['-C', dir, 'sync', 'check', '--to', '1.0.1'], env) };
    const edit = { work: () => meshfork(['-C', dir, 'edit', '--force'], env) };
    const exportSide = { work: () => meshfork(['-C', dir, 'export'], env) };
    if (parts.has('export') && !parts.has('edit')) edit.work(); // export reads the workspace edit builds
    if (count === SIZES[0] && parts.has('git')) figures.push(...gitUpstreamFigures(tmp, bare, patches, check, apply));
    if (count !== SIZES.at(-1)) {
      curve.apply?.push(timeRounds(ROUNDS, rmOut, apply.work));
      curve.check?.push(timeRounds(ROUNDS, () => undefined, check.work));
      curve.edit?.push(timeRounds(ROUNDS, () => undefined, edit.work));
      curve.export?.push(timeRounds(ROUNDS, () => undefined, exportSide.work));
      continue;
    }
    const names = readdirSync(patches)
      .filter((f) => f.endsWith('.patch'))
      .sort()
      .map((f) => path.join(patches, f));
    const clone = path.join(tmp, 'am-clone');
    const fp = path.join(tmp, 'format-patch-out');
    const copy = path.join(tmp, 'apply-copy');
    if (parts.has('edit')) {
      const editFigure = compare(
        'scale',
        `edit, ${count} patches vs git clone + git am`,
        ROUNDS,
        edit,
        {
          before: () => rmSync(clone, { recursive: true, force: true }),
          work: () => {
            git(tmp, ['clone', '-q', '--branch', 'v1.0.0', url, clone]);
            git(clone, ['am', '-q', ...names]);
          },
        },
        1.0,
      );
      curve.edit?.push(editFigure.value);
      figures.push(editFigure);
    }
    if (parts.has('export')) {
      const formatPatch: Side = {
        before: () => rmSync(fp, { recursive: true, force: true }),
        work: () => git(workDir, ['format-patch', '-q', '-o', fp, 'upstream..HEAD']),
      };
      const exportFigure = compare('scale', `export unchanged, ${count} patches vs git format-patch`, ROUNDS, exportSide, formatPatch, 0.5);
      curve.export?.push(exportFigure.value);
      figures.push(exportFigure, ...floorFigures('scale', `git format-patch (${count} patches)`, ROUNDS, formatPatch, 0.5));
    }
    if (parts.has('apply')) {
      const cpAl: Side = {
        before: () => rmSync(copy, { recursive: true, force: true }),
        work: () => {
          exec(['cp', '-al', unpacked, copy]);
          exec(['git', 'apply', ...names], { cwd: copy });
        },
      };
      const applyFigure = compare('scale', `apply, ${count} patches vs cp -al + git apply`, ROUNDS, apply, cpAl, 2);
      curve.apply?.push(applyFigure.value);
      figures.push(applyFigure, ...floorFigures('scale', `cp -al + git apply (${count} patches)`, ROUNDS, cpAl, 2));
      // What a user without meshfork would run on the same series (no targets: for the record).
      const amClone = path.join(tmp, 'am-apply-clone');
      figures.push(
        compare('scale', `apply, ${count} patches vs git clone + git am`, ROUNDS, apply, {
          before: () => rmSync(amClone, { recursive: true, force: true }),
          work: () => {
            git(tmp, ['clone', '-q', '--branch', 'v1.0.0', url, amClone]);
            git(amClone, ['am', '-q', ...names]);
          },
        }),
      );
      const quiltCopy = path.join(tmp, 'quilt-copy');
      figures.push(
        // quilt runs several programs per patch (~30 s for 300 here): one timed round
        compare('scale', `apply, ${count} patches vs cp -al + quilt push -a`, 1, apply, {
          before: () => rmSync(quiltCopy, { recursive: true, force: true }),
          work: () => {
            exec(['cp', '-al', unpacked, quiltCopy]);
            exec(['quilt', 'push', '-a', '-q'], { cwd: quiltCopy, env: { ...process.env, QUILT_PATCHES: patches, QUILTRC: '/dev/null' } });
          },
        }),
      );
    }
    if (parts.has('check')) {
      figures.push(
        compare('scale', `sync check, ${count} patches vs one git apply --check of the series on a checkout`, ROUNDS, check, {
          work: () => exec(['git', 'apply', '--check', ...names], { cwd: unpacked }),
        }),
      );
    }
    curve.check?.push(timeRounds(ROUNDS, () => undefined, check.work));

    if (parts.has('memory')) {
      const one = median(
        Array.from({ length: ROUNDS }, () => peakMiB([process.execPath, BIN, '-C', dir, 'sync', 'check', '--to', '1.0.1'], env)),
      );
      const all = median(Array.from({ length: ROUNDS }, () => peakMiB([process.execPath, BIN, '-C', dir, 'sync', 'check', '--all'], env)));
      const memory = figure({
        benchmark: 'scale',
        name: `sync check --all (${RELEASES.length - 1} releases) peak memory vs --to one release, ${count} patches`,
        value: all,
        baseline: one,
        unit: 'MiB',
        maxRatio: 1.5,
        runs: ROUNDS,
      });
      print(memory);
      figures.push(memory);
    }
  }
  for (const [what, times] of Object.entries(curve)) {
    process.stdout.write(`growth of ${what}: ${SIZES.map((n, i) => `${n} patches ${times[i].toFixed(0)} ms`).join(', ')}\n`);
    const growth = figure({
      benchmark: 'scale',
      name: `${what}: ${SIZES.at(-1)} patches vs ${SIZES[0]} (10x the patches)`,
      value: times[times.length - 1],
      baseline: times[0],
      unit: 'ms',
      maxRatio: 10,
      runs: ROUNDS,
    });
    print(growth);
    figures.push(growth);
  }
  return figures;
}

export async function run(): Promise<BenchFigure[]> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'meshfork-bench-scale-'));
  try {
    return await measure(tmp);
  } finally {
    if (process.env.MESHFORK_BENCH_KEEP) process.stdout.write(`kept ${tmp}\n`);
    else rmSync(tmp, { recursive: true, force: true });
  }
}
