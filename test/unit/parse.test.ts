import { parsePatch } from '../../src/series/parse';
import { trailerValue, type FileOperation, type Patch } from '../../src/series/types';
import { errorOf } from '../support/errors';

const HEADER = [
  'From: Fork Maintainers <maintainers@example.invalid>',
  'Subject: Add the JWT single sign-on module',
  '',
  'Free-text description.',
  '',
  'Second paragraph.',
  '',
  'Upstream-Status: Inappropriate [fork only]',
  'Meshfork-Base: 1.1.55',
  '---',
  '',
].join('\n');

function patchText(...diffLines: string[]): string {
  return HEADER + diffLines.join('');
}

function only(patch: Patch): FileOperation {
  expect(patch.operations).toHaveLength(1);
  return patch.operations[0];
}

// Line numbers in HEADER: the "---" separator is line 10, so the first diff line is line 11.
const FIRST_DIFF_LINE = 11;

describe('parsePatch: headers and trailers', () => {
  const modify = 'diff --git a/x.js b/x.js\n--- a/x.js\n+++ b/x.js\n@@ -1 +1 @@\n-a\n+b\n';

  it('reads From, Subject, description paragraphs and trailers', () => {
    const patch = parsePatch('p.patch', patchText(modify));
    expect(patch.name).toBe('p.patch');
    expect(patch.header.from).toBe('Fork Maintainers <maintainers@example.invalid>');
    expect(patch.header.subject).toBe('Add the JWT single sign-on module');
    expect(patch.header.description).toBe('Free-text description.\n\nSecond paragraph.');
    expect(patch.header.trailers).toEqual([
      { key: 'Upstream-Status', value: 'Inappropriate [fork only]' },
      { key: 'Meshfork-Base', value: '1.1.55' },
    ]);
    expect(trailerValue(patch.header, 'upstream-status')).toBe('Inappropriate [fork only]');
  });

  it('accepts git format-patch output: "From <sha>" line, Date, [PATCH] prefix, folded subject, diffstat, "-- " signature', () => {
    const text = [
      'From 3f1c2d4e5f60718293a4b5c6d7e8f90a1b2c3d4e Mon Sep 17 00:00:00 2001',
      'From: Jane Doe <jane@example.invalid>',
      'Date: Tue, 3 Sep 2024 10:00:00 +0000',
      'Subject: [PATCH 2/3] Serve JWT logins from the',
      ' web server',
      '',
      'Body text.',
      '',
      'Upstream-Status: Submitted <https://github.com/Ylianst/MeshCentral/pull/1>',
      '---',
      ' x.js | 2 +-',
      ' 1 file changed, 1 insertion(+), 1 deletion(-)',
      '',
      'diff --git a/x.js b/x.js',
      'index 78981922..61780798 100644',
      '--- a/x.js',
      '+++ b/x.js',
      '@@ -1 +1 @@',
      '-a',
      '+b',
      '-- ',
      '2.39.5',
      '',
      '',
    ].join('\n');
    const patch = parsePatch('fp.patch', text);
    expect(patch.header.subject).toBe('Serve JWT logins from the web server');
    expect(patch.header.from).toBe('Jane Doe <jane@example.invalid>');
    expect(patch.header.date).toBe('Tue, 3 Sep 2024 10:00:00 +0000');
    expect(patch.header.description).toBe('Body text.');
    expect(trailerValue(patch.header, 'Upstream-Status')).toBe('Submitted <https://github.com/Ylianst/MeshCentral/pull/1>');
    const op = only(patch);
    expect(op).toMatchObject({ kind: 'modify', path: 'x.js' });
    expect(op.hunks[0].lines).toEqual([
      { kind: '-', text: 'a\n' },
      { kind: '+', text: 'b\n' },
    ]);
  });

  it('decodes the RFC 2047 encoded words git format-patch writes for non-ASCII subjects and names (folded too)', () => {
    const text = [
      'From 3f1c2d4e5f60718293a4b5c6d7e8f90a1b2c3d4e Mon Sep 17 00:00:00 2001',
      'From: =?UTF-8?q?J=C3=B6rg=20M=C3=BCller?= <j@example.invalid>',
      'Subject: [PATCH 1/2] =?UTF-8?q?Caf=C3=A9=20login:=20r=C3=A9sum=C3=A9=20of?=',
      ' =?UTF-8?q?=20a=20long=20subject?=',
      'MIME-Version: 1.0',
      '',
      '---',
      'diff --git a/x.js b/x.js',
      '--- a/x.js',
      '+++ b/x.js',
      '@@ -1 +1 @@',
      '-a',
      '+b',
      '',
    ].join('\n');
    const header = parsePatch('p.patch', text).header;
    // Binary strings: UTF-8 bytes, one char per byte, like every other text of a patch.
    expect(Buffer.from(header.subject, 'latin1').toString('utf8')).toBe('Café login: résumé of a long subject');
    expect(Buffer.from(header.from, 'latin1').toString('utf8')).toBe('Jörg Müller <j@example.invalid>');
    const base64 = parsePatch('p.patch', text.replace(/Subject: [\s\S]*?MIME/, 'Subject: =?utf-8?B?w5xuaWNvZGU=?=\nMIME')).header;
    expect(Buffer.from(base64.subject, 'latin1').toString('utf8')).toBe('Ünicode');
  });

  it.each([
    ['Inappropriate'],
    ['Inappropriate [configuration]'],
    ['Pending'],
    ['Submitted <https://example.invalid/pr/1>'],
    ['Accepted 1.1.56'],
  ])('accepts Upstream-Status: %s', (status) => {
    const text = `From: A <a@b.invalid>\nSubject: s\n\nUpstream-Status: ${status}\n---\n${modify}`;
    expect(trailerValue(parsePatch('p.patch', text).header, 'Upstream-Status')).toBe(status);
  });

  it.each([['Maybe'], ['Submitted'], ['pending later'], ['Inappropriate because']])(
    'refuses Upstream-Status: %s naming the line',
    (status) => {
      const text = `From: A <a@b.invalid>\nSubject: s\n\nUpstream-Status: ${status}\n---\n${modify}`;
      const error = errorOf(() => parsePatch('p.patch', text));
      expect(error.code).toBe('PATCH_INVALID');
      expect(error.message).toMatch(/^p\.patch:4: Upstream-Status/);
    },
  );

  it('refuses a Meshfork-Base that is not a version, naming the line', () => {
    const text = `From: A <a@b.invalid>\nSubject: s\n\nsome text\n\nMeshfork-Base: latest\n---\n${modify}`;
    const error = errorOf(() => parsePatch('p.patch', text));
    expect(error.code).toBe('PATCH_INVALID');
    expect(error.message).toMatch(/^p\.patch:6: Meshfork-Base: "latest"/);
  });

  it('a last paragraph that is not all trailers is description', () => {
    const text = `From: A <a@b.invalid>\nSubject: s\n\nNote: this is prose\nand more prose\n---\n${modify}`;
    const header = parsePatch('p.patch', text).header;
    expect(header.trailers).toEqual([]);
    expect(header.description).toBe('Note: this is prose\nand more prose');
  });

  it('refuses a patch without Subject or without From', () => {
    expect(errorOf(() => parsePatch('p.patch', `From: A <a@b.invalid>\n\n---\n${modify}`)).message).toMatch(
      /^p\.patch:1: missing "Subject:"/,
    );
    expect(errorOf(() => parsePatch('p.patch', `Subject: s\n\n---\n${modify}`)).message).toMatch(/^p\.patch:1: missing "From:"/);
  });

  it('refuses a header line that is not a field, naming its line', () => {
    const error = errorOf(() => parsePatch('p.patch', `From: A <a@b.invalid>\nSubject: s\nthis is not a field\n\n---\n${modify}`));
    expect(error.message).toMatch(/^p\.patch:3: expected a header field/);
  });

  it('refuses a file without any diff', () => {
    const error = errorOf(() => parsePatch('p.patch', 'From: A <a@b.invalid>\nSubject: s\n\njust text\n'));
    expect(error.code).toBe('PATCH_INVALID');
    expect(error.message).toMatch(/no diff found/);
  });
});

describe('parsePatch: file operations', () => {
  it('new file: create with its mode and content', () => {
    const op = only(
      parsePatch(
        'p.patch',
        patchText('diff --git a/new.js b/new.js\nnew file mode 100755\n--- /dev/null\n+++ b/new.js\n@@ -0,0 +1,2 @@\n+one\n+two\n'),
      ),
    );
    expect(op).toMatchObject({ kind: 'create', path: 'new.js', mode: '100755' });
    expect(op.hunks[0]).toMatchObject({ oldStart: 0, oldLines: 0, newStart: 1, newLines: 2, headerLine: FIRST_DIFF_LINE + 4 });
  });

  it('new empty file (no hunks)', () => {
    const op = only(parsePatch('p.patch', patchText('diff --git a/empty.txt b/empty.txt\nnew file mode 100644\n')));
    expect(op).toEqual({ kind: 'create', path: 'empty.txt', mode: '100644', hunks: [] });
  });

  it('deleted file', () => {
    const op = only(
      parsePatch(
        'p.patch',
        patchText('diff --git a/old.js b/old.js\ndeleted file mode 100644\n--- a/old.js\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-one\n-two\n'),
      ),
    );
    expect(op).toMatchObject({ kind: 'delete', path: 'old.js', mode: '100644' });
    expect(op.hunks[0].lines.map((l) => l.kind)).toEqual(['-', '-']);
  });

  it('pure rename and rename with changes', () => {
    const pure = only(
      parsePatch('p.patch', patchText('diff --git a/a.js b/lib/b.js\nsimilarity index 100%\nrename from a.js\nrename to lib/b.js\n')),
    );
    expect(pure).toEqual({
      kind: 'rename',
      from: 'a.js',
      to: 'lib/b.js',
      hunks: [],
      oldMode: undefined,
      newMode: undefined,
      similarity: 100,
    });
    const changed = only(
      parsePatch(
        'p.patch',
        patchText(
          'diff --git a/a.js b/b.js\nsimilarity index 80%\nrename from a.js\nrename to b.js\n--- a/a.js\n+++ b/b.js\n@@ -1,2 +1,2 @@\n keep\n-x\n+y\n',
        ),
      ),
    );
    expect(changed).toMatchObject({ kind: 'rename', from: 'a.js', to: 'b.js', similarity: 80 });
    expect(changed.hunks).toHaveLength(1);
  });

  it('mode change without content change', () => {
    const op = only(parsePatch('p.patch', patchText('diff --git a/run.sh b/run.sh\nold mode 100644\nnew mode 100755\n')));
    expect(op).toEqual({ kind: 'modify', path: 'run.sh', hunks: [], oldMode: '100644', newMode: '100755' });
  });

  it('several files in one patch, in order', () => {
    const patch = parsePatch(
      'p.patch',
      patchText(
        'diff --git a/a.js b/a.js\n--- a/a.js\n+++ b/a.js\n@@ -1 +1 @@\n-a\n+A\n',
        'diff --git a/b.js b/b.js\nnew file mode 100644\n--- /dev/null\n+++ b/b.js\n@@ -0,0 +1 @@\n+b\n',
      ),
    );
    expect(patch.operations.map((o) => `${o.kind}:${o.kind === 'rename' ? o.to : o.path}`)).toEqual(['modify:a.js', 'create:b.js']);
  });

  it('quoted paths with spaces, tabs and octal escapes', () => {
    const text = patchText(
      'diff --git "a/dir with space/t\\tab\\303\\251.js" "b/dir with space/t\\tab\\303\\251.js"\n--- "a/dir with space/t\\tab\\303\\251.js"\n+++ "b/dir with space/t\\tab\\303\\251.js"\n@@ -1 +1 @@\n-a\n+b\n',
    );
    const op = only(parsePatch('p.patch', text));
    // The octal escapes are UTF-8 bytes: \303\251 is "é", decoded (a latin1 reading would miss the file).
    expect(op).toMatchObject({ kind: 'modify', path: 'dir with space/t\tabé.js' });
  });

  it('unquoted path containing " b/"', () => {
    const op = only(
      parsePatch('p.patch', patchText('diff --git a/x b/y.js b/x b/y.js\n--- a/x b/y.js\n+++ b/x b/y.js\n@@ -1 +1 @@\n-a\n+b\n')),
    );
    expect(op).toMatchObject({ kind: 'modify', path: 'x b/y.js' });
  });

  it('hunk header forms: omitted counts mean 1, section text is kept', () => {
    const op = only(
      parsePatch(
        'p.patch',
        patchText('diff --git a/a.js b/a.js\n--- a/a.js\n+++ b/a.js\n@@ -5 +5,2 @@ function handleRootRequest(req, res) {\n-a\n+b\n+c\n'),
      ),
    );
    expect(op.hunks[0]).toMatchObject({
      oldStart: 5,
      oldLines: 1,
      newStart: 5,
      newLines: 2,
      section: 'function handleRootRequest(req, res) {',
    });
  });

  it('an empty line inside a hunk is a context line (as git apply reads it)', () => {
    const op = only(parsePatch('p.patch', patchText('diff --git a/a.js b/a.js\n--- a/a.js\n+++ b/a.js\n@@ -1,3 +1,3 @@\n a\n\n-c\n+C\n')));
    expect(op.hunks[0].lines).toEqual([
      { kind: ' ', text: 'a\n' },
      { kind: ' ', text: '\n' },
      { kind: '-', text: 'c\n' },
      { kind: '+', text: 'C\n' },
    ]);
  });
});

describe('parsePatch: bytes', () => {
  it('keeps CRLF content and stray bytes byte-exactly', () => {
    const text = patchText('diff --git a/w.js b/w.js\n--- a/w.js\n+++ b/w.js\n@@ -1,2 +1,2 @@\n ctx\r\n-old \xe9\r\n+new \xc3\xa9\r\n');
    const lines = only(parsePatch('p.patch', text)).hunks[0].lines;
    expect(lines).toEqual([
      { kind: ' ', text: 'ctx\r\n' },
      { kind: '-', text: 'old \xe9\r\n' },
      { kind: '+', text: 'new \xc3\xa9\r\n' },
    ]);
  });

  it('"\\ No newline at end of file" removes the ending of the line before it, on either side', () => {
    const text = patchText(
      'diff --git a/a.txt b/a.txt\n--- a/a.txt\n+++ b/a.txt\n@@ -1,2 +1,2 @@\n a\r\n-b\r\n\\ No newline at end of file\n+c\r\n',
    );
    expect(only(parsePatch('p.patch', text)).hunks[0].lines).toEqual([
      { kind: ' ', text: 'a\r\n' },
      { kind: '-', text: 'b\r\n'.slice(0, -1) },
      { kind: '+', text: 'c\r\n' },
    ]);
    const both = patchText(
      'diff --git a/a.txt b/a.txt\n--- a/a.txt\n+++ b/a.txt\n@@ -1 +1 @@\n-b\n\\ No newline at end of file\n+c\n\\ No newline at end of file\n',
    );
    expect(only(parsePatch('p.patch', both)).hunks[0].lines).toEqual([
      { kind: '-', text: 'b' },
      { kind: '+', text: 'c' },
    ]);
  });

  it('a CRLF patch file (line endings of the patch itself) keeps CR in content lines', () => {
    const text = HEADER + 'diff --git a/a.js b/a.js\r\n--- a/a.js\r\n+++ b/a.js\r\n@@ -1 +1 @@\r\n-a\r\n+b\r\n';
    const op = only(parsePatch('p.patch', text));
    expect(op).toMatchObject({ kind: 'modify', path: 'a.js' });
    expect(op.hunks[0].lines).toEqual([
      { kind: '-', text: 'a\r\n' },
      { kind: '+', text: 'b\r\n' },
    ]);
  });
});

describe('parsePatch: refusals name the file and line', () => {
  const cases: [string, string, string, RegExp][] = [
    [
      'truncated hunk',
      'diff --git a/a.js b/a.js\n--- a/a.js\n+++ b/a.js\n@@ -1,3 +1,3 @@\n a\n-b\n',
      'PATCH_INVALID',
      /^p\.patch:14: truncated hunk/,
    ],
    [
      'too many lines for the header',
      'diff --git a/a.js b/a.js\n--- a/a.js\n+++ b/a.js\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n+d\n',
      'PATCH_INVALID',
      /^p\.patch:18: hunk at line 14 has more lines than its header promises/,
    ],
    [
      'too few lines before the next file',
      'diff --git a/a.js b/a.js\n--- a/a.js\n+++ b/a.js\n@@ -1,3 +1,3 @@\n a\n-b\n+c\ndiff --git a/b.js b/b.js\n',
      'PATCH_INVALID',
      /^p\.patch:18: hunk at line 14 ends early/,
    ],
    [
      'malformed hunk header',
      'diff --git a/a.js b/a.js\n--- a/a.js\n+++ b/a.js\n@@ -1,x +1 @@\n-a\n+b\n',
      'PATCH_INVALID',
      /^p\.patch:14: malformed hunk header/,
    ],
    [
      'hunks out of order',
      'diff --git a/a.js b/a.js\n--- a/a.js\n+++ b/a.js\n@@ -10 +10 @@\n-a\n+b\n@@ -2 +2 @@\n-a\n+b\n',
      'PATCH_INVALID',
      /^p\.patch:17: hunks overlap or are out of order/,
    ],
    [
      'missing ---/+++ headers',
      'diff --git a/a.js b/a.js\n@@ -1 +1 @@\n-a\n+b\n',
      'PATCH_INVALID',
      /^p\.patch:11: missing "---"\/"\+\+\+" headers/,
    ],
    ['--- without +++', 'diff --git a/a.js b/a.js\n--- a/a.js\n@@ -1 +1 @@\n-a\n+b\n', 'PATCH_INVALID', /^p\.patch:13: expected "\+\+\+ "/],
    [
      '/dev/null without new file mode',
      'diff --git a/a.js b/a.js\n--- /dev/null\n+++ b/a.js\n@@ -0,0 +1 @@\n+a\n',
      'PATCH_INVALID',
      /^p\.patch:11: .*\/dev\/null without "new file mode"/,
    ],
    ['hunk without file headers', '@@ -1 +1 @@\n-a\n+b\n', 'PATCH_INVALID', /^p\.patch:11: diff content without file headers/],
    [
      'paths differ without rename',
      'diff --git a/a.js b/b.js\n--- a/a.js\n+++ b/b.js\n@@ -1 +1 @@\n-a\n+b\n',
      'PATCH_INVALID',
      /^p\.patch:11: paths differ/,
    ],
    [
      'new file with context lines',
      'diff --git a/n.js b/n.js\nnew file mode 100644\n--- /dev/null\n+++ b/n.js\n@@ -1 +1,2 @@\n a\n+b\n',
      'PATCH_INVALID',
      /^p\.patch:11: new file "n\.js" has hunks with context/,
    ],
    ['invalid mode', 'diff --git a/a.sh b/a.sh\nold mode 100644\nnew mode 755\n', 'PATCH_INVALID', /^p\.patch:13: invalid file mode "755"/],
    [
      'symlink (mode 120000)',
      'diff --git a/link b/link\nnew file mode 120000\n--- /dev/null\n+++ b/link\n@@ -0,0 +1 @@\n+/etc\n\\ No newline at end of file\n',
      'PATCH_INVALID',
      /^p\.patch:12: file mode 120000 \(a symlink\) is not supported/,
    ],
    [
      'type change to a symlink',
      'diff --git a/x.js b/x.js\nold mode 100644\nnew mode 120000\n',
      'PATCH_INVALID',
      /^p\.patch:13: file mode 120000 \(a symlink\)/,
    ],
    [
      'submodule (mode 160000)',
      'diff --git a/sub b/sub\nnew file mode 160000\n--- /dev/null\n+++ b/sub\n@@ -0,0 +1 @@\n+Subproject commit 1234567890123456789012345678901234567890\n',
      'PATCH_INVALID',
      /^p\.patch:12: file mode 160000 \(a submodule\)/,
    ],
    ['copy half', 'diff --git a/a.js b/c.js\ncopy from a.js\n', 'PATCH_INVALID', /^p\.patch:11: a copy needs both/],
    ['rename half', 'diff --git a/a.js b/b.js\nrename from a.js\n', 'PATCH_INVALID', /^p\.patch:11: a rename needs both/],
    [
      'misplaced no-newline marker',
      'diff --git a/a.js b/a.js\n--- a/a.js\n+++ b/a.js\n@@ -1 +1 @@\n-a\n\\ No newline at end of file\n\\ No newline at end of file\n+b\n',
      'PATCH_INVALID',
      /^p\.patch:17: misplaced/,
    ],
    [
      'file ends inside a hunk line',
      'diff --git a/a.js b/a.js\n--- a/a.js\n+++ b/a.js\n@@ -1 +1 @@\n-a\n+b',
      'PATCH_INVALID',
      /^p\.patch:16: the patch file ends in the middle of a hunk line/,
    ],
    [
      'GIT binary patch',
      'diff --git a/logo.png b/logo.png\nnew file mode 100644\nGIT binary patch\nliteral 5\nMcmZ?wbhEHbb\n\nliteral 0\nHcmV?d00001\n\n',
      'PATCH_INVALID',
      /^p\.patch:13: cannot apply binary patch to "logo\.png" without full index line/,
    ],
    [
      'Binary files differ',
      'diff --git a/logo.png b/logo.png\nBinary files a/logo.png and b/logo.png differ\n',
      'PATCH_BINARY',
      /^p\.patch:12: binary patch for "logo\.png"/,
    ],
    ['a diff that changes nothing', 'diff --git a/a.js b/a.js\n', 'PATCH_INVALID', /^p\.patch:11: "a\.js" has no hunks and no mode change/],
  ];

  it.each(cases)('%s', (_title, diff, code, message) => {
    const error = errorOf(() => parsePatch('p.patch', patchText(diff)));
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
    expect(error.hint).toBeTruthy();
  });

  it('refuses NUL bytes anywhere', () => {
    const error = errorOf(() =>
      parsePatch('p.patch', patchText('diff --git a/a.js b/a.js\n--- a/a.js\n+++ b/a.js\n@@ -1 +1 @@\n-a\0\n+b\n')),
    );
    expect(error.code).toBe('PATCH_BINARY');
    expect(error.message).toBe(`p.patch:${FIRST_DIFF_LINE + 4}: the patch file contains NUL bytes`);
  });

  it.each([
    ['../escape.js', /leaves the tree/],
    ['/etc/passwd', /absolute path/],
    ['.git/hooks/post-checkout', /\.git/],
    ['lib/../../x.js', /leaves the tree/],
    ['a/./b.js', /empty or "\." segment/],
    ['sub/.GIT/config', /\.git/],
  ])('refuses the unsafe path %s with PATH_UNSAFE', (p, reason) => {
    const error = errorOf(() =>
      parsePatch('p.patch', patchText(`diff --git a/${p} b/${p}\n--- a/${p}\n+++ b/${p}\n@@ -1 +1 @@\n-a\n+b\n`)),
    );
    expect(error.code).toBe('PATH_UNSAFE');
    expect(error.message).toMatch(new RegExp(`^p\\.patch:${FIRST_DIFF_LINE}: refusing to touch`));
    expect(error.message).toMatch(reason);
  });

  it('refuses an unsafe rename target', () => {
    const error = errorOf(() => parsePatch('p.patch', patchText('diff --git a/a.js b/../b.js\nrename from a.js\nrename to ../b.js\n')));
    expect(error.code).toBe('PATH_UNSAFE');
  });
});
