import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MeshforkError } from '../../src/errors';
import { assertInsideTree, assertSafePath, unsafePathReason } from '../../src/series/pathSafety';

describe('unsafePathReason', () => {
  it.each([
    ['webserver.js'],
    ['views/default.handlebars'],
    ['node_modules/.bin/x'],
    ['.github/workflows/ci.yml'],
    ['a..b/c...js'],
    ['.gitignore'],
  ])('accepts %s', (p) => {
    expect(unsafePathReason(p)).toBeUndefined();
  });

  it.each([
    ['', /empty/],
    ['/etc/passwd', /absolute/],
    ['C:\\Windows\\x', /absolute/],
    ['c:/x', /absolute/],
    ['a\\b', /backslash/],
    ['..', /leaves the tree/],
    ['../x', /leaves the tree/],
    ['a/../../x', /leaves the tree/],
    ['a//b', /empty or "\."/],
    ['./a', /empty or "\."/],
    ['a/', /empty or "\."/],
    ['.git', /\.git/],
    ['.git/config', /\.git/],
    ['sub/.Git/HEAD', /\.git/],
    ['a\0b', /NUL/],
  ])('refuses %j', (p, reason) => {
    expect(unsafePathReason(p)).toMatch(reason);
  });

  it('assertSafePath throws PATH_UNSAFE naming where and the path', () => {
    expect(() => assertSafePath('../x', 'p.patch:12')).toThrow(MeshforkError);
    try {
      assertSafePath('../x', 'p.patch:12');
    } catch (error) {
      expect((error as MeshforkError).code).toBe('PATH_UNSAFE');
      expect((error as MeshforkError).message).toBe('p.patch:12: refusing to touch "../x": path leaves the tree with ".."');
    }
  });
});

describe('assertInsideTree on a real directory with symlinks', () => {
  let scratch: string;
  let tree: string;
  let outside: string;

  beforeAll(() => {
    scratch = mkdtempSync(path.join(os.tmpdir(), 'meshfork-pathsafety-'));
    tree = path.join(scratch, 'tree');
    outside = path.join(scratch, 'outside');
    mkdirSync(path.join(tree, 'lib'), { recursive: true });
    mkdirSync(outside);
    writeFileSync(path.join(tree, 'lib', 'a.js'), 'a\n');
    writeFileSync(path.join(outside, 'secret.js'), 'secret\n');
    symlinkSync(outside, path.join(tree, 'escape'));
    symlinkSync(path.join(outside, 'secret.js'), path.join(tree, 'secret-link.js'));
    symlinkSync(path.join(outside, 'does-not-exist.js'), path.join(tree, 'dangling.js'));
    symlinkSync('lib', path.join(tree, 'lib-alias'));
    // A dangling link whose relative target must be read from the link's real folder, not the alias path.
    mkdirSync(path.join(tree, 'x', 'y', 'z'), { recursive: true });
    symlinkSync('../../../lib', path.join(tree, 'x', 'y', 'z', 'alias'));
    symlinkSync('../../outside/missing.js', path.join(tree, 'lib', 'up.js'));
    // A chain: an inside link to another link that dangles outside.
    symlinkSync('hop2.js', path.join(tree, 'hop1.js'));
    symlinkSync(path.join(outside, 'missing-too.js'), path.join(tree, 'hop2.js'));
    symlinkSync('loop-b', path.join(tree, 'loop-a'));
    symlinkSync('loop-a', path.join(tree, 'loop-b'));
  });

  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  async function codeOf(rel: string): Promise<string | undefined> {
    try {
      await assertInsideTree(tree, rel, 'p.patch:11');
      return undefined;
    } catch (error) {
      if (error instanceof MeshforkError) return `${error.code} ${error.message}`;
      throw error;
    }
  }

  it('accepts existing and new paths inside the tree, and links that stay inside', async () => {
    expect(await codeOf('lib/a.js')).toBeUndefined();
    expect(await codeOf('lib/new/deeper/file.js')).toBeUndefined();
    expect(await codeOf('lib-alias/a.js')).toBeUndefined();
    expect(await codeOf('lib-alias/new.js')).toBeUndefined();
  });

  it('refuses a path through a directory symlink that leaves the tree (existing and new files)', async () => {
    expect(await codeOf('escape/secret.js')).toMatch(
      /^PATH_UNSAFE p\.patch:11: refusing to touch "escape\/secret\.js": it resolves through a symlink to .*outside/,
    );
    expect(await codeOf('escape/new-file.js')).toMatch(/^PATH_UNSAFE .*outside the tree/);
    expect(await codeOf('escape/new/dir/file.js')).toMatch(/^PATH_UNSAFE .*outside the tree/);
  });

  it('refuses a file that is itself a link outside, live or dangling', async () => {
    expect(await codeOf('secret-link.js')).toMatch(/^PATH_UNSAFE .*outside the tree/);
    expect(await codeOf('dangling.js')).toMatch(/^PATH_UNSAFE .*symlink to .*does-not-exist\.js, outside the tree/);
  });

  it('resolves a dangling relative link from its real folder, through an alias folder', async () => {
    expect(await codeOf('x/y/z/alias/up.js')).toMatch(/^PATH_UNSAFE .*missing\.js, outside the tree/);
    expect(await codeOf('lib/up.js')).toMatch(/^PATH_UNSAFE .*missing\.js, outside the tree/);
  });

  it('follows a chain of links that ends outside the tree', async () => {
    expect(await codeOf('hop1.js')).toMatch(/^PATH_UNSAFE .*missing-too\.js, outside the tree/);
  });

  it('refuses a symlink loop with PATH_UNSAFE (not a crash)', async () => {
    expect(await codeOf('loop-a/x.js')).toMatch(
      /^PATH_UNSAFE p\.patch:11: refusing to touch "loop-a\/x\.js": too many levels of symbolic links/,
    );
  });

  it('still refuses lexically unsafe paths first', async () => {
    expect(await codeOf('../outside/secret.js')).toMatch(/^PATH_UNSAFE .*leaves the tree/);
  });
});
