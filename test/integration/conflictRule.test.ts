/*
 * One rule for conflict vs refresh (issue 22, item 3). On a synthetic release, two patches that do
 * not apply to their own base: one whose every context line is wrong, one whose context carries a
 * changed value ("express": "4.99.9" where the release has "4.21.2"; GNU patch would place it with
 * fuzz 1). verify, sync check and sync rebase all call each a conflict (exit 1); the rebase stops
 * with conflict markers in the file, sync status says what to do, sync continue refuses while the
 * markers remain and takes the resolution once they are gone.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureBuilt, runCli } from '../support/cli';
import { buildTinyUpstream, git, makePatches, numberedLines, writeTinyProject, type TinyUpstream } from '../support/tinyUpstream';

const PACKAGE_BODY = [
  '{',
  '  "name": "meshcentral",',
  '  "dependencies": {',
  '    "archiver": "7.0.1",',
  '    "body-parser": "1.20.3",',
  '    "cbor": "5.2.0",',
  '    "express": "4.21.2",',
  '    "express-handlebars": "7.1.3",',
  '    "ws": "8.18.0"',
  '  }',
  '}',
  '',
].join('\n');

describe('conflict or refresh: verify, sync check and sync rebase agree', () => {
  let tmp: string;
  let upstream: TinyUpstream;
  let cache: string;
  let patches: Record<string, string>;

  beforeAll(() => {
    ensureBuilt();
    tmp = mkdtempSync(path.join(os.tmpdir(), 'meshfork-conflict-rule-'));
    cache = path.join(tmp, 'cache');
    upstream = buildTinyUpstream(tmp, {
      '1.0.0': { 'lib/server.txt': numberedLines('server', 40), 'deps.json': PACKAGE_BODY },
      '1.1.0': { 'lib/server.txt': `  // new in 1.1.0\n${numberedLines('server', 40)}`, 'deps.json': PACKAGE_BODY },
    });
    patches = makePatches(upstream, '1.0.0', [
      {
        name: 'change-server-line-20.patch',
        subject: 'Change server line 20',
        edits: { 'lib/server.txt': (t) => t.replace('  server line 20;\n', '  server line 20 (fork);\n') },
      },
      {
        name: 'add-jsonwebtoken.patch',
        subject: 'Add jsonwebtoken',
        edits: {
          'deps.json': (t) =>
            t.replace('    "express-handlebars": "7.1.3",\n', '    "express-handlebars": "7.1.3",\n    "jsonwebtoken": "9.0.2",\n'),
        },
      },
    ]);
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  const env = () => ({ MESHFORK_CACHE: cache });

  /** A project whose patches/ has `edit` applied to one patch's text (the fault checked to land). */
  async function project(name: string, patch: string, edit: (text: string) => string): Promise<string> {
    const edited = edit(patches[patch]);
    if (edited === patches[patch]) throw new Error(`the edit of ${patch} changed nothing: the fault did not land`);
    const dir = writeTinyProject(path.join(tmp, name), upstream, '1.0.0', { ...patches, [patch]: edited });
    const fetch = await runCli(['upstream', 'fetch', '1.0.0'], { cwd: dir, env: env() });
    expect(fetch.exitCode).toBe(0);
    git(dir, ['add', '-A']);
    git(dir, ['commit', '-q', '-m', 'lock']);
    return dir;
  }

  // Every context line of hunk 1 of patch 1 wrong: the release has "server line 17..19, 21..23".
  const everyContextWrong = (t: string) => t.replace(/^ {3}server line (1[789]|2[123]);$/gm, '   server line $1 (stale);');
  // The first context line of patch 2 names another express version.
  const changedValue = (t: string) => t.replace(' "express": "4.21.2",', ' "express": "4.99.9",');

  it.each([
    ['every context line wrong', 'change-server-line-20.patch', everyContextWrong, 'lib/server.txt'],
    ['a changed context value', 'add-jsonwebtoken.patch', changedValue, 'deps.json'],
  ])('%s: verify, sync check and sync rebase each say conflict (exit 1)', async (label, patch, edit, file) => {
    const dir = await project(label.replace(/ /g, '-'), patch, edit);

    const verify = await runCli(['--json', 'verify'], { cwd: dir, env: env() });
    expect(verify.exitCode).toBe(1);
    const applies = JSON.parse(verify.stdout).checks.find((c: { id: string }) => c.id === 'applies-strictly');
    expect(applies).toMatchObject({ status: 'fail', kind: 'broken' });
    expect(applies.problems[0].message).toMatch(
      new RegExp(`^${file.replace('.', '\\.')} hunk 1 does not apply at base line \\d+; base line \\d+ is `),
    );
    expect(applies.problems[0].message).not.toContain('fuzz');
    expect(applies.problems[0].hint).toBe(
      'fix the patch so it applies to 1.0.0: `meshfork sync rebase --to 1.0.0` stops at it with conflict markers for you to resolve, then `meshfork sync continue`',
    );

    for (const to of ['1.0.0', '1.1.0']) {
      const check = await runCli(['--json', 'sync', 'check', '--to', to], { cwd: dir, env: env() });
      expect(check.exitCode).toBe(1);
      const report = JSON.parse(check.stdout);
      expect(report.releases[0].patches.find((p: { name: string }) => p.name === patch).status).toBe('conflict');
    }

    // The hint's command: it stops on the patch with markers the user can resolve.
    const rebase = await runCli(['sync', 'rebase', '--to', '1.0.0'], { cwd: dir, env: env() });
    expect(rebase.exitCode).toBe(1);
    const work = path.join(dir, '.meshfork', 'work');
    const conflicted = readFileSync(path.join(work, file), 'utf8');
    expect(conflicted).toMatch(/^<<<<<<< upstream$/m);
    expect(conflicted).toMatch(/^=======$/m);
    expect(conflicted).toMatch(/^>>>>>>> patch \(hunk 1 does not apply: resolve by hand\)$/m);

    const status = await runCli(['--json', 'sync', 'status'], { cwd: dir, env: env() });
    expect(status.exitCode).toBe(0);
    expect(JSON.stringify(JSON.parse(status.stdout))).toContain(file);

    const early = await runCli(['--json', 'sync', 'continue'], { cwd: dir, env: env() });
    expect(early.exitCode).toBe(1);
    const markerLine = expect.stringMatching(new RegExp(`^${file.replace('.', '\\.')}:\\d+$`));
    expect(JSON.parse(early.stdout).error).toMatchObject({ code: 'CONFLICT', markers: [markerLine, markerLine] });

    // Resolve as the patch meant it: the release's file with the patch's change.
    const intended =
      patch === 'add-jsonwebtoken.patch'
        ? upstream.releases['1.0.0'][file].replace(
            '    "express-handlebars": "7.1.3",\n',
            '    "express-handlebars": "7.1.3",\n    "jsonwebtoken": "9.0.2",\n',
          )
        : upstream.releases['1.0.0'][file].replace('  server line 20;\n', '  server line 20 (fork);\n');
    writeFileSync(path.join(work, file), intended);
    const resolved = await runCli(['sync', 'continue'], { cwd: dir, env: env() });
    expect(resolved.stderr).not.toContain('error');
    expect(resolved.exitCode).toBe(0);
    expect(existsSync(path.join(dir, '.meshfork', 'rebase.json'))).toBe(false);
    // The refreshed series is the one made from the release: verify passes (the tiny project has no image assets to check).
    const after = await runCli(['verify'], { cwd: dir, env: env() });
    expect(after.stdout).toMatch(/^skip {2}image-assets .*\(skipped: no image assets configured \(image\.assets\)\)$/m);
    expect(after.stdout).toMatch(/^verify: ok \(8 passed\)$/m);
    expect(after.exitCode).toBe(0);
    expect(readFileSync(path.join(dir, 'patches', patch), 'utf8')).not.toMatch(/stale|4\.99\.9/);
  });
});
