/*
 * verify's words are facts (issue 22, items 5 and 6): a hunk of patch 2 that does not apply is
 * labelled with the base release's own line (and the line with the earlier patches beside it), a lock
 * that does not match upstream fails the config check instead of passing it, and `series` says it
 * parsed the patches, not that it verified them against upstream.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureBuilt, runCli } from '../support/cli';
import { buildTinyUpstream, git, makePatches, numberedLines, writeTinyProject, type TinyUpstream } from '../support/tinyUpstream';

describe('verify labels and verdicts', () => {
  let tmp: string;
  let upstream: TinyUpstream;
  let patches: Record<string, string>;
  const env = () => ({ MESHFORK_CACHE: path.join(tmp, 'cache') });

  beforeAll(() => {
    ensureBuilt();
    tmp = mkdtempSync(path.join(os.tmpdir(), 'meshfork-verify-labels-'));
    upstream = buildTinyUpstream(tmp, { '1.0.0': { 'notes.txt': numberedLines('note', 40) } });
    patches = makePatches(upstream, '1.0.0', [
      // nine lines after base line 2: the later patch's @@ numbers count them
      {
        name: 'add-nine-lines.patch',
        subject: 'Add nine lines',
        edits: { 'notes.txt': (t) => t.replace('  note line 2;\n', `  note line 2;\n${numberedLines('added', 9)}`) },
      },
      {
        name: 'change-line-30.patch',
        subject: 'Change line 30',
        edits: { 'notes.txt': (t) => t.replace('  note line 30;\n', '  note line 30 (fork);\n') },
      },
    ]);
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  async function project(name: string, files: Record<string, string>): Promise<string> {
    const dir = writeTinyProject(path.join(tmp, name), upstream, '1.0.0', files);
    expect((await runCli(['upstream', 'fetch', '1.0.0'], { cwd: dir, env: env() })).exitCode).toBe(0);
    git(dir, ['add', '-A']);
    git(dir, ['commit', '-q', '-m', 'lock']);
    return dir;
  }

  it("a hunk of patch 2 that does not apply is labelled with the base's own line numbers", async () => {
    expect(patches['change-line-30.patch']).toContain('@@ -36,7 +36,7 @@');
    const broken = patches['change-line-30.patch'].replace(' note line 28;', ' note line 28 (stale);');
    const dir = await project('labels', { ...patches, 'change-line-30.patch': broken });
    const run = await runCli(['--json', 'verify'], { cwd: dir, env: env() });
    expect(run.exitCode).toBe(1);
    const [problem] = JSON.parse(run.stdout).checks.find((c: { id: string }) => c.id === 'applies-strictly').problems;
    expect(problem.message).toBe(
      'notes.txt hunk 1 does not apply at base line 27 (line 36 with the earlier patches); base line 28 (line 37 with the earlier patches) is "note line 28;", the patch expects "note line 28 (stale);"',
    );
  });

  it('a lock that does not match upstream fails the config check (exit 2); no "pass config" beside it', async () => {
    const dir = await project('lock', patches);
    const lockFile = path.join(dir, 'meshfork.lock.json');
    const commit = git(upstream.work, ['rev-parse', 'v1.0.0']).trim();
    const other = commit.replace(/^./, (c) => (c === '0' ? '1' : '0'));
    writeFileSync(lockFile, readFileSync(lockFile, 'utf8').replace(commit, other));
    const run = await runCli(['verify'], { cwd: dir, env: env() });
    expect(run.exitCode).toBe(2);
    expect(run.stdout).toMatch(/^FAIL {2}config {15}config and lock are valid$/m);
    expect(run.stdout).toContain(`release 1.0.0 is locked to commit ${other}, but its tag now points to ${commit}`);
    expect(run.stdout).not.toMatch(/^pass {2}config/m);
    expect(run.stdout).toMatch(/^skip {2}applies-strictly .*\(skipped: meshfork\.lock\.json does not match upstream \(see config\)\)$/m);
  });

  it('series says it parsed the patches, and does not claim they were verified against upstream', async () => {
    const dir = await project('series', patches);
    const run = await runCli(['series'], { cwd: dir, env: env() });
    expect(run.exitCode).toBe(0);
    expect(run.stdout).not.toContain('verified against upstream');
    expect(run.stdout).toContain('parsed; not applied to upstream (run `meshfork verify` or `meshfork sync check`)');
  });
});
