/*
 * The bad-input corpus: every folder under test/fixtures/bad-input is a small project (config,
 * patches/series, patch files) with one defect, and an expect.json naming the stable error code and a
 * message pattern (file and line, or config field path). Each is run through the built CLI:
 * `meshfork series` and `meshfork apply --out DIR` must exit 2 with that error, and write nothing
 * (the case folder's bytes are unchanged, DIR and the upstream cache are not created).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync, lstatSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runGit } from '../../src/tools/git';
import { ensureBuilt, runCli } from '../support/cli';
import { REPO_ROOT } from '../support/release';

const CORPUS = path.join(REPO_ROOT, 'test', 'fixtures', 'bad-input');

interface Expectation {
  why: string;
  code: string;
  /** Regular expression the error message must match (after "error[CODE]: "). */
  message: string;
}

/** A digest of every path, link target and byte under dir. */
function treeDigest(dir: string): string {
  const hash = createHash('sha256');
  const walk = (rel: string) => {
    const full = path.join(dir, rel);
    const stat = lstatSync(full);
    if (stat.isSymbolicLink()) hash.update(`L ${rel} ${readlinkSync(full)}\n`);
    else if (stat.isDirectory()) {
      hash.update(`D ${rel}\n`);
      for (const name of readdirSync(full).sort()) walk(path.join(rel, name));
    } else hash.update(`F ${rel} ${stat.mode.toString(8)}\n`).update(readFileSync(full));
  };
  walk('.');
  return hash.digest('hex');
}

const cases = readdirSync(CORPUS)
  .filter((name) => existsSync(path.join(CORPUS, name, 'expect.json')))
  .sort()
  .map((name) => [name, JSON.parse(readFileSync(path.join(CORPUS, name, 'expect.json'), 'utf8')) as Expectation] as const);

describe('bad-input corpus', () => {
  // Concurrent tests may start before beforeAll hooks finish (jest#7997): set up on first use instead.
  let scratch: string | undefined;
  const scratchDir = (): string => (scratch ??= mkdtempSync(path.join(os.tmpdir(), 'meshfork-bad-input-')));

  afterAll(() => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('has at least 25 cases covering the kinds the acceptance list names', () => {
    expect(cases.length).toBeGreaterThanOrEqual(25);
    const codes = new Set(cases.map(([, e]) => e.code));
    for (const code of ['PATCH_INVALID', 'PATCH_BINARY', 'PATH_UNSAFE', 'SERIES_INVALID', 'CONFIG_INVALID', 'CONFIG_MISSING']) expect(codes).toContain(code);
  });

  it.concurrent.each(cases)('%s: `meshfork series` exits 2 with the error, naming file and line (or field), and writes nothing', async (name, expected) => {
    ensureBuilt();
    const dir = path.join(CORPUS, name);
    const before = treeDigest(dir);
    const result = await runCli(['-C', dir, 'series'], { env: { NO_COLOR: '1' } });
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe('');
    const match = /^error\[([A-Z_]+)\]: (.*)$/m.exec(result.stderr);
    expect(match?.[1]).toBe(expected.code);
    expect(match?.[2]).toMatch(new RegExp(expected.message));
    expect(result.stderr).toMatch(/^hint: \S/m);
    expect(treeDigest(dir)).toBe(before);
  });

  // One case per error code is enough to show the --json error shape; every case runs without it above.
  const jsonSample = [...new Map(cases.map((c) => [c[1].code, c])).values()];

  it.concurrent.each(jsonSample)('%s: with --json the same error is the only thing on stdout', async (name, expected) => {
    ensureBuilt();
    const result = await runCli(['-C', path.join(CORPUS, name), '--json', 'series']);
    expect(result.exitCode).toBe(2);
    const body = JSON.parse(result.stdout) as { error: { code: string; message: string; hint?: string } };
    expect(body.error.code).toBe(expected.code);
    expect(body.error.message).toMatch(new RegExp(expected.message));
    expect(body.error.hint).toBeTruthy();
  });

  it.concurrent.each(cases)('%s: `meshfork apply --out DIR` exits 2 with the error and creates neither DIR nor a cache', async (name, expected) => {
    ensureBuilt();
    const dir = path.join(CORPUS, name);
    const before = treeDigest(dir);
    const work = mkdtempSync(path.join(scratchDir(), `${name}-`));
    const out = path.join(work, 'out');
    const cache = path.join(work, 'cache');
    const result = await runCli(['-C', dir, 'apply', '--to', '1.1.55', '--out', out], { env: { NO_COLOR: '1', MESHFORK_CACHE: cache } });
    expect(result.exitCode).toBe(2);
    expect(/^error\[([A-Z_]+)\]/m.exec(result.stderr)?.[1]).toBe(expected.code);
    expect(result.stderr).toMatch(new RegExp(expected.message));
    expect(result.stderr).toMatch(/^hint: \S/m);
    expect(existsSync(out)).toBe(false);
    expect(existsSync(cache)).toBe(false);
    expect(readdirSync(work)).toEqual([]);
    expect(treeDigest(dir)).toBe(before);
  });
});

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
    await runGit(['commit', '--quiet', '-m', 'release 1.0.0'], { cwd: upstream, env: { GIT_AUTHOR_NAME: 'U', GIT_AUTHOR_EMAIL: 'u@example.invalid', GIT_COMMITTER_NAME: 'U', GIT_COMMITTER_EMAIL: 'u@example.invalid' } });
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
    const result = await runCli(['-C', project, 'apply', '--to', '1.0.0', '--out', out], { env: { NO_COLOR: '1', MESHFORK_CACHE: path.join(scratch, 'cache') } });
    const outsideAfter = treeDigest(outside);
    expect(outsideAfter).toBe(before);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/^error\[PATH_UNSAFE\]: .*escape\/pwned\.js.*symlink/m);
    expect(existsSync(out)).toBe(false);
  });
});
