import { buildCheckReport, buildReleaseReport, fileKey, hunkKey } from '../../src/checkReport/build';
import { renderMarkdown } from '../../src/checkReport/markdown';
import type { ReleaseReport, SyncCheckReport, UpstreamCommit } from '../../src/checkReport/schema';
import { exitCodeFor, worstStatus } from '../../src/checkReport/status';
import { renderText } from '../../src/checkReport/text';
import { makePatch, outcomeFor, TARGETS } from './reportSupport';
import semver from 'semver';

const culprit: UpstreamCommit = {
  commit: 'c0ffee00112233445566778899aabbccddeeff00',
  subject: 'Tweak line 11',
  author: 'Up Stream',
  date: '2026-11-02T10:00:00+00:00',
};
const advisory: UpstreamCommit = {
  commit: 'abad1dea00112233445566778899aabbccddeeff',
  subject: 'Fix CVE-2026-1234 in the relay',
  author: 'Up Stream',
  date: '2026-11-03T10:00:00+00:00',
};

async function release(
  version: string,
  target: string,
  extra: Partial<Pick<ReleaseReport, 'securityCommits'>> & { withCulprit?: boolean } = {},
): Promise<ReleaseReport> {
  const patch = makePatch();
  const culprits = extra.withCulprit ? new Map([[hunkKey({ patch: patch.name, path: 'app.js', index: 0 }), [culprit]]]) : undefined;
  return buildReleaseReport({
    version,
    identity: `sha512-${version}`,
    inSupports: true,
    outcome: await outcomeFor(target, [patch]),
    patches: [patch],
    culprits,
    securityCommits: extra.securityCommits ?? null,
  });
}

function check(releases: ReleaseReport[], mode: SyncCheckReport['mode'] = 'newest'): SyncCheckReport {
  return buildCheckReport({
    upstream: { kind: 'git', source: 'file:///srv/upstream.git' },
    base: '1.1.55',
    supports: '>=1.1.0 <2',
    newest: releases.at(-1)?.version ?? '1.1.55',
    mode,
    fuzz: 0,
    releases,
    isNewer: (a, b) => semver.gt(a, b),
  });
}

describe('status order and exit codes', () => {
  test('the worst status wins: conflict > needs-refresh > already-applied > offset > clean', () => {
    expect(worstStatus([])).toBe('clean');
    expect(worstStatus(['clean', 'offset'])).toBe('offset');
    expect(worstStatus(['offset', 'already-applied'])).toBe('already-applied');
    expect(worstStatus(['already-applied', 'needs-refresh', 'clean'])).toBe('needs-refresh');
    expect(worstStatus(['needs-refresh', 'conflict', 'offset'])).toBe('conflict');
  });

  test.each([
    ['clean', 0],
    ['offset', 0],
    ['conflict', 1],
    ['needs-refresh', 3],
    ['already-applied', 3],
  ] as const)('%s exits %d', (status, code) => {
    expect(exitCodeFor(status)).toBe(code);
  });
});

describe('buildReleaseReport from real engine outcomes', () => {
  test('an offset hunk reports base line, target line and offset, exit 0', async () => {
    const r = await release('1.1.56', TARGETS.shifted);
    expect(r.status).toBe('offset');
    expect(r.exitCode).toBe(0);
    expect(r.counts).toEqual({ clean: 0, offset: 1, 'needs-refresh': 0, conflict: 0, 'already-applied': 0 });
    const hunk = r.patches[0].files[0].hunks[0];
    expect(hunk).toMatchObject({ status: 'offset', baseLine: 7, baseLines: 7, targetLine: 10, offset: 3, culprits: null });
    // The @@ header of the patch's only hunk, after the 6-line header and 3 diff lines.
    expect(hunk.patchLine).toBe(makePatch().operations[0].hunks[0].headerLine);
  });

  test('a conflict carries the differing upstream lines and the culprits for that hunk', async () => {
    const r = await release('1.1.57', TARGETS.contextChanged, { withCulprit: true });
    expect(r.status).toBe('conflict');
    expect(r.exitCode).toBe(1);
    const hunk = r.patches[0].files[0].hunks[0];
    expect(hunk.status).toBe('conflict');
    expect(hunk.differingLines).toEqual([
      { line: 11, releaseLine: 11, expected: 'line 11', actual: 'line 11 changed upstream', difference: 'content', endings: null },
    ]);
    expect(hunk.culprits).toEqual([culprit]);
  });

  test('culprits are only attached to hunks that did not apply as written', async () => {
    const r = await release('1.1.56', TARGETS.shifted, { withCulprit: true });
    expect(r.patches[0].files[0].hunks[0].culprits).toBeNull();
  });

  test('3-way merge only: needs-refresh, exit 3; upstream already has it: already-applied, exit 3', async () => {
    const merged = await release('1.1.58', TARGETS.outerContextChanged);
    expect(merged.status).toBe('needs-refresh');
    expect(merged.patches[0].files[0].hunks[0].status).toBe('merged');
    expect(merged.exitCode).toBe(3);
    const already = await release('1.1.59', TARGETS.alreadyThere);
    expect(already.status).toBe('already-applied');
    expect(already.exitCode).toBe(3);
  });
});

describe('buildCheckReport', () => {
  test('up to date: no releases, clean, exit 0, no next command', () => {
    const report = check([]);
    expect(report).toMatchObject({ schemaVersion: 1, upToDate: true, status: 'clean', exitCode: 0, next: null, releases: [] });
  });

  test('next is a rebase onto the newest checked release when it is newer than the base', async () => {
    const report = check([await release('1.1.56', TARGETS.shifted), await release('1.1.57', TARGETS.contextChanged)], 'all');
    expect(report.status).toBe('conflict');
    expect(report.exitCode).toBe(1);
    expect(report.next).toBe('meshfork sync rebase --to 1.1.57');
  });

  test('checking an older release suggests no rebase', async () => {
    const report = check([await release('1.1.51', TARGETS.shifted)], 'to');
    expect(report.next).toBeNull();
    expect(report.exitCode).toBe(0);
  });
});

describe('text output', () => {
  test('one line per patch, details only for what is not clean, and the next command', async () => {
    const text = renderText(check([await release('1.1.57', TARGETS.contextChanged, { withCulprit: true, securityCommits: [advisory] })]));
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe('meshfork sync check: 1.1.55 -> 1.1.57 (git file:///srv/upstream.git)');
    expect(lines[1]).toBe('  conflict         rename-line-ten.patch');
    expect(lines[2]).toMatch(
      /^ {6}app\.js hunk 1 \(patch line \d+\): base lines 7-13, fails at line 7; 3-way merge conflict at lines 10-16 of the merged file$/,
    );
    expect(lines[3]).toBe('        line 11 expected: line 11');
    expect(lines[4]).toBe('                upstream: line 11 changed upstream');
    expect(lines[5]).toBe('        changed by c0ffee0011 Tweak line 11 (Up Stream, 2026-11-02)');
    expect(lines[6]).toBe('  security: 1 commit(s) between 1.1.55 and 1.1.57 mention security, CVE or vulnerability');
    expect(lines[7]).toBe('    abad1dea00 Fix CVE-2026-1234 in the relay (Up Stream, 2026-11-03)');
    expect(lines[8]).toBe('conflict: 1.1.57: 1 of 1 patches conflict (1 conflict)');
    expect(lines[9]).toBe('Next: meshfork sync rebase --to 1.1.57');
    expect(lines).toHaveLength(10);
  });

  test('offset patches stay on one line with their offsets', async () => {
    const text = renderText(check([await release('1.1.56', TARGETS.shifted)]));
    expect(text).toBe(
      [
        'meshfork sync check: 1.1.55 -> 1.1.56 (git file:///srv/upstream.git)',
        '  offset           rename-line-ten.patch  app.js +3',
        'offset: 1.1.56: every patch applies, some at shifted lines (1 offset)',
        'Next: meshfork sync rebase --to 1.1.56',
        '',
      ].join('\n'),
    );
  });

  test('up to date is one sentence', () => {
    expect(renderText(check([]))).toBe('Up to date: the base 1.1.55 is the newest release in supports (>=1.1.0 <2).\n');
  });

  test('--all renders a release x patch matrix, then details per release', async () => {
    const text = renderText(check([await release('1.1.56', TARGETS.shifted), await release('1.1.58', TARGETS.outerContextChanged)], 'all'));
    const lines = text.split('\n');
    expect(lines[1]).toMatch(/^ {2}patch +1\.1\.56 +1\.1\.58$/);
    expect(lines[2]).toMatch(/^ {2}rename-line-ten\.patch +offset +needs-refresh$/);
    expect(text).toContain('\n1.1.58:\n  needs-refresh    rename-line-ten.patch\n      app.js hunk 1');
    expect(text).toContain('only by a 3-way merge');
    expect(text).not.toContain('\n1.1.56:\n');
    expect(text.trimEnd().split('\n').at(-1)).toBe('Next: meshfork sync rebase --to 1.1.58');
  });
});

describe('a file the release no longer has', () => {
  test('conflict with the commits that removed it, in JSON, text and markdown', async () => {
    const patch = makePatch();
    const remover: UpstreamCommit = { ...culprit, commit: 'deadbeef00112233445566778899aabbccddeeff', subject: 'Remove app.js' };
    const r = buildReleaseReport({
      version: '1.1.57',
      identity: null,
      inSupports: true,
      outcome: await outcomeFor(undefined, [patch]),
      patches: [patch],
      culprits: new Map([[fileKey(patch.name, 'app.js'), [remover]]]),
      securityCommits: [],
    });
    expect(r.status).toBe('conflict');
    expect(r.patches[0].files[0]).toMatchObject({ path: 'app.js', status: 'missing', hunks: [], culprits: [remover] });
    const report = check([r]);
    expect(renderText(report)).toContain(
      '  conflict         rename-line-ten.patch\n      app.js does not exist in 1.1.57\n        removed by deadbeef00 Remove app.js (Up Stream, 2026-11-02)\n',
    );
    const md = renderMarkdown(report);
    expect(md).toContain('| `rename-line-ten.patch` | conflict | `app.js` | app.js does not exist in 1.1.57 |');
    expect(md).toContain(
      '#### `rename-line-ten.patch`: app.js does not exist in 1.1.57\n\nUpstream commits that removed it:\n\n- `deadbeef00` Remove app.js (Up Stream, 2026-11-02)\n',
    );
  });
});

describe('markdown output', () => {
  test('summary line, a table per release, details per failing hunk', async () => {
    const md = renderMarkdown(
      check([await release('1.1.56', TARGETS.shifted), await release('1.1.57', TARGETS.contextChanged, { withCulprit: true })], 'all'),
    );
    const lines = md.split('\n');
    expect(lines[0]).toBe(
      '**meshfork sync check** (base 1.1.55, git file:///srv/upstream.git): 1.1.56 **offset**, 1.1.57 **conflict**. Next: `meshfork sync rebase --to 1.1.57`.',
    );
    expect(md).toContain('| Patch | 1.1.56 | 1.1.57 |\n| --- | --- | --- |\n| `rename-line-ten.patch` | offset | conflict |');
    expect(md).toContain('### 1.1.56: offset\n');
    expect(md).toContain('| `rename-line-ten.patch` | offset | `app.js` | app.js +3 |');
    expect(md).toContain('### 1.1.57: conflict\n');
    expect(md).toMatch(/#### `rename-line-ten\.patch`: app\.js hunk 1 \(patch line \d+\)\n\nconflict: base lines 7-13, fails at line 7/);
    expect(md).toContain('```diff\n- 11: line 11\n+ 11: line 11 changed upstream\n```');
    expect(md).toContain('- `c0ffee0011` Tweak line 11 (Up Stream, 2026-11-02)');
  });

  test('upstream code with backticks and pipes cannot break the fences or tables', async () => {
    const r = await release('1.1.57', TARGETS.contextChanged);
    r.patches[0].files[0].hunks[0].differingLines = [
      { line: 11, releaseLine: 11, expected: 'a ``` b', actual: 'x | y', difference: 'content', endings: null },
    ];
    const md = renderMarkdown(check([r]));
    expect(md).toContain('````diff\n- 11: a ``` b\n+ 11: x | y\n````');
  });
});
