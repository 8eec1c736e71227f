/*
 * A workspace out of step with patches/ (issue 22, item 7): edit, amend the patch in the workspace,
 * export, then `git checkout patches` puts the old patches/ back. sync status says the workspace is
 * out of step (not "in step with patches/"); edit without --force refuses (STATE_INVALID, exit 2) and
 * keeps the workspace's commit; export writes it back; edit --force rebuilds from patches/.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureBuilt, runCli } from '../support/cli';
import { buildTinyUpstream, git, makePatches, numberedLines, writeTinyProject } from '../support/tinyUpstream';

const GIT_ENV = {
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_AUTHOR_NAME: 'Dev',
  GIT_AUTHOR_EMAIL: 'dev@example.invalid',
  GIT_COMMITTER_NAME: 'Dev',
  GIT_COMMITTER_EMAIL: 'dev@example.invalid',
};

describe('workspace drift after patches/ changed under it', () => {
  let tmp: string;
  beforeAll(() => {
    ensureBuilt();
    tmp = mkdtempSync(path.join(os.tmpdir(), 'meshfork-drift-'));
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('sync status reports it, edit refuses without --force, export writes the workspace back', async () => {
    const upstream = buildTinyUpstream(tmp, { '1.0.0': { 'notes.txt': numberedLines('note', 20) } });
    const patches = makePatches(upstream, '1.0.0', [
      {
        name: 'change-line-5.patch',
        subject: 'Change line 5',
        edits: { 'notes.txt': (t) => t.replace('  note line 5;\n', '  note line 5 (fork);\n') },
      },
    ]);
    const env = { MESHFORK_CACHE: path.join(tmp, 'cache') };
    const dir = writeTinyProject(path.join(tmp, 'project'), upstream, '1.0.0', patches);
    expect((await runCli(['edit'], { cwd: dir, env })).exitCode).toBe(0);
    // The series as export writes it, committed: the state `git checkout patches` returns to.
    expect((await runCli(['export'], { cwd: dir, env })).exitCode).toBe(0);
    git(dir, ['add', '-A']);
    git(dir, ['commit', '-q', '-m', 'exported']);
    const committed = readFileSync(path.join(dir, 'patches', 'change-line-5.patch'), 'utf8');

    // Work in the workspace, exported, then thrown away in the project with git.
    const work = path.join(dir, '.meshfork', 'work');
    writeFileSync(
      path.join(work, 'notes.txt'),
      readFileSync(path.join(work, 'notes.txt'), 'utf8').replace('  note line 9;\n', '  note line 9 (fork too);\n'),
    );
    git(work, ['-c', 'user.name=Dev', '-c', 'user.email=dev@example.invalid', 'commit', '-q', '-a', '--amend', '--no-edit']);
    const head = git(work, ['rev-parse', 'HEAD']).trim();
    expect((await runCli(['export'], { cwd: dir, env })).exitCode).toBe(0);
    expect(readFileSync(path.join(dir, 'patches', 'change-line-5.patch'), 'utf8')).toContain('note line 9 (fork too)');
    const inStep = await runCli(['sync', 'status'], { cwd: dir, env });
    expect(inStep.stdout).toContain(', in step with patches/.');
    git(dir, ['checkout', '--', 'patches']);
    expect(readFileSync(path.join(dir, 'patches', 'change-line-5.patch'), 'utf8')).toBe(committed);

    const status = await runCli(['sync', 'status'], { cwd: dir, env: { ...env, ...GIT_ENV } });
    expect(status.exitCode).toBe(0);
    expect(status.stdout).not.toContain('in step with patches/');
    expect(status.stdout).toContain(
      'out of step: patches/ changed since the workspace last matched it (`meshfork export` writes the workspace back, `meshfork edit --force` rebuilds it from patches/)',
    );
    const json = await runCli(['--json', 'sync', 'status'], { cwd: dir, env });
    expect(JSON.parse(json.stdout).workspace).toMatchObject({ unexported: false, drifted: true });

    const refused = await runCli(['--json', 'edit'], { cwd: dir, env });
    expect(refused.exitCode).toBe(2);
    expect(JSON.parse(refused.stdout).error).toMatchObject({ code: 'STATE_INVALID', head });
    expect(JSON.parse(refused.stdout).error.message).toContain('changed since the workspace');
    expect(git(work, ['rev-parse', 'HEAD']).trim()).toBe(head);

    // export keeps the work: patches/ gets it back, and the workspace is in step again.
    expect((await runCli(['export'], { cwd: dir, env })).exitCode).toBe(0);
    expect(readFileSync(path.join(dir, 'patches', 'change-line-5.patch'), 'utf8')).toContain('note line 9 (fork too)');
    expect((await runCli(['sync', 'status'], { cwd: dir, env })).stdout).toContain(', in step with patches/.');

    // Thrown away on purpose: edit --force rebuilds from the committed patches/.
    git(dir, ['checkout', '--', 'patches']);
    const forced = await runCli(['edit', '--force'], { cwd: dir, env });
    expect(forced.exitCode).toBe(0);
    expect(readFileSync(path.join(work, 'notes.txt'), 'utf8')).not.toContain('fork too');
    expect((await runCli(['sync', 'status'], { cwd: dir, env })).stdout).toContain(', in step with patches/.');
  });
});
