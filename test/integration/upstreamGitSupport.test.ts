/*
 * The shared git upstream fixture (test/support/gitUpstream.ts) that other tests build on:
 * tags at reproducible commits whose trees hold the tarball bytes, and commit/tag/push helpers.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { gitText, runGit } from '../../src/tools/git';
import { buildGitUpstream, commitFiles, push, tag } from '../support/gitUpstream';
import { releaseDir } from '../support/release';

describe('buildGitUpstream', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'meshfork-gitup-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('tags one reproducible commit per release with the tarball content', async () => {
    mkdirSync(path.join(dir, 'a'));
    const first = await buildGitUpstream(path.join(dir, 'a'), ['1.1.51', '1.1.55']);
    expect(first.url.startsWith('file://')).toBe(true);
    const tags = await gitText(['tag', '--list'], { cwd: first.bareDir });
    expect(tags.split('\n')).toEqual(['v1.1.51', 'v1.1.55']);
    // execFileSync, not runGit: execa strips a final newline from stdout, and these are bytes.
    const webserver = execFileSync('git', ['--git-dir', first.bareDir, 'cat-file', 'blob', 'v1.1.51:webserver.js']);
    expect(webserver.equals(readFileSync(path.join(releaseDir('1.1.51'), 'webserver.js')))).toBe(true);
    const files55 = (await gitText(['ls-tree', '-r', '--name-only', 'v1.1.55'], { cwd: first.bareDir })).split('\n');
    expect(files55).toContain('package.json');
    expect(readFileSync(path.join(first.workDir, 'package.json'), 'utf8')).toContain('"version": "1.1.55"');

    const again = path.join(dir, 'b');
    mkdirSync(again);
    const second = await buildGitUpstream(again);
    expect(await gitText(['rev-parse', 'v1.1.55'], { cwd: second.bareDir })).toBe(
      await gitText(['rev-parse', 'v1.1.55'], { cwd: first.bareDir }),
    );
  });

  it('commits, moves tags and force-pushes to the bare repository', async () => {
    mkdirSync(path.join(dir, 'c'));
    const up = await buildGitUpstream(path.join(dir, 'c'));
    const old = await gitText(['rev-parse', 'v1.1.55'], { cwd: up.bareDir });
    const sha = await commitFiles(up.workDir, { 'extra.js': 'x\r\n\xff', 'amt-ider.js': null }, 'Retag');
    await tag(up.workDir, 'v1.1.55');
    await push(up.workDir);
    const moved = await gitText(['rev-parse', 'v1.1.55'], { cwd: up.bareDir });
    expect(moved).toBe(sha);
    expect(moved).not.toBe(old);
    const blob = execFileSync('git', ['--git-dir', up.bareDir, 'cat-file', 'blob', 'v1.1.55:extra.js']);
    expect(blob.toString('latin1')).toBe('x\r\n\xff');
    await expect(runGit(['cat-file', '-e', 'v1.1.55:amt-ider.js'], { cwd: up.bareDir })).rejects.toMatchObject({ code: 'TOOL_FAILED' });
  });
});
