/*
 * What the built CLI loads and leaves behind. Timing belongs to `npm run bench`; these assert what
 * makes the fast paths fast and can be checked exactly: `--version`/`--help` load commander and the
 * CLI's own files only, a warm `sync check` loads no validation, archive, process or lock library,
 * and no command exits while a child process of its own (a git it started) still exists.
 *
 * A preload module (NODE_OPTIONS=--require) records, as the meshfork process exits, every module it
 * loaded and every process whose parent it is (from /proc): a child still listed there at exit is
 * one meshfork did not wait for, and stays `<defunct>` under a subreaper that does not reap.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { syncCheck } from '../../src/commands/syncCheck';
import { syncCheckReportSchema } from '../../src/checkReport/schema';
import { runGit } from '../../src/tools/git';
import { ensureBuilt, runCli, type CliResult } from '../support/cli';
import { writeProject } from '../support/project';
import { REPO_ROOT } from '../support/release';
import { SHARED_CACHE } from '../support/cache';

const FIXTURE_SERIES = path.join(REPO_ROOT, 'test', 'fixtures', 'series-1.1.55');

const PRELOAD = `
const fs = require('fs');
if (/bin[\\\\/]meshfork$/.test(process.argv[1] || '')) {
  process.on('exit', () => {
    const children = [];
    for (const pid of fs.readdirSync('/proc').filter((n) => /^\\d+$/.test(n))) {
      let stat;
      try { stat = fs.readFileSync('/proc/' + pid + '/stat', 'utf8'); } catch { continue; }
      const close = stat.lastIndexOf(')');
      const [state, ppid] = stat.slice(close + 2).split(' ');
      if (Number(ppid) === process.pid) children.push(stat.slice(stat.indexOf('(') + 1, close) + ' ' + state);
    }
    fs.writeFileSync(process.env.MESHFORK_TEST_RECORD, JSON.stringify({ modules: Object.keys(require.cache), children }));
  });
}
`;

interface Recorded {
  result: CliResult;
  /** Packages loaded from node_modules, by name. */
  packages: string[];
  /** meshfork's own modules, relative to dist/. */
  own: string[];
  /** "<command> <state>" of each child process still there at exit. */
  children: string[];
}

let scratch: string;
let preload: string;
let runs = 0;

async function recorded(args: string[], env: Record<string, string> = {}): Promise<Recorded> {
  const record = path.join(scratch, `record-${runs++}.json`);
  const result = await runCli(args, { env: { ...env, NODE_OPTIONS: `--require ${preload}`, MESHFORK_TEST_RECORD: record } });
  const { modules, children } = JSON.parse(readFileSync(record, 'utf8')) as { modules: string[]; children: string[] };
  const packages = new Set<string>();
  for (const file of modules) {
    const name = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(file)?.[1];
    if (name) packages.add(name);
  }
  const dist = path.join(REPO_ROOT, 'dist') + path.sep;
  const own = modules.filter((m) => m.startsWith(dist)).map((m) => m.slice(dist.length));
  return { result, packages: [...packages].sort(), own, children };
}

beforeAll(() => {
  ensureBuilt();
  scratch = mkdtempSync(path.join(os.tmpdir(), 'meshfork-fastpaths-'));
  preload = path.join(scratch, 'preload.js');
  writeFileSync(preload, PRELOAD);
});

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('start-up', () => {
  it.each([['--version'], ['--help'], ['sync', '--help'], ['apply', '--help']])(
    'meshfork %s loads commander and the CLI files only',
    async (...args) => {
      const run = await recorded(args);
      expect(run.result.exitCode).toBe(0);
      expect(run.packages).toEqual(['commander']);
      expect(run.own.filter((m) => !m.startsWith(`cli${path.sep}`))).toEqual(['errors.js', path.join('util', 'progress.js')]);
    },
  );
});

describe('warm sync check with an npm upstream', () => {
  let project: string;

  beforeAll(async () => {
    project = writeProject(path.join(scratch, 'npm-project'), FIXTURE_SERIES);
    rmSync(path.join(project, 'patches', 'README.md'));
    await syncCheck({ cwd: project, to: '1.1.55', cacheDir: SHARED_CACHE }); // fill the cache
  });

  it('loads no zod, tar, diff, execa or proper-lockfile, spawns nothing, and prints the report the schema describes', async () => {
    const run = await recorded(['-C', project, '--json', 'sync', 'check', '--to', '1.1.55'], { MESHFORK_CACHE: SHARED_CACHE });
    expect(run.result.exitCode).toBe(0);
    expect(run.packages).toEqual(['commander', 'semver']);
    expect(run.children).toEqual([]);
    // The report is typed by the zod schema and no longer parsed by it on every run: parsing the
    // real output with it must give back every byte (values, and the key order zod would write).
    const parsed = syncCheckReportSchema.parse(JSON.parse(run.result.stdout));
    expect(`${JSON.stringify(parsed, null, 2)}\n`).toBe(run.result.stdout);
  });
});

describe('no child process left behind with a git upstream', () => {
  let project: string;

  beforeAll(async () => {
    const work = path.join(scratch, 'upstream-work');
    mkdirSync(work);
    const identity = {
      GIT_AUTHOR_NAME: 'Upstream',
      GIT_AUTHOR_EMAIL: 'u@example.invalid',
      GIT_COMMITTER_NAME: 'Upstream',
      GIT_COMMITTER_EMAIL: 'u@example.invalid',
      GIT_AUTHOR_DATE: '1700000000 +0000',
      GIT_COMMITTER_DATE: '1700000000 +0000',
    };
    await runGit(['init', '-q', '-b', 'main'], { cwd: work });
    writeFileSync(path.join(work, 'readme.md'), 'hello\n');
    await runGit(['add', '-A'], { cwd: work });
    await runGit(['commit', '-q', '-m', 'Release 1.1.55'], { cwd: work, env: identity });
    await runGit(['tag', 'v1.1.55'], { cwd: work });
    const bare = path.join(scratch, 'upstream.git');
    await runGit(['clone', '-q', '--bare', work, bare], { cwd: scratch });
    const series = path.join(scratch, 'git-series');
    mkdirSync(series);
    writeFileSync(
      path.join(series, 'add-a-line-to-the-readme.patch'),
      'From: Fork Maintainers <maintainers@example.invalid>\nSubject: Add a line to the readme\n\nUpstream-Status: Inappropriate [test]\nMeshfork-Base: 1.1.55\n---\ndiff --git a/readme.md b/readme.md\n--- a/readme.md\n+++ b/readme.md\n@@ -1 +1,2 @@\n hello\n+world\n',
    );
    writeFileSync(path.join(series, 'series'), 'add-a-line-to-the-readme.patch\n');
    project = writeProject(path.join(scratch, 'git-project'), series, { source: 'git', url: pathToFileURL(bare).href, tagPattern: 'v*' });
  });

  const env = () => ({ MESHFORK_CACHE: path.join(scratch, 'git-cache') });

  it.each([
    ['upstream list', 0, ['upstream', 'list']],
    ['sync check (cold, then warm)', 0, ['sync', 'check', '--to', '1.1.55']],
    ['sync check again', 0, ['sync', 'check', '--to', '1.1.55']],
    ['apply', 0, ['apply', '--out', 'build/out']],
    ['edit', 0, ['edit']],
    ['export', 0, ['export']],
    ['sync status', 0, ['sync', 'status']],
  ])('%s: exit %d, no child process of its own left', async (_name, exitCode, args) => {
    const run = await recorded(['-C', project, ...args], env());
    expect({ exitCode: run.result.exitCode, stderr: run.result.stderr }).toEqual({ exitCode, stderr: '' });
    expect(run.children).toEqual([]);
  });
});
