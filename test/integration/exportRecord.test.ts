/*
 * The export record (src/workspace/exportRecord.ts): exporting an unchanged workspace again answers
 * from the record (phase export:unchanged) with the bytes a full export prints, and anything that
 * could change what export writes sends it through the full export (phase export:read). Real
 * meshcentral 1.1.55 from the shared cache, the fixture series, the built CLI.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { edit } from '../../src/commands/edit';
import { runGit } from '../../src/tools/git';
import { readTree } from '../../src/rebase/backup';
import { SHARED_CACHE } from '../support/cache';
import { ensureBuilt } from '../support/cli';
import { runTraced } from '../support/traced';
import { writeProject } from '../support/project';

const FIXTURE_SERIES = path.join(__dirname, '..', 'fixtures', 'series-1.1.55');
const USER = {
  GIT_AUTHOR_NAME: 'Ada Maintainer',
  GIT_AUTHOR_EMAIL: 'ada@example.invalid',
  GIT_COMMITTER_NAME: 'Ada Maintainer',
  GIT_COMMITTER_EMAIL: 'ada@example.invalid',
};
const PATCH = 'list-jwt-single-sign-on-in-the-package-keywords.patch';

let tmp: string;
let project: string;
let work: string;
let patches: string;
let recordFile: string;

async function run(args: string[]) {
  const traced = await runTraced(['-C', project, ...args], { cwd: project, env: { MESHFORK_CACHE: SHARED_CACHE } });
  return { ...traced, exitCode: traced.code, phases: traced.marks.map((m) => m.phase).filter((p) => p.startsWith('export:')) };
}

beforeAll(() => {
  ensureBuilt();
  tmp = mkdtempSync(path.join(os.tmpdir(), 'meshfork-export-record-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let count = 0;
beforeEach(async () => {
  project = writeProject(path.join(tmp, `project-${(count += 1)}`), FIXTURE_SERIES);
  await edit({ cwd: project, cacheDir: SHARED_CACHE });
  work = path.join(project, '.meshfork', 'work');
  patches = path.join(project, 'patches');
  recordFile = path.join(work, '.git', 'meshfork-export.json');
  const first = await run(['export']);
  expect({ exitCode: first.exitCode, phases: first.phases }).toEqual({ exitCode: 0, phases: ['export:read'] });
});

test('an unchanged export again answers from the record, with the text and JSON of a full export, and patches/ untouched', async () => {
  const before = await readTree(patches);
  const text = await run(['export']);
  const json = await run(['--json', 'export']);
  expect([text.phases, json.phases]).toEqual([['export:unchanged'], ['export:unchanged']]);
  rmSync(recordFile);
  const fullText = await run(['export']);
  rmSync(recordFile);
  const fullJson = await run(['--json', 'export']);
  expect([fullText.phases, fullJson.phases]).toEqual([['export:read'], ['export:read']]);
  expect({ stdout: text.stdout, stderr: text.stderr, exitCode: text.exitCode }).toEqual({
    stdout: fullText.stdout,
    stderr: fullText.stderr,
    exitCode: 0,
  });
  expect(json.stdout).toBe(fullJson.stdout);
  expect(text.stdout).toMatch(/^patches\/ is up to date: 3 patch\(es\), nothing changed\.\n$/);
  const after = await readTree(patches);
  expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
  for (const [name, bytes] of before) expect({ name, same: after.get(name)?.equals(bytes) }).toEqual({ name, same: true });
});

test('a new commit in the workspace: the full export, which writes the changed patch', async () => {
  await runGit(['commit', '-q', '--amend', '-m', 'List JWT single sign-on in the package keywords, amended'], { cwd: work, env: USER });
  const result = await run(['export']);
  expect(result.phases).toEqual(['export:read']);
  expect(result.stdout).toMatch(/1 written/);
  expect((await run(['export'])).phases).toEqual(['export:unchanged']);
});

test('a patch file edited by hand in patches/: the full export, which writes it back from the commits', async () => {
  const file = path.join(patches, PATCH);
  const exported = readFileSync(file);
  expect(exported.includes('Makes the fork findable')).toBe(true);
  writeFileSync(file, exported.toString('latin1').replace('Makes the fork findable', 'Makes the fork easy to find'), 'latin1');
  const result = await run(['export']);
  expect(result.phases).toEqual(['export:read']);
  expect(result.stdout).toContain(`  written  ${PATCH}`);
  expect(readFileSync(file).equals(exported)).toBe(true);
});

test('a record from other code (its stamp differs) or not whole is not used', async () => {
  const record = JSON.parse(readFileSync(recordFile, 'utf8')) as { code: string };
  writeFileSync(recordFile, JSON.stringify({ ...record, code: 'another build' }));
  expect((await run(['export'])).phases).toEqual(['export:read']);
  writeFileSync(recordFile, readFileSync(recordFile, 'utf8').slice(0, 30));
  const result = await run(['export']);
  expect({ exitCode: result.exitCode, phases: result.phases }).toEqual({ exitCode: 0, phases: ['export:read'] });
  expect((await run(['export'])).phases).toEqual(['export:unchanged']);
});

test('uncommitted changes are still refused with a record in place: exit 2, nothing read', async () => {
  writeFileSync(path.join(work, 'package.json'), `${readFileSync(path.join(work, 'package.json'), 'latin1')}\n`, 'latin1');
  const result = await run(['export']);
  expect(result.exitCode).toBe(2);
  expect(result.stderr).toMatch(/^error\[STATE_INVALID\]: the workspace has uncommitted changes: package\.json/);
  expect(result.phases).toEqual([]);
});
