/*
 * Culprit and security commits from a real git repository: small files, real commits, real
 * `git log -L`. The MeshCentral-sized cases are in syncCheckGit.test.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gitText, runGit } from '../../src/tools/git';
import {
  culpritCommits,
  mapRangeToTarget,
  parseZeroContextHunks,
  securityCommits,
  securityCommitsByTarget,
  SECURITY_PATTERN,
} from '../../src/upstream/history';

let dir: string;
let day = 0;

async function commit(files: Record<string, string>, message: string): Promise<string> {
  for (const [file, content] of Object.entries(files)) writeFileSync(path.join(dir, file), content);
  await runGit(['add', '--all'], { cwd: dir });
  day += 1;
  const date = `${Date.UTC(2026, 0, day) / 1000} +0000`;
  await runGit(['commit', '--quiet', '-m', message], {
    cwd: dir,
    env: {
      GIT_AUTHOR_NAME: 'Up Stream',
      GIT_AUTHOR_EMAIL: 'up@example.invalid',
      GIT_COMMITTER_NAME: 'Up Stream',
      GIT_COMMITTER_EMAIL: 'up@example.invalid',
      GIT_AUTHOR_DATE: date,
      GIT_COMMITTER_DATE: date,
    },
  });
  return gitText(['rev-parse', 'HEAD'], { cwd: dir });
}

const numbered = (n: number, edit: (lines: string[]) => void = () => {}): string => {
  const lines = Array.from({ length: n }, (_, i) => `line ${i + 1}`);
  edit(lines);
  return `${lines.join('\n')}\n`;
};

beforeEach(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'meshfork-history-'));
  day = 0;
  await runGit(['init', '--quiet', '--initial-branch=main'], { cwd: dir });
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('culpritCommits', () => {
  test('lists the commits that changed the base lines, not those that only moved them', async () => {
    const base = await commit({ 'app.js': numbered(40), 'other.js': 'x\n' }, 'base');
    const moved = await commit({ 'app.js': numbered(40, (l) => l.unshift('new 1', 'new 2', 'new 3')) }, 'Insert a header above');
    const changed = await commit(
      { 'app.js': numbered(40, (l) => (l.unshift('new 1', 'new 2', 'new 3'), (l[3 + 19] = 'line 20 changed'))) },
      'Change line 20',
    );
    await commit({ 'other.js': 'y\n' }, 'Unrelated file');
    const elsewhere = await commit(
      {
        'app.js': numbered(
          40,
          (l) => (l.unshift('new 1', 'new 2', 'new 3'), (l[3 + 19] = 'line 20 changed'), (l[3 + 35] = 'line 36 changed')),
        ),
      },
      'Change line 36',
    );
    const target = await gitText(['rev-parse', 'HEAD'], { cwd: dir });

    const culprits = await culpritCommits(dir, base, target, 'app.js', { start: 17, end: 23 });
    expect(culprits.map((c) => c.commit)).toEqual([changed]);
    expect(culprits[0]).toEqual({ commit: changed, subject: 'Change line 20', author: 'Up Stream', date: '2026-01-03T00:00:00+00:00' });
    expect((await culpritCommits(dir, base, target, 'app.js', { start: 34, end: 38 })).map((c) => c.commit)).toEqual([elsewhere]);
    expect(await culpritCommits(dir, base, target, 'app.js', { start: 1, end: 5 })).toEqual([]);
    // The commit that only moved the lines did touch app.js, so leaving it out above was a decision.
    expect((await gitText(['log', '--format=%H', `${base}..${target}`, '--', 'app.js'], { cwd: dir })).split('\n')).toContain(moved);
    expect(culprits.map((c) => c.commit)).not.toContain(moved);
  });

  test('finds the commit that deleted the base lines outright', async () => {
    const base = await commit({ 'app.js': numbered(30) }, 'base');
    const deleter = await commit({ 'app.js': numbered(30, (l) => l.splice(9, 5)) }, 'Drop lines 10-14');
    const culprits = await culpritCommits(dir, base, deleter, 'app.js', { start: 10, end: 14 });
    expect(culprits.map((c) => c.subject)).toEqual(['Drop lines 10-14']);
  });

  test('a file gone from the target yields the commits that touched it', async () => {
    const base = await commit({ 'app.js': numbered(10), 'keep.js': 'k\n' }, 'base');
    await runGit(['rm', '--quiet', 'app.js'], { cwd: dir });
    const removed = await commit({}, 'Remove app.js');
    expect((await culpritCommits(dir, base, removed, 'app.js', { start: 2, end: 5 })).map((c) => c.subject)).toEqual(['Remove app.js']);
  });
});

describe('securityCommits', () => {
  test('flags messages mentioning security, CVE or vulnerability, case-insensitively, between base and target only', async () => {
    await commit({ 'a.js': '0\n' }, 'Fix security hole before the base');
    const base = await commit({ 'a.js': '1\n' }, 'base');
    await commit({ 'a.js': '2\n' }, 'SECURITY: tighten cookie flags');
    await commit({ 'a.js': '3\n' }, 'Update translations');
    await commit({ 'a.js': '4\n' }, 'Relay fix\n\nAddresses CVE-2026-0001.');
    await commit({ 'a.js': '5\n' }, 'Patch XSS vulnerabilities in the login page');
    await commit({ 'a.js': '6\n' }, 'Improve curve rendering');
    const target = await gitText(['rev-parse', 'HEAD'], { cwd: dir });
    const flagged = await securityCommits(dir, base, target);
    expect(flagged.map((c) => c.subject)).toEqual([
      'Patch XSS vulnerabilities in the login page',
      'Relay fix',
      'SECURITY: tighten cookie flags',
    ]);
  });

  test('one batch for several targets gives each release only the commits it contains, merges included', async () => {
    const base = await commit({ 'a.js': '1\n' }, 'base');
    await runGit(['checkout', '--quiet', '-b', 'side'], { cwd: dir });
    const sideFix = await commit({ 'side.js': '1\n' }, 'Security fix on a side branch');
    await runGit(['checkout', '--quiet', 'main'], { cwd: dir });
    const mainFix = await commit({ 'a.js': '2\n' }, 'Fix a vulnerability on main');
    const first = mainFix;
    await runGit(['merge', '--quiet', '--no-ff', '-m', 'Merge branch side', 'side'], {
      cwd: dir,
      env: {
        GIT_AUTHOR_NAME: 'Up Stream',
        GIT_AUTHOR_EMAIL: 'up@example.invalid',
        GIT_COMMITTER_NAME: 'Up Stream',
        GIT_COMMITTER_EMAIL: 'up@example.invalid',
      },
    });
    const merged = await gitText(['rev-parse', 'HEAD'], { cwd: dir });
    const byTarget = await securityCommitsByTarget(dir, base, [first, merged, base, sideFix]);
    expect(byTarget.get(first)?.map((c) => c.commit)).toEqual([mainFix]);
    expect(new Set(byTarget.get(merged)?.map((c) => c.commit))).toEqual(new Set([mainFix, sideFix]));
    expect(byTarget.get(sideFix)?.map((c) => c.commit)).toEqual([sideFix]);
    expect(byTarget.get(base)).toEqual([]);
  });

  test('the pattern does not fire on words that merely contain "cve"', () => {
    expect(SECURITY_PATTERN.test('curve')).toBe(false);
    expect(SECURITY_PATTERN.test('Fix cve-2024-1')).toBe(true);
    expect(SECURITY_PATTERN.test('Vulnerable dependency bumped')).toBe(true);
  });
});

describe('mapRangeToTarget', () => {
  const blocks = parseZeroContextHunks(['@@ -2,0 +3,2 @@', '@@ -10,2 +12,3 @@', '@@ -20,3 +23,0 @@', ''].join('\n'));

  test('parses zero-context hunk headers, including omitted counts', () => {
    expect(parseZeroContextHunks('@@ -5 +5 @@\n')).toEqual([{ oldStart: 5, oldCount: 1, newStart: 5, newCount: 1 }]);
    expect(blocks).toHaveLength(3);
  });

  test('untouched lines shift by the changes above them', () => {
    expect(mapRangeToTarget(blocks, { start: 4, end: 6 }, 100)).toEqual({ start: 6, end: 8 });
    expect(mapRangeToTarget(blocks, { start: 15, end: 16 }, 100)).toEqual({ start: 18, end: 19 });
  });

  test('ranges reaching into a replaced or deleted block grow to cover it', () => {
    expect(mapRangeToTarget(blocks, { start: 8, end: 10 }, 100)).toEqual({ start: 10, end: 14 });
    expect(mapRangeToTarget(blocks, { start: 21, end: 22 }, 100)).toEqual({ start: 23, end: 24 });
  });

  test('never empty and never past the end of the target', () => {
    expect(mapRangeToTarget(blocks, { start: 90, end: 99 }, 50)).toEqual({ start: 50, end: 50 });
  });
});
