/*
 * The pure pieces behind edit/export/rebase, with inline fixtures: commit messages <-> patch
 * headers, the series file rewrite, the config "base" edit, matching commits to patches; and the
 * project lock raced by real meshfork processes.
 */
import { isMeshforkError } from '../../src/errors';
import { parsePatch } from '../../src/series/parse';
import type { PatchHeader } from '../../src/series/types';
import { commitMessage, parseAuthor, parseCommitMessage } from '../../src/workspace/commitMessage';
import type { PatchCommit } from '../../src/workspace/commits';
import { setBaseInConfigText } from '../../src/project/configText';
import { planExport } from '../../src/workspace/exportPlan';
import { renderSeries } from '../../src/project/seriesText';
import { writeChanges } from '../../src/workspace/files';
import { statePaths } from '../../src/project/paths';
import { existsSync, mkdtempSync, promises as fs, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureBuilt } from '../support/cli';
import { raceForProjectLock } from '../support/lockRace';
import { buildSmallProject } from '../support/smallProject';
import { runTraced } from '../support/traced';

const header = (over: Partial<PatchHeader> = {}): PatchHeader => ({
  from: 'Fork Maintainers <maintainers@example.invalid>',
  subject: 'Add the module',
  description: 'First paragraph,\ntwo lines.\n\nSecond paragraph.',
  trailers: [
    { key: 'Upstream-Status', value: 'Inappropriate [fork only]' },
    { key: 'Meshfork-Base', value: '1.1.55' },
  ],
  ...over,
});

describe('commit messages', () => {
  test('subject, description and trailers survive; Meshfork-Base is left out of the commit', () => {
    const message = commitMessage(header());
    expect(message).toBe(
      'Add the module\n\nFirst paragraph,\ntwo lines.\n\nSecond paragraph.\n\nUpstream-Status: Inappropriate [fork only]\n',
    );
    expect(parseCommitMessage(message)).toEqual({
      subject: 'Add the module',
      description: 'First paragraph,\ntwo lines.\n\nSecond paragraph.',
      trailers: [{ key: 'Upstream-Status', value: 'Inappropriate [fork only]' }],
    });
  });

  test('no description, no trailers; a Meshfork-Base a user typed is dropped; trailing blank lines ignored', () => {
    expect(commitMessage(header({ description: '', trailers: [] }))).toBe('Add the module\n');
    expect(parseCommitMessage('Subject only\n\n\n')).toEqual({ subject: 'Subject only', description: '', trailers: [] });
    expect(parseCommitMessage('S\n\nMeshfork-Base: 1.0.0\nUpstream-Status: Pending\n')).toEqual({
      subject: 'S',
      description: '',
      trailers: [{ key: 'Upstream-Status', value: 'Pending' }],
    });
  });

  test('description lines keep trailing spaces', () => {
    const h = header({ description: 'Line with two trailing spaces  \nnext' });
    expect(parseCommitMessage(commitMessage(h)).description).toBe('Line with two trailing spaces  \nnext');
  });

  test('authors', () => {
    expect(parseAuthor('Ada Lovelace <ada@example.invalid>')).toEqual({ name: 'Ada Lovelace', email: 'ada@example.invalid' });
    expect(parseAuthor('"Lovelace, Ada" <ada@example.invalid>')).toEqual({ name: 'Lovelace, Ada', email: 'ada@example.invalid' });
    expect(parseAuthor('Fork Maintainers')).toEqual({ name: 'Fork Maintainers', email: '' });
  });
});

describe('series file rewrite', () => {
  const old = '# JWT series\n\n# the module first\na.patch\nb.patch -p1\n# keywords\nc.patch\n# end\n';
  test('the same names give the same bytes', () => {
    expect(
      renderSeries(
        old,
        ['a.patch', 'b.patch', 'c.patch'].map((name) => ({ name, previous: name })),
      ),
    ).toBe(old);
  });
  test('a renamed entry keeps its comment; a dropped one loses it; new ones are added in place', () => {
    const next = renderSeries(old, [
      { name: 'a.patch', previous: 'a.patch' },
      { name: 'new.patch' },
      { name: 'c2.patch', previous: 'c.patch' },
    ]);
    expect(next).toBe('# JWT series\n\n# the module first\na.patch\nnew.patch\n# keywords\nc2.patch\n# end\n');
  });
  test('no series yet', () => {
    expect(renderSeries(undefined, [{ name: 'a.patch' }])).toBe('a.patch\n');
  });
});

describe('config base edit', () => {
  test('only the value of the top-level "base" changes', () => {
    const text =
      '{\n  "upstream": {"source": "npm", "package": "meshcentral", "note": "base \\"x\\""},\n  "base" :  "1.1.51" ,\n  "supports": ">=1.1.0 <2"\n}\n';
    expect(setBaseInConfigText(text, '1.1.55')).toBe(text.replace('"1.1.51"', '"1.1.55"'));
  });
  test('a nested "base" is not the top-level one', () => {
    const text = '{"image": {"base": "x"}, "base": "1.0.0"}';
    expect(setBaseInConfigText(text, '2.0.0')).toBe('{"image": {"base": "x"}, "base": "2.0.0"}');
  });
  test('no top-level base: CONFIG_INVALID', () => {
    let error: unknown;
    try {
      setBaseInConfigText('{"image": {"base": "x"}}', '2.0.0');
    } catch (e) {
      error = e;
    }
    expect(isMeshforkError(error) && error.code).toBe('CONFIG_INVALID');
  });
});

describe('export plan', () => {
  const patchText = (h: PatchHeader) =>
    `From: ${h.from}\n${h.date ? `Date: ${h.date}\n` : ''}Subject: ${h.subject}\n\n${h.trailers.map((t) => `${t.key}: ${t.value}\n`).join('')}---\ndiff --git a/x.js b/x.js\n--- a/x.js\n+++ b/x.js\n@@ -1 +1 @@\n-a\n+b\n`;
  const commit = (subject: string, author = { name: 'Fork Maintainers', email: 'maintainers@example.invalid' }): PatchCommit => ({
    id: '0123456789abcdef0123456789abcdef01234567',
    author,
    message: { subject, description: '', trailers: [{ key: 'Upstream-Status', value: 'Pending' }] },
    changes: [{ oldPath: 'x.js', newPath: 'x.js', oldContent: 'a\n', newContent: 'b\n', oldMode: '100644', newMode: '100644' }],
  });

  test("keeps a patch's own name, Date, From spelling and Meshfork-Base position; only the base value moves", () => {
    const h = header({
      from: '"Fork Maintainers" <maintainers@example.invalid>',
      date: 'Mon, 1 Jan 2024 00:00:00 +0000',
      subject: 'Old name',
      description: '',
      trailers: [
        { key: 'Meshfork-Base', value: '1.1.51' },
        { key: 'Upstream-Status', value: 'Pending' },
      ],
    });
    const previous = parsePatch('hand-named.patch', patchText(h));
    const plan = planExport([commit('Old name')], { patches: [previous], seriesText: 'hand-named.patch\n' }, '1.1.55');
    expect(plan.patches[0].name).toBe('hand-named.patch');
    expect(plan.patches[0].text).toBe(
      patchText({
        ...h,
        trailers: [
          { key: 'Meshfork-Base', value: '1.1.55' },
          { key: 'Upstream-Status', value: 'Pending' },
        ],
      }),
    );
  });

  test('a new subject gets the slug name; two commits with one name are refused', () => {
    const plan = planExport([commit('Brand new: thing!')], { patches: [] }, '1.1.55');
    expect(plan.patches[0].name).toBe('brand-new-thing.patch');
    expect(plan.seriesText).toBe('brand-new-thing.patch\n');
    let error: unknown;
    try {
      planExport([commit('Same'), commit('same')], { patches: [] }, '1.1.55');
    } catch (e) {
      error = e;
    }
    expect(isMeshforkError(error) && error.code).toBe('STATE_INVALID');
  });
});

test('writing workspace files: a hard link is replaced, not modified; the executable bit stays unless the patch sets a mode', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'meshfork-files-'));
  try {
    writeFileSync(path.join(dir, 'cache-copy'), 'cached\n');
    await fs.link(path.join(dir, 'cache-copy'), path.join(dir, 'linked.js'));
    writeFileSync(path.join(dir, 'tool.sh'), '#!/bin/sh\n', { mode: 0o755 });
    await writeChanges(dir, [
      ['linked.js', { content: 'edited\r\n' }],
      ['tool.sh', { content: '#!/bin/sh\necho hi\n' }],
      ['new/plain.txt', { content: 'x', mode: '100644' }],
    ]);
    expect(await fs.readFile(path.join(dir, 'cache-copy'), 'latin1')).toBe('cached\n');
    expect(await fs.readFile(path.join(dir, 'linked.js'), 'latin1')).toBe('edited\r\n');
    expect(statSync(path.join(dir, 'tool.sh')).mode & 0o777).toBe(0o755);
    expect(statSync(path.join(dir, 'new', 'plain.txt')).mode & 0o777).toBe(0o644);
    await writeChanges(dir, [
      ['tool.sh', { content: 'x', mode: '100644' }],
      ['linked.js', { content: null }],
    ]);
    expect(statSync(path.join(dir, 'tool.sh')).mode & 0o777).toBe(0o644);
    await expect(fs.stat(path.join(dir, 'linked.js'))).rejects.toThrow();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the project lock: 4 real meshfork processes race for it, one holds it at a time, the others are refused naming a racer; a killed holder's lock is taken over", async () => {
  ensureBuilt();
  const root = mkdtempSync(path.join(os.tmpdir(), 'meshfork-lock-'));
  try {
    const { dir } = buildSmallProject(root, 50);
    const env = { MESHFORK_CACHE: path.join(root, 'cache') };
    expect((await runTraced(['-C', dir, 'edit'], { cwd: dir, env })).code).toBe(0);
    const lock = path.join(statePaths(dir).stateDir, 'lock');
    // Racers start together; a round where they happen to run one after another proves nothing, so race again.
    let held = 0;
    let refused = 0;
    for (let round = 0; round < 6 && refused === 0; round++) {
      const race = await raceForProjectLock(dir, ['export'], 4, env);
      expect({ round, violations: race.violations }).toEqual({ round, violations: [] });
      expect(race.held).toBeGreaterThanOrEqual(1);
      held += race.held;
      refused += race.refused;
    }
    expect(refused).toBeGreaterThan(0);
    expect(held).toBeGreaterThan(0);
    expect(existsSync(lock)).toBe(false);
    // SIGKILL a holder while it holds the lock: its pid stays in the lock file, and the next command takes it over.
    const killed = await runTraced(['-C', dir, 'export'], { cwd: dir, env, killAt: { phase: 'lock:held', delayMs: 0 } });
    const phases = killed.marks.map((m) => m.phase);
    expect({ killed: killed.killed, held: phases.includes('lock:held'), released: phases.includes('lock:released') }).toEqual({
      killed: true,
      held: true,
      released: false,
    });
    expect(readFileSync(lock, 'utf8')).toBe(`${killed.pid}\n`);
    const next = await runTraced(['-C', dir, 'export'], { cwd: dir, env });
    expect([next.code, next.stderr]).toEqual([0, '']);
    expect(existsSync(lock)).toBe(false);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}, 900_000);
