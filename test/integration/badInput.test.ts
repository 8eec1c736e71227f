/*
 * A bad input only the upstream tree reveals: a symlink in the release and a patch writing through
 * it. The bad-input corpus (test/fixtures/bad-input) runs in the reliability suite,
 * test/reliability/badInput.test.ts.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runGit } from '../../src/tools/git';
import { ensureBuilt, runCli } from '../support/cli';
import { treeDigest } from '../support/treeDigest';

/*
 * Symlink escape: an upstream release (a real file:// git upstream with one tagged commit) that
 * contains a symlink pointing outside the tree, and a patch that creates a file through it.
 */
describe('symlink escape through `meshfork apply`', () => {
  let scratch: string;
  let outside: string;
  let project: string;

  beforeAll(async () => {
    ensureBuilt();
    scratch = mkdtempSync(path.join(os.tmpdir(), 'meshfork-symlink-escape-'));
    outside = path.join(scratch, 'outside');
    mkdirSync(outside);
    writeFileSync(path.join(outside, 'keep.txt'), 'outside the tree\n');
    const upstream = path.join(scratch, 'upstream');
    mkdirSync(upstream);
    await runGit(['init', '--quiet', '--initial-branch=main', upstream], { cwd: scratch });
    writeFileSync(path.join(upstream, 'package.json'), '{ "name": "meshcentral", "version": "1.0.0" }\n');
    writeFileSync(path.join(upstream, 'webserver.js'), "'use strict';\r\n");
    symlinkSync(outside, path.join(upstream, 'escape'));
    await runGit(['add', '-A'], { cwd: upstream });
    await runGit(['commit', '--quiet', '-m', 'release 1.0.0'], {
      cwd: upstream,
      env: {
        GIT_AUTHOR_NAME: 'U',
        GIT_AUTHOR_EMAIL: 'u@example.invalid',
        GIT_COMMITTER_NAME: 'U',
        GIT_COMMITTER_EMAIL: 'u@example.invalid',
      },
    });
    await runGit(['tag', 'v1.0.0'], { cwd: upstream });

    project = path.join(scratch, 'project');
    mkdirSync(path.join(project, 'patches'), { recursive: true });
    writeFileSync(
      path.join(project, 'meshfork.config.json'),
      `${JSON.stringify({ upstream: { source: 'git', url: `file://${upstream}`, tagPattern: 'v*' }, base: '1.0.0', supports: '>=1.0.0 <2' }, null, 2)}\n`,
    );
    writeFileSync(path.join(project, 'patches', 'series'), 'write-through-link.patch\n');
    writeFileSync(
      path.join(project, 'patches', 'write-through-link.patch'),
      [
        'From: Fork Maintainers <maintainers@example.invalid>',
        'Subject: Write through a link',
        '',
        'Upstream-Status: Inappropriate [test fixture]',
        '---',
        'diff --git a/escape/pwned.js b/escape/pwned.js',
        'new file mode 100644',
        '--- /dev/null',
        '+++ b/escape/pwned.js',
        '@@ -0,0 +1 @@',
        '+pwned',
        '',
      ].join('\n'),
    );
  });

  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('the series itself is valid (the path is lexically fine; only the tree makes it unsafe)', async () => {
    const result = await runCli(['-C', project, 'series']);
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
  });

  // The release holds a symlink to a folder outside it; a patch must not write through it.
  it('refuses with PATH_UNSAFE (exit 2), writes nothing outside the tree and does not create DIR', async () => {
    const before = treeDigest(outside);
    const out = path.join(scratch, 'out');
    const result = await runCli(['-C', project, 'apply', '--to', '1.0.0', '--out', out], {
      env: { NO_COLOR: '1', MESHFORK_CACHE: path.join(scratch, 'cache') },
    });
    const outsideAfter = treeDigest(outside);
    expect(outsideAfter).toBe(before);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/^error\[PATH_UNSAFE\]: .*escape\/pwned\.js.*symlink/m);
    expect(existsSync(out)).toBe(false);
  });
});
