/*
 * Real patch-package patches this project did not write: patches/<pkg>+<version>.patch files that
 * packages on the npm registry ship (test/fixtures/patch-package-corpus.json pins each carrier and
 * target by version and integrity). Each patch is applied twice to the target package as published:
 * by the real patch-package (the devDependency, in a scratch project with node_modules/<target>),
 * and by meshfork through a series line `<file> -pN --ignore-trailing-whitespace` (N strips
 * `a/node_modules/<target>/`; patch-package itself compares lines with trailing whitespace trimmed).
 * The two trees must hold the same files with the same bytes; a patch patch-package refuses must be
 * refused by meshfork too.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { applySeries, MemoryTree } from '../../src/engine';
import { isMeshforkError } from '../../src/errors';
import { parsePatch } from '../../src/series/parse';
import { parseSeriesFile } from '../../src/series/seriesFile';
import { readTree } from '../../src/rebase/backup';
import { ensureTarballs, loadCorpus, packageDir, splitSpec, type CorpusPatch } from '../support/patchPackageCorpus';
import { REPO_ROOT } from '../support/release';

jest.setTimeout(900000);
const corpus = loadCorpus();
const PATCH_PACKAGE = path.join(REPO_ROOT, 'node_modules', 'patch-package', 'index.js');

type Result = { ok: true; files: Map<string, string> } | { ok: false; why: string };

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'meshfork-patch-package-'));
  ensureTarballs({ ...corpus.carriers, ...corpus.targets });
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const asText = (files: Map<string, Buffer>) => new Map([...files].map(([p, b]) => [p, b.toString('latin1')]));

async function byPatchPackage(entry: CorpusPatch, patchFile: string, n: number): Promise<Result> {
  const [name] = splitSpec(entry.target);
  const app = path.join(tmp, `app-${n}`);
  mkdirSync(path.join(app, 'patches'), { recursive: true });
  writeFileSync(path.join(app, 'package.json'), '{ "name": "corpus-app", "version": "1.0.0", "private": true }\n');
  cpSync(packageDir(entry.target), path.join(app, 'node_modules', name), { recursive: true });
  cpSync(patchFile, path.join(app, 'patches', path.basename(patchFile)));
  const run = spawnSync(process.execPath, [PATCH_PACKAGE, '--error-on-fail'], {
    cwd: app,
    env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' },
    encoding: 'utf8',
  });
  if (run.status !== 0) return { ok: false, why: `exit ${run.status}: ${run.stdout}${run.stderr}` };
  return { ok: true, files: asText(await readTree(path.join(app, 'node_modules', name))) };
}

async function byMeshfork(entry: CorpusPatch, patchFile: string, pristine: Map<string, string>): Promise<Result> {
  const [name] = splitSpec(entry.target);
  const strip = 2 + name.split('/').length; // a/ node_modules/ and the package name's one or two parts
  const [line] = parseSeriesFile('series', `${path.basename(patchFile)} -p${strip} --ignore-trailing-whitespace\n`);
  try {
    const patch = parsePatch(line.name, readFileSync(patchFile, 'latin1'), line.options);
    const before = new Map(pristine);
    const tree = new MemoryTree(async (p) => before.get(p));
    const outcome = await applySeries([patch], tree);
    if (outcome.status === 'conflict')
      return { ok: false, why: JSON.stringify(outcome.patches[0].files.filter((f) => f.status === 'conflict')) };
    for (const [p, change] of tree.changes()) {
      if (change.content === null) before.delete(p);
      else before.set(p, change.content);
    }
    return { ok: true, files: before };
  } catch (error) {
    if (isMeshforkError(error)) return { ok: false, why: `${error.code}: ${error.message}` };
    throw error;
  }
}

const verdict = (r: Result) => (r.ok ? 'applied' : 'refused');

async function compare(entry: CorpusPatch, n: number): Promise<Result> {
  const patchFile = path.join(packageDir(entry.carrier), entry.path);
  const pristine = asText(await readTree(packageDir(entry.target)));
  const theirs = await byPatchPackage(entry, patchFile, n);
  const ours = await byMeshfork(entry, patchFile, pristine);
  if (verdict(ours) !== verdict(theirs))
    throw new Error(
      `meshfork ${verdict(ours)}, patch-package ${verdict(theirs)}: ${ours.ok ? '' : ours.why}${theirs.ok ? '' : theirs.why}`,
    );
  const [ourFiles, theirFiles] = [ours, theirs].map((r) => (r.ok ? r.files : new Map<string, string>()));
  const differing = [...new Set([...ourFiles.keys(), ...theirFiles.keys()])].filter((p) => ourFiles.get(p) !== theirFiles.get(p));
  expect(differing).toEqual([]);
  // An applied patch changed the published package (an already-applied patch would not count).
  if (theirs.ok) expect([...theirFiles].filter(([p, c]) => pristine.get(p) !== c).length).toBeGreaterThan(0);
  return theirs;
}

const label = (p: CorpusPatch) => `${p.carrier} ${p.path} on ${p.target}`;
const identical: string[] = [];

describe('patch-package patches published on the npm registry', () => {
  it.each(corpus.patches.map((p, i) => [label(p), p, i] as const))(
    '%s: meshfork gives the bytes patch-package gives',
    async (name, entry, n) => {
      const theirs = await compare(entry, n);
      expect(theirs.ok).toBe(true);
      identical.push(name);
    },
  );

  it('compared at least 20 patches at their exact versions with identical bytes', () => {
    expect(identical.length).toBeGreaterThanOrEqual(20);
  });

  // patch-package warns of the version mismatch and applies a hunk within 20 lines of its place, or refuses.
  const outcomes: string[] = [];
  it.each(corpus.otherVersions.map((p, i) => [label(p), p, corpus.patches.length + i] as const))(
    '%s (another release): the same outcome and bytes as patch-package',
    async (name, entry, n) => {
      outcomes.push(verdict(await compare(entry, n)));
    },
  );

  it('the other releases include patches both apply and patches both refuse', () => {
    expect(new Set(outcomes)).toEqual(new Set(['applied', 'refused']));
  });
});
