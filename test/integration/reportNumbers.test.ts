/*
 * The numbers a sync check report gives for a patch that follows another patch on the same file, on
 * a small git upstream built here (real git, the built bin/meshfork; no release from the registry):
 *
 *   v0.9.0  app.js: 60 lines, line 31 reads "old 31"
 *   v1.0.0  (the base) "Reword line 31": line 31 reads "app line 31"
 *   v1.1.0  on v1.0.0: 5 header lines, and "Change line 31"
 *   v1.0.1  on v0.9.0 (branched from the older tag, lacks "Reword line 31"): the same 5 header lines
 *
 *   a.patch  inserts 2 lines after line 10
 *   b.patch  hunk 1 inserts a line after line 30 (context: lines 28-33), hunk 2 replaces line 50
 *
 * On both targets b.patch's hunk 1 conflicts on line 31 and hunk 2 applies shifted.
 *   - offset (item 8): hunk 2's offset is git apply -v's (targetLine - the @@ new start), checked
 *     against `git apply -v --reject` itself
 *   - differing lines (item 9): "Lines of 1.1.0 that differ" are counted in 1.1.0 (line 36), not in
 *     1.1.0 plus a.patch (38)
 *   - a target that does not descend from the base (item 10): the line differs because 1.0.1 lacks
 *     "Reword line 31", and the report says so (lackedBaseCommits)
 *   - `-q sync check` prints the verdict line
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { gitText, runGit } from '../../src/tools/git';
import { ensureBuilt, runCli, type CliResult } from '../support/cli';

const IDENTITY = {
  GIT_AUTHOR_NAME: 'Up Stream',
  GIT_AUTHOR_EMAIL: 'up@example.invalid',
  GIT_COMMITTER_NAME: 'Up Stream',
  GIT_COMMITTER_EMAIL: 'up@example.invalid',
};
const HEADER = ['new 1', 'new 2', 'new 3', 'new 4', 'new 5'];

let tmp: string;
let work: string;
let project: string;
let cacheDir: string;
let day = 0;
const ids: Record<string, string> = {};

const appLines = (edit: (lines: string[]) => void): string => {
  const lines = Array.from({ length: 60 }, (_, i) => `app line ${i + 1}`);
  edit(lines);
  return `${lines.join('\n')}\n`;
};

async function commit(text: string, message: string): Promise<string> {
  writeFileSync(path.join(work, 'app.js'), text);
  await runGit(['add', '--all'], { cwd: work });
  day += 1;
  const date = `${Date.UTC(2026, 0, day) / 1000} +0000`;
  await runGit(['commit', '--quiet', '-m', message], { cwd: work, env: { ...IDENTITY, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date } });
  return gitText(['rev-parse', 'HEAD'], { cwd: work });
}

const git = (args: string[]): Promise<string> => gitText(args, { cwd: work });
const cli = (args: string[]): Promise<CliResult> => runCli(['-C', project, ...args], { env: { MESHFORK_CACHE: cacheDir } });

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'meshfork-report-numbers-'));
  cacheDir = path.join(tmp, 'cache');
  work = path.join(tmp, 'upstream');
  mkdirSync(work);
  await runGit(['init', '--quiet', '--initial-branch=main'], { cwd: work });
  writeFileSync(path.join(work, 'package.json'), '{"name":"meshcentral"}\n');
  await commit(
    appLines((l) => (l[30] = 'old 31')),
    'Release 0.9.0',
  );
  await git(['tag', 'v0.9.0']);
  ids.reword = await commit(
    appLines(() => {}),
    'Reword line 31',
  );
  await git(['tag', 'v1.0.0']);
  // the series, made with git diff on the base
  await git(['checkout', '--quiet', '-b', 'fork']);
  const a = appLines((l) => l.splice(10, 0, 'fork A1', 'fork A2'));
  writeFileSync(path.join(work, 'app.js'), a);
  const aDiff = await git(['diff']);
  await runGit(['commit', '--quiet', '-am', 'A'], { cwd: work, env: IDENTITY });
  writeFileSync(path.join(work, 'app.js'), a.replace('app line 30\n', 'app line 30\nfork B1\n').replace('app line 50\n', 'fork B2\n'));
  const bDiff = await git(['diff']);
  writeFileSync(path.join(tmp, 'a.diff'), `${aDiff}\n`);
  writeFileSync(path.join(tmp, 'b.diff'), `${bDiff}\n`);
  await git(['checkout', '--quiet', '--force', 'main']);
  ids.change = await commit(
    appLines((l) => ((l[30] = 'upstream changed 31'), l.unshift(...HEADER))),
    'Change line 31',
  );
  await git(['tag', 'v1.1.0']);
  await git(['checkout', '--quiet', '-b', 'old', 'v0.9.0']);
  ids.header = await commit(
    appLines((l) => ((l[30] = 'old 31'), l.unshift(...HEADER))),
    'Add a header',
  );
  await git(['tag', 'v1.0.1']);
  await git(['checkout', '--quiet', 'main']);

  project = path.join(tmp, 'project');
  mkdirSync(path.join(project, 'patches'), { recursive: true });
  for (const [name, diff] of [
    ['a.patch', aDiff],
    ['b.patch', bDiff],
  ]) {
    const header = [
      'From: Fork <fork@example.invalid>',
      `Subject: Patch ${name[0]}`,
      '',
      'Upstream-Status: Inappropriate [test fixture]',
      'Meshfork-Base: 1.0.0',
      '---',
      '',
    ].join('\n');
    writeFileSync(path.join(project, 'patches', name), `${header}${diff}\n`);
  }
  writeFileSync(path.join(project, 'patches', 'series'), 'a.patch\nb.patch\n');
  const config = {
    upstream: { source: 'git', url: pathToFileURL(work).href, tagPattern: 'v*' },
    base: '1.0.0',
    supports: '>=0.9.0 <2',
    patches: 'patches',
  };
  writeFileSync(path.join(project, 'meshfork.config.json'), `${JSON.stringify(config, null, 2)}\n`);
  ensureBuilt();
}, 300_000);

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Hunk {
  index: number;
  status: string;
  targetLine: number | null;
  offset: number | null;
  differingLines: { line: number; releaseLine: number | null; expected: string; actual: string }[];
  culprits: { commit: string }[] | null;
  lackedBaseCommits: { commit: string; subject: string }[] | null;
}

async function bHunks(version: string): Promise<Hunk[]> {
  const run = await cli(['--json', 'sync', 'check', '--to', version]);
  expect(run.exitCode).toBe(1);
  const report = JSON.parse(run.stdout) as { releases: { patches: { name: string; files: { hunks: Hunk[] }[] }[] }[] };
  return report.releases[0].patches.find((p) => p.name === 'b.patch')!.files[0].hunks;
}

test("item 8: a later patch's placed hunk after a left-out hunk has git apply -v's offset (4, not 5)", async () => {
  // git itself, on a checkout of 1.1.0 with a.patch applied
  await git(['checkout', '--quiet', 'v1.1.0']);
  await runGit(['apply', path.join(tmp, 'a.diff')], { cwd: work });
  const gitRun = await runGit(['apply', '-v', '--reject', path.join(tmp, 'b.diff')], { cwd: work, okExitCodes: [1] });
  await git(['checkout', '--quiet', '--force', 'main']);
  await git(['clean', '-q', '-fdx']);
  expect(gitRun.stderr.toString()).toContain('Hunk #2 succeeded at 54 (offset 4 lines).');

  const [first, second] = await bHunks('1.1.0');
  expect(first.status).toBe('conflict');
  expect(second).toMatchObject({ status: 'offset', targetLine: 54, offset: 4 });
});

test('item 9: "Lines of 1.1.0 that differ" counts lines in 1.1.0 itself (36), not with a.patch applied (38)', async () => {
  const [first] = await bHunks('1.1.0');
  expect(first.differingLines).toEqual([
    { line: 38, releaseLine: 36, expected: 'app line 31', actual: 'upstream changed 31', difference: 'content', endings: null },
  ]);
  expect(readFileSync(path.join(work, 'app.js'), 'utf8').split('\n')[35]).toBe('upstream changed 31'); // main is 1.1.0
  expect(first.culprits?.map((c) => c.commit)).toEqual([ids.change]);
  expect(first.lackedBaseCommits).toEqual([]);
  const md = await cli(['sync', 'check', '--to', '1.1.0', '--format', 'markdown']);
  expect(md.stdout).toContain(
    "Lines of 1.1.0 that differ from the patch's context (- expected, + upstream):\n\n```diff\n- 36: app line 31\n+ 36: upstream changed 31\n```",
  );
  const text = await cli(['sync', 'check', '--to', '1.1.0']);
  expect(text.stdout).toContain('        line 36 expected: app line 31\n                upstream: upstream changed 31\n');
});

test('item 10: a release branched from an older tag: the report names the base commit it lacks for the line that differs', async () => {
  const [first, second] = await bHunks('1.0.1');
  expect(first.status).toBe('conflict');
  expect(first.differingLines.map((d) => [d.releaseLine, d.actual])).toEqual([[36, 'old 31']]);
  // base..1.0.1 has only "Add a header", which did not touch line 31: the culprits cannot explain it
  expect(first.culprits?.map((c) => c.commit)).not.toContain(ids.reword);
  expect(first.lackedBaseCommits).toEqual([expect.objectContaining({ commit: ids.reword, subject: 'Reword line 31' })]);
  expect(second.lackedBaseCommits).toBeNull(); // applied: nothing to explain
  const md = await cli(['sync', 'check', '--to', '1.0.1', '--format', 'markdown']);
  expect(md.stdout).toContain(
    `Base commits that 1.0.1 lacks (it does not descend from the base) and that changed these lines, so they differ because 1.0.1 never got them:\n\n- \`${ids.reword.slice(0, 10)}\` Reword line 31 (Up Stream, 2026-01-02)\n`,
  );
  const text = await cli(['sync', 'check', '--to', '1.0.1']);
  expect(text.stdout).toContain(`        lacks base commit ${ids.reword.slice(0, 10)} Reword line 31 (Up Stream, 2026-01-02)\n`);
});

test('-q sync check prints the verdict line (and nothing else), whatever the exit code', async () => {
  const conflict = await cli(['-q', 'sync', 'check', '--to', '1.1.0']);
  expect([conflict.exitCode, conflict.stdout, conflict.stderr]).toEqual([
    1,
    'conflict: 1.1.0: 1 of 2 patches conflict (1 conflict, 1 offset)\n',
    '',
  ]);
  const clean = await cli(['-q', 'sync', 'check', '--to', '1.0.0']);
  expect([clean.exitCode, clean.stdout, clean.stderr]).toEqual([0, 'clean: 1.0.0: every patch applies exactly (2 patches)\n', '']);
});
