/* Which changes export writes back to the files folder (splitNewFiles), and the pseudo-patch the folder becomes. */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { newFilesPatch, readNewFiles } from '../../src/series/newFiles';
import type { FileChange } from '../../src/series/writer';
import type { PatchCommit } from '../../src/workspace/commits';
import { splitNewFiles } from '../../src/workspace/newFilesExport';

const create = (p: string, content = 'x\n'): FileChange => ({ oldPath: null, newPath: p, oldContent: null, newContent: content });
const modify = (p: string): FileChange => ({ oldPath: p, newPath: p, oldContent: 'a\n', newContent: 'b\n' });
const rename = (from: string, to: string): FileChange => ({ oldPath: from, newPath: to, oldContent: 'a\n', newContent: 'a\n' });

function commit(subject: string, changes: FileChange[]): PatchCommit {
  return {
    id: subject.padEnd(12, '0'),
    author: { name: 'A', email: 'a@example.invalid' },
    message: { subject, description: '', trailers: [] },
    changes,
  };
}

const shape = (commits: PatchCommit[]) => commits.map((c) => [c.message.subject, c.changes.map((ch) => ch.newPath ?? ch.oldPath)]);

test('new files leave the commits; a commit left with nothing writes no patch; an upstream file keeps its change', () => {
  const split = splitNewFiles(
    [
      commit('files', [create('jwt-auth.js')]),
      commit('hook', [modify('webserver.js'), create('docs.md')]),
      commit('tweak', [modify('jwt-auth.js')]),
    ],
    ['jwt-auth.js'],
  );
  expect(split.newPaths).toEqual(['docs.md', 'jwt-auth.js']);
  expect(shape(split.commits)).toEqual([['hook', ['webserver.js']]]);
});

test('a file a patch already creates stays in its patch; renaming an upstream file stays a patch; moving a new file moves it in the folder', () => {
  const split = splitNewFiles(
    [commit('greet', [create('greeting.txt')]), commit('move', [rename('lib/a.js', 'lib/b.js'), rename('new.js', 'lib/new.js')])],
    ['new.js'],
    ['greeting.txt'],
  );
  expect(split.newPaths).toEqual(['lib/new.js', 'new.js']);
  expect(shape(split.commits)).toEqual([
    ['greet', ['greeting.txt']],
    ['move', ['lib/b.js']],
  ]);
});

test('an empty commit is kept, so the export plan refuses it as it does without a folder', () => {
  expect(shape(splitNewFiles([commit('empty', [])], []).commits)).toEqual([['empty', []]]);
});

test('the folder as a pseudo-patch: sorted paths, bytes exact (CRLF, no final newline), mode, no hunk for an empty file; links are refused', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'meshfork-newfiles-'));
  try {
    mkdirSync(path.join(dir, 'b'));
    writeFileSync(path.join(dir, 'b', 'crlf.js'), 'a\r\nb');
    writeFileSync(path.join(dir, 'a.sh'), '#!/bin/sh\n', { mode: 0o755 });
    writeFileSync(path.join(dir, 'empty'), '');
    const files = readNewFiles(dir);
    expect(files).toEqual([
      { path: 'a.sh', content: '#!/bin/sh\n', mode: '100755' },
      { path: 'b/crlf.js', content: 'a\r\nb', mode: '100644' },
      { path: 'empty', content: '', mode: '100644' },
    ]);
    const patch = newFilesPatch('files/', files);
    expect(patch.operations.map((op) => [op.kind, op.hunks.flatMap((h) => h.lines.map((l) => l.text))])).toEqual([
      ['create', ['#!/bin/sh\n']],
      ['create', ['a\r\n', 'b']],
      ['create', []],
    ]);
    expect(readNewFiles(path.join(dir, 'missing'))).toEqual([]);
    symlinkSync('a.sh', path.join(dir, 'link'));
    expect(() => readNewFiles(dir)).toThrow(/link: not a regular file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
