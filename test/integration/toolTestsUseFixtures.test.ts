/*
 * The tool's tests use fixtures only: nothing under test/unit, test/integration, test/reliability,
 * test/e2e or bench/ (nor a helper they import) reads the repository's live patches/, files/, image/,
 * meshfork.config.json or meshfork.lock.json, runs meshfork in the repository root, or imports the
 * payload's tests. Then `sync rebase --commit` moving the live series leaves every tool test where it
 * was. The scanner is test/support/liveReads.ts; the planted reads below prove it sees each form.
 */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findLiveReads, TOOL_TEST_FOLDERS } from '../support/liveReads';
import { REPO_ROOT } from '../support/release';

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'meshfork-live-reads-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function writeTree(root: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    writeFileSync(path.join(root, name), text);
  }
}

test("no tool test reads the live series, config or lock, or imports the payload's tests", () => {
  expect(findLiveReads(REPO_ROOT)).toEqual([]);
});

test('a read planted in a real helper of the real test tree is found, and only it', () => {
  const copy = path.join(tmp, 'real');
  for (const folder of ['test', 'bench']) {
    cpSync(path.join(REPO_ROOT, folder), path.join(copy, folder), {
      recursive: true,
      filter: (src) => !src.includes(`${path.sep}fixtures`),
    });
  }
  const helper = path.join(copy, 'test', 'support', 'project.ts');
  const before = readFileSync(helper, 'utf8');
  const planted = `${before}export const PLANTED = readFileSync(path.join(REPO_ROOT, 'meshfork.lock.json'), 'utf8');\n`;
  writeFileSync(helper, planted);
  expect(readFileSync(helper, 'utf8')).not.toBe(before); // the fault landed
  expect(findLiveReads(copy)).toEqual([
    { file: 'test/support/project.ts', line: planted.split('\n').length - 1, reads: 'meshfork.lock.json at the repository root' },
  ]);
});

test('every form of live read is found at its line; fixtures, caches, project copies and payload-only helpers are not', () => {
  const root = path.join(tmp, 'forms');
  writeTree(root, {
    'test/integration/planted.test.ts': [
      "import { REPO_ROOT, releaseDir } from '../support/release';", // 1
      "import { helper } from '../support/helper';", // 2
      "import { LIVE_BASE } from '../payload/support/liveBase';", // 3
      "const own = path.join(REPO_ROOT, 'patches');", // 4
      "for (const entry of ['meshfork.config.json', 'patches']) cpSync(path.join(REPO_ROOT, entry), path.join(dir, entry));", // 5
      "const lock = readFileSync('meshfork.lock.json', 'utf8');", // 6
      "const run = await runCli(['-C', REPO_ROOT, 'verify']);", // 7
      'const report = await verify({', // 8
      '  cwd: REPO_ROOT,', // 9
      '});', // 10
      "const fixture = path.join(REPO_ROOT, 'test', 'fixtures', 'jwt-series-1.1.55', 'patches');", // 11
      "const cache = path.join(REPO_ROOT, '.cache', 'meshfork');", // 12
      "const copy = path.join(project, 'patches', 'series');", // 13
      "const schema = path.join(REPO_ROOT, 'meshfork.schema.json');", // 14
      "runGit(['init', '-q', dir], { cwd: REPO_ROOT });", // 15
      '',
    ].join('\n'),
    'test/unit/planted.test.ts': [
      "import { REPO_ROOT as ROOT } from '../support/release';", // 1
      "const root = path.resolve(__dirname, '..', '..');", // 2
      "const config = readFileSync(path.join(root, 'meshfork.config.json'), 'utf8');", // 3
      "const direct = readFileSync(path.join(__dirname, '..', '..', 'image', 'package-lock.json'));", // 4
      "cpSync(path.join(ROOT, 'files'), dir, { recursive: true });", // 5
      "const near = path.join(__dirname, '..', 'fixtures', 'patches');", // 6
      '',
    ].join('\n'),
    'test/support/helper.ts': [
      "import { REPO_ROOT } from './release';",
      "export const helper = () => loadSeries(path.join(REPO_ROOT, 'patches'));",
      '',
    ].join('\n'),
    'test/support/release.ts': 'export const REPO_ROOT = findRepoRoot(__dirname);\n',
    'test/support/payloadOnly.ts': "export const live = path.join(REPO_ROOT, 'patches');\n",
    'test/payload/support/liveBase.ts':
      "export const LIVE_BASE = JSON.parse(readFileSync(path.join(REPO_ROOT, 'meshfork.config.json'), 'utf8')).base;\n",
    'test/payload/e2e/sso.test.ts': "import { live } from '../../support/payloadOnly';\n",
    'bench/planted.bench.ts': "execFileSync(process.execPath, [BIN, 'apply'], { cwd: REPO_ROOT });\n",
  });
  const root$ = (entry: string) => `${entry} at the repository root`;
  expect(findLiveReads(root)).toEqual([
    { file: 'bench/planted.bench.ts', line: 1, reads: 'the live project (meshfork runs in the repository root)' },
    { file: 'test/integration/planted.test.ts', line: 3, reads: "the payload's tests (test/payload/support/liveBase.ts)" },
    { file: 'test/integration/planted.test.ts', line: 4, reads: root$('patches') },
    { file: 'test/integration/planted.test.ts', line: 5, reads: root$('meshfork.config.json') },
    { file: 'test/integration/planted.test.ts', line: 5, reads: root$('patches') },
    { file: 'test/integration/planted.test.ts', line: 6, reads: root$('meshfork.lock.json') },
    { file: 'test/integration/planted.test.ts', line: 7, reads: 'the live project (meshfork runs in the repository root)' },
    { file: 'test/integration/planted.test.ts', line: 9, reads: 'the live project (meshfork runs in the repository root)' },
    { file: 'test/support/helper.ts', line: 2, reads: root$('patches') },
    { file: 'test/unit/planted.test.ts', line: 3, reads: root$('meshfork.config.json') },
    { file: 'test/unit/planted.test.ts', line: 4, reads: root$('image') },
    { file: 'test/unit/planted.test.ts', line: 5, reads: root$('files') },
  ]);
});

test('the scanner covers every folder of tool tests: test/ holds only those, the payload, helpers and fixtures', () => {
  const folders = readdirSync(path.join(REPO_ROOT, 'test'), { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => `test/${e.name}`);
  expect(folders.filter((f) => !['test/payload', 'test/support', 'test/fixtures'].includes(f)).sort()).toEqual(
    TOOL_TEST_FOLDERS.filter((f) => f.startsWith('test/')).sort(),
  );
});
