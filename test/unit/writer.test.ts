import { applyPatch, MemoryTree } from '../../src/engine';
import { MeshforkError } from '../../src/errors';
import { splitLines } from '../../src/series/lines';
import { parsePatch } from '../../src/series/parse';
import type { PatchHeader } from '../../src/series/types';
import { formatPatch } from '../../src/engine/formatPatch';
import { formatHeader, makeHunks, patchFileName, type FileChange } from '../../src/series/writer';

const HEADER: PatchHeader = {
  from: 'Fork Maintainers <maintainers@example.invalid>',
  subject: 'Add the JWT single sign-on module',
  description: 'Adds jwt-auth.js.\n\nSecond paragraph.',
  trailers: [
    { key: 'Upstream-Status', value: 'Inappropriate [fork only]' },
    { key: 'Meshfork-Base', value: '1.1.55' },
  ],
};

function numbered(count: number, eol = '\r\n'): string {
  return Array.from({ length: count }, (_, i) => `line ${i + 1}${eol}`).join('');
}

function replaceLine(content: string, lineNo: number, text: string): string {
  const lines = splitLines(content);
  lines[lineNo - 1] = text;
  return lines.join('');
}

describe('formatPatch: the canonical format', () => {
  it('writes the exact documented layout (header, trailers, ---, sorted files, 3 lines of context, no index lines)', () => {
    const old = numbered(12);
    const text = formatPatch(HEADER, [
      { oldPath: 'webserver.js', newPath: 'webserver.js', oldContent: old, newContent: replaceLine(old, 6, 'line 6 changed\r\n') },
      { oldPath: null, newPath: 'jwt-auth.js', oldContent: null, newContent: 'a\r\nb\r\n' },
    ]);
    expect(text).toBe(
      [
        'From: Fork Maintainers <maintainers@example.invalid>',
        'Subject: Add the JWT single sign-on module',
        '',
        'Adds jwt-auth.js.',
        '',
        'Second paragraph.',
        '',
        'Upstream-Status: Inappropriate [fork only]',
        'Meshfork-Base: 1.1.55',
        '---',
        'diff --git a/jwt-auth.js b/jwt-auth.js',
        'new file mode 100644',
        '--- /dev/null',
        '+++ b/jwt-auth.js',
        '@@ -0,0 +1,2 @@',
        '+a\r',
        '+b\r',
        'diff --git a/webserver.js b/webserver.js',
        '--- a/webserver.js',
        '+++ b/webserver.js',
        '@@ -3,7 +3,7 @@',
        ' line 3\r',
        ' line 4\r',
        ' line 5\r',
        '-line 6\r',
        '+line 6 changed\r',
        ' line 7\r',
        ' line 8\r',
        ' line 9\r',
        '',
      ].join('\n'),
    );
  });

  it('is deterministic: same inputs, same bytes, whatever the order of the changes', () => {
    const old = numbered(40);
    const changes: FileChange[] = [
      { oldPath: 'b.js', newPath: 'b.js', oldContent: old, newContent: replaceLine(old, 20, 'x\r\n') },
      { oldPath: 'a.js', newPath: 'a.js', oldContent: old, newContent: replaceLine(old, 3, 'y\n') },
      { oldPath: 'c.js', newPath: null, oldContent: 'gone\n', newContent: null },
    ];
    const first = formatPatch(HEADER, changes);
    expect(formatPatch(HEADER, [...changes].reverse())).toBe(first);
    expect(formatPatch(structuredClone(HEADER), structuredClone(changes))).toBe(first);
    expect(parsePatch('p.patch', first).operations.map((o) => (o.kind === 'rename' ? o.to : o.path))).toEqual(['a.js', 'b.js', 'c.js']);
  });

  it('drops unchanged files and refuses a patch that changes nothing', () => {
    const text = formatPatch(HEADER, [
      { oldPath: 'same.js', newPath: 'same.js', oldContent: 'a\n', newContent: 'a\n' },
      { oldPath: 'x.js', newPath: 'x.js', oldContent: 'a\n', newContent: 'b\n' },
    ]);
    expect(text).not.toContain('same.js');
    expect(() => formatPatch(HEADER, [{ oldPath: 'same.js', newPath: 'same.js', oldContent: 'a\n', newContent: 'a\n' }])).toThrow(
      MeshforkError,
    );
  });

  it.each([
    [
      'a "---" line in the description (it would end the header; git am splits there too)',
      { description: 'Intro\n---\nafter the rule' },
      /description line "---" would end the patch header/,
    ],
    [
      'a "diff --git" line in the description',
      { description: 'see diff --git\ndiff --git a/x b/x' },
      /description line "diff --git a\/x b\/x"/,
    ],
    ['a two-line subject', { subject: 'Add\nthings' }, /subject and author must be one line/],
    [
      'a last paragraph that reads as trailers when there are none',
      { description: 'Intro\n\nNote: this reads as a trailer', trailers: [] },
      /its description would read back as "Intro"/,
    ],
    [
      'a trailer key the parser cannot read',
      { trailers: [{ key: 'Upstream Status', value: 'Pending' }] },
      /its description would read back as .*Upstream Status: Pending/,
    ],
    ['a [PATCH] prefix the parser strips', { subject: '[PATCH] Add things' }, /its subject would read back as "Add things"/],
  ])('refuses a header that would not read back as written: %s', (_title, override, message) => {
    const header = { ...HEADER, ...override } as PatchHeader;
    let error: unknown;
    try {
      formatPatch(header, [{ oldPath: 'x.js', newPath: 'x.js', oldContent: 'a\n', newContent: 'b\n' }]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MeshforkError);
    expect((error as MeshforkError).code).toBe('PATCH_INVALID');
    expect((error as MeshforkError).message).toMatch(message);
  });

  it('accepts what only normalises: surrounding blanks, CRLF in the description, padded trailer values', () => {
    const text = formatPatch(
      { ...HEADER, description: '\n  Intro\r\nmore  \n\n', trailers: [{ key: 'Upstream-Status', value: ' Pending ' }] },
      [{ oldPath: 'x.js', newPath: 'x.js', oldContent: 'a\n', newContent: 'b\n' }],
    );
    const header = parsePatch('p.patch', text).header;
    expect(header.description).toBe('Intro\nmore');
    expect(header.trailers).toEqual([{ key: 'Upstream-Status', value: 'Pending' }]);
  });

  it('marks missing final newlines on either side', () => {
    const text = formatPatch(HEADER, [{ oldPath: 'a.txt', newPath: 'a.txt', oldContent: 'a\r\nb', newContent: 'a\r\nc' }]);
    expect(text).toContain('@@ -1,2 +1,2 @@\n a\r\n-b\n\\ No newline at end of file\n+c\n\\ No newline at end of file\n');
  });

  it('writes delete, rename and mode-change headers that parse back to the same operations', () => {
    const old = numbered(10);
    const text = formatPatch(HEADER, [
      { oldPath: 'old.js', newPath: null, oldContent: 'x\n', newContent: null, oldMode: '100644' },
      { oldPath: 'lib/a.js', newPath: 'lib/b.js', oldContent: old, newContent: replaceLine(old, 5, 'five\r\n') },
      { oldPath: 'run.sh', newPath: 'run.sh', oldContent: 'echo\n', newContent: 'echo\n', oldMode: '100644', newMode: '100755' },
      { oldPath: 'moved.js', newPath: 'moved-to.js', oldContent: 'same\n', newContent: 'same\n' },
    ]);
    const ops = parsePatch('p.patch', text).operations;
    expect(ops.map((o) => [o.kind, o.kind === 'rename' ? `${o.from}->${o.to}` : o.path, o.hunks.length])).toEqual([
      ['rename', 'lib/a.js->lib/b.js', 1],
      ['rename', 'moved.js->moved-to.js', 0],
      ['delete', 'old.js', 1],
      ['modify', 'run.sh', 0],
    ]);
    expect(ops[3]).toMatchObject({ oldMode: '100644', newMode: '100755' });
  });

  it('quotes unusual paths the way git does, and they parse back', () => {
    // File names are decoded text; the writer writes their UTF-8 bytes, octal-escaped as git does.
    const text = formatPatch(HEADER, [
      { oldPath: 'dir with space/é"q".js', newPath: 'dir with space/é"q".js', oldContent: 'a\n', newContent: 'b\n' },
    ]);
    expect(text).toContain('diff --git "a/dir with space/\\303\\251\\"q\\".js" "b/dir with space/\\303\\251\\"q\\".js"\n');
    expect(parsePatch('p.patch', text).operations[0]).toMatchObject({ kind: 'modify', path: 'dir with space/é"q".js' });
  });

  it('generated patches parse back and apply to the old files, reproducing the new files byte for byte', async () => {
    const old = numbered(200);
    let edited = splitLines(old);
    edited.splice(150, 3, 'changed 151\n', 'extra\r\n');
    edited.splice(100, 0, 'inserted\r\n');
    edited.splice(0, 2);
    edited = [...edited, 'appended without newline'];
    const newContent = edited.join('');
    const text = formatPatch(HEADER, [
      { oldPath: 'big.js', newPath: 'big.js', oldContent: old, newContent },
      { oldPath: null, newPath: 'new.js', oldContent: null, newContent: 'n\r\n' },
    ]);
    const patch = parsePatch(patchFileName(HEADER.subject), text);
    expect(patch.header).toEqual({ ...HEADER, date: undefined });
    const tree = new MemoryTree(async (p) => (p === 'big.js' ? old : undefined));
    const outcome = await applyPatch(patch, tree);
    expect(outcome.status).toBe('clean');
    expect(Object.fromEntries(tree.changes().map(([p, c]) => [p, c.content]))).toEqual({ 'big.js': newContent, 'new.js': 'n\r\n' });
  });
});

describe('makeHunks', () => {
  it('merges changes up to 6 unchanged lines apart into one hunk, splits them when 7 apart', () => {
    const old = splitLines(numbered(30, '\n'));
    const near = old.slice();
    near[5] = 'x\n';
    near[12] = 'y\n';
    expect(makeHunks(old, near)).toHaveLength(1);
    const far = old.slice();
    far[5] = 'x\n';
    far[13] = 'y\n';
    const hunks = makeHunks(old, far);
    expect(hunks.map((h) => [h.oldStart, h.oldLines, h.newStart, h.newLines])).toEqual([
      [3, 7, 3, 7],
      [11, 7, 11, 7],
    ]);
  });

  it('clips context at the file edges', () => {
    const old = splitLines('a\nb\nc\n');
    expect(makeHunks(old, ['A\n', 'b\n', 'c\n']).map((h) => [h.oldStart, h.oldLines])).toEqual([[1, 3]]);
    expect(makeHunks(old, ['a\n', 'b\n', 'c\n', 'd\n']).map((h) => [h.oldStart, h.oldLines, h.newStart, h.newLines])).toEqual([
      [1, 3, 1, 4],
    ]);
  });
});

describe('formatHeader', () => {
  it('omits an empty description and keeps the Date when given', () => {
    expect(
      formatHeader({
        from: 'A <a@example.invalid>',
        date: 'Tue, 3 Sep 2024 10:00:00 +0000',
        subject: 'S',
        description: '  ',
        trailers: [],
      }),
    ).toBe('From: A <a@example.invalid>\nDate: Tue, 3 Sep 2024 10:00:00 +0000\nSubject: S\n\n---\n');
  });
});

describe('patchFileName', () => {
  it.each([
    ['Add the JWT single sign-on module', 'add-the-jwt-single-sign-on-module.patch'],
    ['Serve JWT logins from the web server', 'serve-jwt-logins-from-the-web-server.patch'],
    ['  --Fix: CRLF   & "quotes" in webserver.js!!  ', 'fix-crlf-quotes-in-webserver-js.patch'],
    ['Ünïcödé only', 'n-c-d-only.patch'],
    ['!!!', 'patch.patch'],
    ['', 'patch.patch'],
  ])('%j -> %s', (subject, name) => {
    expect(patchFileName(subject)).toBe(name);
  });

  it('keeps at most 60 characters of slug, cut between words, and never ends it with a dash', () => {
    const name = patchFileName('Make the web server accept JWT bearer tokens issued by the corporate identity provider');
    expect(name).toBe('make-the-web-server-accept-jwt-bearer-tokens-issued-by-the.patch');
    // A word that ends exactly at the limit is kept whole.
    expect(patchFileName('Make the web server accept JWT bearer tokens issued by the c orporate')).toBe(
      'make-the-web-server-accept-jwt-bearer-tokens-issued-by-the-c.patch',
    );
    expect(patchFileName(`${'a'.repeat(59)} b`)).toBe(`${'a'.repeat(59)}.patch`);
    // One word longer than the limit has no boundary to go back to: it is cut.
    expect(patchFileName(`${'x'.repeat(70)} tail`)).toBe(`${'x'.repeat(60)}.patch`);
    expect(patchFileName(`ab ${'x'.repeat(70)}`)).toBe('ab.patch');
  });
});
