/*
 * Disk full: small tmpfs filesystems mounted by the test (it runs as root, as CI does), unmounted
 * after. For the download cache, for apply's output folder and for the project's patches/: meshfork
 * exits 4 with error[IO_FAILED] naming the full disk and a hint, and leaves nothing half-written
 * (no output folder, no build, no manifest of an incomplete release, only sound blobs, the old
 * patches/ set byte for byte). The next run with space succeeds.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { edit } from '../../src/commands/edit';
import { runGit } from '../../src/tools/git';
import { readTree } from '../../src/rebase/backup';
import { treeDifferences, treeListing } from '../integration/upstreamFixtures';
import { ensureBuilt } from '../support/cli';
import { buildSmallProject, type SmallProject } from '../support/smallProject';
import { runTraced, type TracedRun } from '../support/traced';
import { checkCache } from './support/cacheCheck';
import { smallReference } from './support/reference';
import { writeTally } from './support/tally';

let tmp: string;
let small: SmallProject;
let expected: Map<string, string>;
let cases = 0;
let checks = 0;

beforeAll(() => {
  ensureBuilt();
  tmp = mkdtempSync(path.join(os.tmpdir(), 'meshfork-disk-full-'));
  small = buildSmallProject(path.join(tmp, 'small'), 60);
  expected = treeListing(smallReference(small.dir, small.upstreamUrl, '1.0.0', path.join(tmp, 'reference')));
});

afterAll(() => {
  writeTally(__filename, {
    title: 'disk full (tmpfs) for the cache, the output and patches/',
    counts: { 'disk-full cases': cases, 'disk-full checks': checks },
    targets: { 'disk-full cases': 4, 'disk-full checks': 4 * 4 },
  });
  rmSync(tmp, { recursive: true, force: true });
});

/** Mount a tmpfs of `size` at a new folder, run `fn`, unmount. */
async function onTmpfs<T>(size: string, fn: (dir: string) => Promise<T>): Promise<T> {
  if (process.getuid?.() !== 0) throw new Error('the disk-full tests mount a tmpfs and need root (CI runs as root)');
  const dir = mkdtempSync(path.join(tmp, 'tmpfs-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', dir]);
  try {
    return await fn(dir);
  } finally {
    execFileSync('umount', [dir]);
  }
}

/** Exit 4, error[IO_FAILED] saying the disk is full, and a hint line. */
function expectDiskFullError(run: TracedRun, label: string): void {
  expect({
    label,
    code: run.code,
    error: /^error\[IO_FAILED\]: no space left on device: /m.test(run.stderr),
    hint: /^hint: \S/m.test(run.stderr),
  }).toEqual({ label, code: 4, error: true, hint: true });
  checks += 3;
}

test('the cache on a full disk while the git mirror is cloned: exit 4, no clone left behind', async () => {
  await onTmpfs('64k', async (disk) => {
    const cache = path.join(disk, 'cache');
    const out = path.join(tmp, 'out-mirror');
    const run = await runTraced(['-C', small.dir, 'apply', '--out', out], { cwd: small.dir, env: { MESHFORK_CACHE: cache } });
    expectDiskFullError(run, 'mirror');
    expect({ out: existsSync(out), clones: readdirSync(path.join(cache, 'git')) }).toEqual({ out: false, clones: [] });
    checks += 1;
  });
  cases += 1;
});

test('the cache on a full disk while the release is unpacked: exit 4, no manifest, every blob written is sound', async () => {
  await onTmpfs('200k', async (disk) => {
    const cache = path.join(disk, 'cache');
    const out = path.join(tmp, 'out-blobs');
    const run = await runTraced(['-C', small.dir, 'apply', '--out', out], { cwd: small.dir, env: { MESHFORK_CACHE: cache } });
    expectDiskFullError(run, 'blobs');
    expect(run.marks.map((m) => m.phase)).toContain('cache:populate');
    const cacheState = checkCache(cache);
    expect({
      out: existsSync(out),
      manifests: cacheState.manifests,
      problems: cacheState.problems,
      leftovers: cacheState.leftovers,
    }).toEqual({ out: false, manifests: 0, problems: [], leftovers: [] });
    checks += 2;
  });
  cases += 1;
});

test('the output folder on a full disk: exit 4, neither DIR nor a build left; with space the next run succeeds', async () => {
  const cache = path.join(tmp, 'warm-cache');
  await onTmpfs('100k', async (disk) => {
    const out = path.join(disk, 'meshcentral');
    const run = await runTraced(['-C', small.dir, 'apply', '--out', out], { cwd: small.dir, env: { MESHFORK_CACHE: cache } });
    expectDiskFullError(run, 'output');
    expect(run.marks.map((m) => m.phase)).toContain('apply:materialize');
    expect(readdirSync(disk)).toEqual([]);
    checks += 1;
  });
  const out = path.join(tmp, 'out-with-space');
  const next = await runTraced(['-C', small.dir, 'apply', '--out', out], { cwd: small.dir, env: { MESHFORK_CACHE: cache } });
  expect([next.code, next.stderr]).toEqual([0, '']);
  expect(treeDifferences(treeListing(out), expected)).toEqual([]);
  checks += 2;
  cases += 1;
});

test('patches/ on a full disk during export: exit 4, patches/ is the old set byte for byte; with space export succeeds', async () => {
  await onTmpfs('4m', async (disk) => {
    const project = path.join(disk, 'project');
    execFileSync('cp', ['-a', small.dir, project]);
    const cache = path.join(tmp, 'export-cache');
    await edit({ cwd: project, cacheDir: cache });
    const identity = {
      GIT_AUTHOR_NAME: 'A',
      GIT_AUTHOR_EMAIL: 'a@example.invalid',
      GIT_COMMITTER_NAME: 'A',
      GIT_COMMITTER_EMAIL: 'a@example.invalid',
    };
    await runGit(['-c', 'sequence.editor=sed -i 1s/^pick/reword/', 'rebase', '-q', '-i', 'upstream'], {
      cwd: path.join(project, '.meshfork', 'work'),
      env: { ...identity, GIT_EDITOR: "sed -i '1s/greeting/friendly greeting/'" },
    });
    const before = await readTree(path.join(project, 'patches'));
    // Fill the disk but for three pages: git's index lock fits, export's new set (a page a file) does not.
    const { bavail, bsize } = statfsSync(disk);
    const filler = path.join(disk, 'filler');
    writeFileSync(filler, Buffer.alloc(Math.max(0, Number(bavail) * Number(bsize) - 3 * Number(bsize))));
    const run = await runTraced(['-C', project, 'export'], { cwd: project, env: { MESHFORK_CACHE: cache } });
    expectDiskFullError(run, 'export');
    expect(run.marks.map((m) => m.phase)).toContain('patches:write');
    expect(await readTree(path.join(project, 'patches'))).toEqual(before);
    rmSync(filler);
    const next = await runTraced(['-C', project, 'export'], { cwd: project, env: { MESHFORK_CACHE: cache } });
    expect([next.code, next.stderr]).toEqual([0, '']);
    expect([...(await readTree(path.join(project, 'patches'))).keys()]).toContain('add-a-friendly-greeting.patch');
    checks += 3;
  });
  cases += 1;
});
