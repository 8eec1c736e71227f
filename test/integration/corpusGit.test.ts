/*
 * git's own apply test vectors, from git's Debian source package (apt-get source git): incomplete
 * last lines (t4101), multi-fragment placement (t4109), scanning forwards and backwards (t4110) and
 * weird file names in git, traditional and damaged headers (t4135). Each is run by the engine and by
 * `git apply` on the same files: same success, same bytes.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isMeshforkError } from '../../src/errors';
import { parsePatch } from '../../src/series/parse';
import { runGit } from '../../src/tools/git';
import { engineApply, listing } from '../support/engineFiles';
import { CORPUS_DIR, debianSource } from '../support/debianCorpus';

jest.setTimeout(900000);
const VECTORS = path.join(CORPUS_DIR, 'git-apply-tests');

/** t/t4101, t4109, t4110, t4135 of git's source, extracted once from the orig tarball. */
function vectors(): string {
  if (existsSync(path.join(VECTORS, 't4135'))) return VECTORS;
  const dsc = debianSource('git');
  const orig = readdirSync(path.dirname(dsc)).find((f) => /\.orig\.tar\.(xz|gz)$/.test(f)) as string;
  const tmp = `${VECTORS}.tmp-${process.pid}`;
  mkdirSync(tmp, { recursive: true });
  execFileSync('tar', [
    '-xf',
    path.join(path.dirname(dsc), orig),
    '-C',
    tmp,
    '--strip-components=2',
    '--wildcards',
    '*/t/t4101/*',
    '*/t/t4109/*',
    '*/t/t4110/*',
    '*/t/t4135/*',
  ]);
  rmSync(VECTORS, { recursive: true, force: true });
  renameSync(tmp, VECTORS);
  return VECTORS;
}

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'meshfork-gitvec-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

type Result = { ok: true; files: [string, string][] } | { ok: false; why: string };

async function byGit(start: Record<string, string>, patchFiles: string[]): Promise<Result> {
  const dir = mkdtempSync(path.join(tmp, 'git-'));
  await runGit(['init', '-q'], { cwd: dir });
  for (const [p, c] of Object.entries(start)) writeFileSync(path.join(dir, p), c, 'latin1');
  const applied = await runGit(['apply', ...patchFiles], { cwd: dir, okExitCodes: [0, 1, 128] });
  if (applied.exitCode !== 0) return { ok: false, why: applied.stderr };
  const files = new Map<string, Buffer>();
  for (const f of readdirSync(dir)) if (f !== '.git') files.set(f, readFileSync(path.join(dir, f)));
  return { ok: true, files: listing(files) };
}

async function byEngine(start: Record<string, string>, patchFiles: string[]): Promise<Result> {
  try {
    const patches = patchFiles.map((f) => parsePatch(path.basename(f), readFileSync(f, 'latin1')));
    const { files, outcomes } = await engineApply(patches, new Map(Object.entries(start).map(([p, c]) => [p, Buffer.from(c, 'latin1')])));
    const failed = outcomes.find((o) => o.status === 'conflict' || o.status === 'already-applied');
    return failed ? { ok: false, why: failed.status } : { ok: true, files: listing(files) };
  } catch (error) {
    if (isMeshforkError(error)) return { ok: false, why: `${error.code}: ${error.message}` };
    throw error;
  }
}

async function same(start: Record<string, string>, patchFiles: string[]): Promise<Result> {
  const [engine, git] = [await byEngine(start, patchFiles), await byGit(start, patchFiles)];
  expect({ ok: engine.ok, files: engine.ok ? engine.files : [] }).toEqual({ ok: git.ok, files: git.ok ? git.files : [] });
  return engine;
}

describe("git's apply test vectors", () => {
  // t4101-apply-nonl.sh: four versions of frotz, with and without a final newline.
  const frotz = ['a\nb\n', 'a\nb\nc\n', 'a\nb', 'a\nc\nb'];
  const pairs = frotz.flatMap((_, i) => frotz.map((__, j) => [i, j] as const)).filter(([i, j]) => i !== j);
  it.each(pairs)('t4101: diff.%i-%i (incomplete lines) turns frotz.i into frotz.j, as git apply does', async (i, j) => {
    const result = await same({ frotz: frotz[i] }, [path.join(vectors(), 't4101', `diff.${i}-${j}`)]);
    expect(result).toEqual({ ok: true, files: [['frotz', frotz[j]]] });
  });

  it.each([
    [['patch1.patch', 'patch2.patch'], 'expect-1'],
    [['patch1.patch', 'patch2.patch', 'patch3.patch'], 'expect-2'],
    [['patch1.patch', 'patch4.patch'], 'expect-3'],
  ])('t4109: multi-fragment patches %j give %s', async (patches, expect1) => {
    const dir = path.join(vectors(), 't4109');
    const result = await same(
      {},
      patches.map((p) => path.join(dir, p)),
    );
    expect(result).toEqual({ ok: true, files: [['main.c', readFileSync(path.join(dir, expect1), 'latin1')]] });
  });

  it('t4110: five patches that need scanning forwards and backwards give the expected file', async () => {
    const dir = path.join(vectors(), 't4110');
    const result = await same(
      {},
      [1, 2, 3, 4, 5].map((n) => path.join(dir, `patch${n}.patch`)),
    );
    expect(result).toEqual({ ok: true, files: [['new.txt', readFileSync(path.join(dir, 'expect'), 'latin1')]] });
  });

  const names = ['plain', 'with spaces', 'with tab', 'with quote'];
  const kinds = [
    ['git', false],
    ['diff', true],
    ['add', false],
  ] as const;
  it.each(names.flatMap((n) => kinds.map(([k, pre]) => [`${k}-${n}.diff`, pre] as const)))(
    't4135: %s (weird post-image names) reads as git apply reads it',
    async (file, preimage) => {
      const target = {
        plain: 'postimage.txt',
        'with spaces': 'post image.txt',
        'with tab': 'post\timage.txt',
        'with quote': '"postimage".txt',
      }[file.replace(/^(git|diff|add)-/, '').replace(/\.diff$/, '')] as string;
      await same(preimage ? { [target]: 'preimage\n' } : {}, [path.join(vectors(), 't4135', file)]);
    },
  );

  it.each([
    ['damaged.diff', 'postimage.txt'],
    ['damaged-tz.diff', 'post image.txt'],
    ['funny-tz.diff', 'post image.txt'],
  ])('t4135: %s (whitespace-damaged, odd time zones: creation by the epoch stamp) creates %s, as git apply', async (file, created) => {
    const result = await same({}, [path.join(vectors(), 't4135', file)]);
    expect(result).toEqual({ ok: true, files: [[created, 'postimage\n']] });
  });

  it('t4135: a backslash in a file name is refused (PATH_UNSAFE), where git apply would write it', async () => {
    const result = await byEngine({}, [path.join(vectors(), 't4135', 'git-with backslash.diff')]);
    expect(result).toMatchObject({ ok: false, why: expect.stringMatching(/^PATH_UNSAFE: .*backslash/) });
  });
});
