/*
 * verify checks the series after every patch, and its hint fixes the patch it names (issue 22,
 * item 4). A synthetic release with three .js files and a series of three patches:
 * - a syntax error made by patch 1 of 3: the hint's flow (edit, fix, a fixup commit autosquashed into
 *   patch 1, export) is run as written and puts the fix in patch 1; verify then passes;
 * - a syntax error patch 1 makes and patch 3 repairs: the final tree parses, but the series does not
 *   parse after patch 1, so verify fails naming patch 1.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fixPatchHint } from '../../src/verify/checkPatchedFiles';
import { ensureBuilt, runCli } from '../support/cli';
import { buildTinyUpstream, git, makePatches, writeTinyProject, type TinyUpstream } from '../support/tinyUpstream';

const js = (name: string) =>
  `'use strict';\n${Array.from({ length: 12 }, (_, i) => `const ${name}${i + 1} = ${i + 1};`).join('\n')}\nmodule.exports = { ${name}1 };\n`;

describe('verify: every prefix parses, and the hint fixes the patch it names', () => {
  let tmp: string;
  let upstream: TinyUpstream;
  const env = () => ({ MESHFORK_CACHE: path.join(tmp, 'cache') });

  beforeAll(() => {
    ensureBuilt();
    tmp = mkdtempSync(path.join(os.tmpdir(), 'meshfork-verify-prefixes-'));
    upstream = buildTinyUpstream(tmp, { '1.0.0': { 'lib/a.js': js('a'), 'lib/b.js': js('b'), 'lib/c.js': js('c') } });
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  async function project(name: string, patches: Record<string, string>): Promise<string> {
    const dir = writeTinyProject(path.join(tmp, name), upstream, '1.0.0', patches);
    expect((await runCli(['upstream', 'fetch', '1.0.0'], { cwd: dir, env: env() })).exitCode).toBe(0);
    git(dir, ['add', '-A']);
    git(dir, ['commit', '-q', '-m', 'lock']);
    return dir;
  }

  it('a syntax error from patch 1 of 3: the hint names the fixup flow, which fixes patch 1; verify then passes', async () => {
    const patches = makePatches(upstream, '1.0.0', [
      { name: 'one.patch', subject: 'One', edits: { 'lib/a.js': (t) => t.replace('const a6 = 6;', 'const a6 = (6;') } },
      { name: 'two.patch', subject: 'Two', edits: { 'lib/b.js': (t) => t.replace('const b6 = 6;', 'const b6 = 66;') } },
      { name: 'three.patch', subject: 'Three', edits: { 'lib/c.js': (t) => t.replace('const c6 = 6;', 'const c6 = 666;') } },
    ]);
    const dir = await project('fixup', patches);
    const before = await runCli(['--json', 'verify'], { cwd: dir, env: env() });
    expect(before.exitCode).toBe(1);
    const check = JSON.parse(before.stdout).checks.find((c: { id: string }) => c.id === 'patched-js-parses');
    expect(check.problems).toEqual([
      {
        patch: 'one.patch',
        file: 'lib/a.js',
        line: 7,
        message: expect.stringMatching(/^SyntaxError: .* \(in lib\/a\.js as one\.patch leaves it\)$/),
        hint: 'fix the patch: `meshfork edit`, correct lib/a.js in .meshfork/work, check it with `node --check lib/a.js`, then there `git commit -a --fixup=HEAD~2 && GIT_SEQUENCE_EDITOR=: git rebase -q -i --autosquash upstream`, then `meshfork export`',
      },
    ]);
    expect(check.problems[0].hint).toBe(fixPatchHint('lib/a.js', 0, 3, 'check it with `node --check lib/a.js`'));

    // The hint, step by step.
    expect((await runCli(['edit'], { cwd: dir, env: env() })).exitCode).toBe(0);
    const work = path.join(dir, '.meshfork', 'work');
    writeFileSync(
      path.join(work, 'lib/a.js'),
      readFileSync(path.join(work, 'lib/a.js'), 'utf8').replace('const a6 = (6;', 'const a6 = (6);'),
    );
    execFileSync('node', ['--check', 'lib/a.js'], { cwd: work });
    const gitEnv = {
      ...process.env,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_AUTHOR_NAME: 'Fixer',
      GIT_AUTHOR_EMAIL: 'fixer@example.invalid',
      GIT_COMMITTER_NAME: 'Fixer',
      GIT_COMMITTER_EMAIL: 'fixer@example.invalid',
    };
    execFileSync('sh', ['-c', 'git commit -q -a --fixup=HEAD~2 && GIT_SEQUENCE_EDITOR=: git rebase -q -i --autosquash upstream'], {
      cwd: work,
      env: gitEnv,
      stdio: 'pipe',
    });
    const exported = await runCli(['export'], { cwd: dir, env: env() });
    expect(exported.exitCode).toBe(0);

    expect(readFileSync(path.join(dir, 'patches', 'one.patch'), 'utf8')).toContain('+const a6 = (6);');
    const three = readFileSync(path.join(dir, 'patches', 'three.patch'), 'utf8');
    expect(three).toContain('+const c6 = 666;');
    expect(three).not.toContain('a6');
    const after = await runCli(['--json', 'verify'], { cwd: dir, env: env() });
    expect(JSON.parse(after.stdout).checks.filter((c: { status: string }) => c.status === 'fail')).toEqual([]);
    expect(after.exitCode).toBe(0);
  });

  it('a syntax error patch 1 makes and patch 3 repairs: verify fails naming patch 1 (exit 1)', async () => {
    const patches = makePatches(upstream, '1.0.0', [
      { name: 'one.patch', subject: 'One', edits: { 'lib/a.js': (t) => t.replace('const a6 = 6;', 'const a6 = (6;') } },
      { name: 'two.patch', subject: 'Two', edits: { 'lib/b.js': (t) => t.replace('const b6 = 6;', 'const b6 = 66;') } },
      { name: 'three.patch', subject: 'Three', edits: { 'lib/a.js': (t) => t.replace('const a6 = (6;', 'const a6 = (6);') } },
    ]);
    const dir = await project('repaired-later', patches);
    const run = await runCli(['--json', 'verify'], { cwd: dir, env: env() });
    expect(run.exitCode).toBe(1);
    const check = JSON.parse(run.stdout).checks.find((c: { id: string }) => c.id === 'patched-js-parses');
    expect(check).toMatchObject({ status: 'fail', title: 'every patched .js file parses after each patch that writes it (node --check)' });
    expect(check.problems).toEqual([
      expect.objectContaining({
        patch: 'one.patch',
        file: 'lib/a.js',
        line: 7,
        message: expect.stringMatching(
          /\(in lib\/a\.js as one\.patch leaves it; a later patch repairs it, but the series must parse after every patch\)$/,
        ),
        hint: fixPatchHint('lib/a.js', 0, 3, 'check it with `node --check lib/a.js`'),
      }),
    ]);
  });
});
