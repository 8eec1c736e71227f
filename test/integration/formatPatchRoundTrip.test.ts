/*
 * A series made by real `git format-patch` (mbox "From <sha>" line, [PATCH n/m] subjects, diffstat,
 * index lines, the "-- \n2.x.y" signature) comes back from `edit` + `export` without change byte for
 * byte, as Debian's curl, openssh, dash and xz-utils series need.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { edit } from '../../src/commands/edit';
import { exportCommand } from '../../src/commands/export';
import { readTree } from '../../src/rebase/backup';
import { buildTinyUpstream, git, numberedLines, writeTinyProject, type TinyUpstream } from '../support/tinyUpstream';

jest.setTimeout(300000);

let tmp: string;
let upstream: TinyUpstream;

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'meshfork-format-patch-'));
  upstream = buildTinyUpstream(path.join(tmp, 'up'), {
    '1.0.0': { 'lib/a.js': numberedLines('a', 30), 'lib/b.js': numberedLines('b', 30), 'tool.sh': '#!/bin/sh\necho tool\n' },
  });
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Commits made with plain git on v1.0.0 in a clone, written out by `git format-patch` (its options as given). */
function formatPatchSeries(name: string, formatArgs: string[]): Record<string, string> {
  const clone = path.join(tmp, `${name}-clone`);
  git(tmp, ['clone', '-q', upstream.url, clone]);
  git(clone, ['checkout', '-q', '-b', 'fork', 'v1.0.0']);
  const commit = (files: Record<string, string>, message: string, author: string, date: string) => {
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(clone, file)), { recursive: true });
      writeFileSync(path.join(clone, file), text, 'latin1');
    }
    git(clone, ['add', '-A']);
    git(clone, [
      '-c',
      `user.name=${author.replace(/ <.*/, '')}`,
      '-c',
      `user.email=${/<(.*)>/.exec(author)?.[1]}`,
      'commit',
      '-q',
      '--author',
      author,
      '--date',
      date,
      '-m',
      message,
    ]);
  };
  const a = readFileSync(path.join(clone, 'lib/a.js'), 'latin1');
  const b = readFileSync(path.join(clone, 'lib/b.js'), 'latin1');
  commit(
    { 'lib/a.js': a.replace('  a line 5;\n', '  a line 5 changed;\n') },
    'a: change line 5\n\nA description of two lines\nthat explains why.\n\nSigned-off-by: Ada Maintainer <ada@example.invalid>\n',
    'Ada Maintainer <ada@example.invalid>',
    '2024-03-01T10:00:00+01:00',
  );
  commit(
    { 'lib/b.js': b.replace('  b line 20;\n', '  b line 20;\n  b inserted;\n'), 'lib/new.js': 'module.exports = 1;\n' },
    'b: insert a line, add new.js\n\nBody with Ünïcödé.\n',
    'Zoë Ünïcödé <zoe@example.invalid>',
    '2024-03-02T11:30:00-05:00',
  );
  commit(
    { 'lib/a.js': a.replace('  a line 5;\n', '  a line 5 changed;\n').replace('  a line 25;\n', '') },
    'a: drop line 25 with a rather long subject line that git folds over two header lines',
    'Ada Maintainer <ada@example.invalid>',
    '2024-03-03T09:00:00Z',
  );
  const out = path.join(tmp, `${name}-out`);
  git(clone, ['format-patch', '-q', '-o', out, ...formatArgs, 'v1.0.0..fork']);
  const names = readdirSync(out).sort();
  return Object.fromEntries(names.map((n) => [n, readFileSync(path.join(out, n), 'latin1')]));
}

test.each([
  ['plain', []],
  ['numbered', ['-n', '--signature', '2.39.5']],
  ['no-stat', ['--no-stat', '-N', '--zero-commit']],
])('git format-patch %s: edit + export without change keeps every byte', async (name, args) => {
  const patches = formatPatchSeries(name, args as string[]);
  const project = writeTinyProject(path.join(tmp, `${name}-project`), upstream, '1.0.0', patches);
  const before = await readTree(path.join(project, 'patches'));
  await edit({ cwd: project, cacheDir: path.join(tmp, 'cache') });
  const exported = await exportCommand({ cwd: project });
  const after = await readTree(path.join(project, 'patches'));
  for (const [file, bytes] of before) {
    expect({ file, text: after.get(file)?.toString('latin1') }).toEqual({ file, text: bytes.toString('latin1') });
  }
  expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
  expect(exported.written).toEqual([]);
});
