import { applyPatch, applySeries, MemoryTree, patchStatus, worstStatus } from '../../src/engine';
import { conflictRegions, mergeFile } from '../../src/engine/merge3';
import { splitLines } from '../../src/series/lines';
import { parsePatch } from '../../src/series/parse';
import type { Patch } from '../../src/series/types';
import { formatPatch } from '../../src/engine/formatPatch';
import { type FileChange } from '../../src/series/writer';

/** 20 CRLF lines "line 1".."line 20", like a small MeshCentral source file. */
function numbered(count = 20, eol = '\r\n'): string {
  return Array.from({ length: count }, (_, i) => `line ${i + 1}${eol}`).join('');
}

function replaceLine(content: string, lineNo: number, text: string): string {
  const lines = splitLines(content);
  lines[lineNo - 1] = text;
  return lines.join('');
}

function makePatch(subject: string, changes: FileChange[]): Patch {
  return parsePatch(`${subject}.patch`, formatPatch({ from: 'T <t@example.invalid>', subject, description: '', trailers: [] }, changes));
}

function treeOf(files: Record<string, string>): MemoryTree {
  return new MemoryTree(async (p) => files[p]);
}

function contents(tree: MemoryTree): Record<string, string | null> {
  return Object.fromEntries(tree.changes().map(([p, c]) => [p, c.content]));
}

const BASE = numbered();
const PATCHED = replaceLine(BASE, 10, 'line 10 patched\r\n');
const MODIFY = makePatch('modify', [{ oldPath: 'a.js', newPath: 'a.js', oldContent: BASE, newContent: PATCHED }]);

describe('applyPatch: per-patch status', () => {
  it('clean: writes the new content into the tree', async () => {
    const tree = treeOf({ 'a.js': BASE });
    const outcome = await applyPatch(MODIFY, tree);
    expect(outcome).toMatchObject({ name: 'modify.patch', subject: 'modify', status: 'clean' });
    expect(outcome.files).toEqual([
      { kind: 'modify', path: 'a.js', status: 'applied', hunks: [{ index: 0, status: 'exact', baseLine: 7, targetLine: 7, offset: 0 }] },
    ]);
    expect(contents(tree)).toEqual({ 'a.js': PATCHED });
  });

  it('offset: upstream moved the code', async () => {
    const tree = treeOf({ 'a.js': `new first\r\n${BASE}` });
    const outcome = await applyPatch(MODIFY, tree);
    expect(outcome.status).toBe('offset');
    expect(outcome.files[0].hunks[0]).toMatchObject({ status: 'offset', offset: 1, targetLine: 8 });
    expect(contents(tree)['a.js']).toBe(`new first\r\n${PATCHED}`);
  });

  it('conflict: strict refuses a changed context line, writes nothing, and shows the differing lines', async () => {
    const upstream = replaceLine(BASE, 9, 'line 9 changed upstream\r\n');
    const tree = treeOf({ 'a.js': upstream });
    const outcome = await applyPatch(MODIFY, tree);
    expect(outcome.status).toBe('conflict');
    expect(outcome.files[0].status).toBe('conflict');
    expect(outcome.files[0].hunks[0]).toMatchObject({
      status: 'conflict',
      baseLine: 7,
      differingLines: [{ line: 9, expected: 'line 9', actual: 'line 9 changed upstream' }],
    });
    expect(tree.changes()).toEqual([]);
  });

  it('needs-refresh with fuzz: the same change lands when fuzz is allowed', async () => {
    const upstream = replaceLine(BASE, 7, 'line 7 changed upstream\r\n');
    expect((await applyPatch(MODIFY, treeOf({ 'a.js': upstream }))).status).toBe('conflict');
    const tree = treeOf({ 'a.js': upstream });
    const outcome = await applyPatch(MODIFY, tree, { fuzz: 2 });
    expect(outcome.status).toBe('needs-refresh');
    expect(outcome.files[0].hunks[0]).toMatchObject({ status: 'fuzz', fuzz: 1, targetLine: 7, offset: 0 });
    expect(contents(tree)['a.js']).toBe(replaceLine(PATCHED, 7, 'line 7 changed upstream\r\n'));
  });

  it('already-applied: upstream contains the change (the patch reverses cleanly); nothing is written', async () => {
    const tree = treeOf({ 'a.js': PATCHED });
    const outcome = await applyPatch(MODIFY, tree);
    expect(outcome.status).toBe('already-applied');
    expect(outcome.files).toEqual([{ kind: 'modify', path: 'a.js', status: 'already-applied', hunks: [] }]);
    expect(tree.changes()).toEqual([]);
  });

  it('missing: the file to modify does not exist', async () => {
    const outcome = await applyPatch(MODIFY, treeOf({}));
    expect(outcome.status).toBe('conflict');
    expect(outcome.files[0].status).toBe('missing');
  });

  it('a patch applies as a whole or not at all: one failing file keeps the other unwritten', async () => {
    const patch = makePatch('two', [
      { oldPath: 'a.js', newPath: 'a.js', oldContent: BASE, newContent: PATCHED },
      { oldPath: 'b.js', newPath: 'b.js', oldContent: BASE, newContent: replaceLine(BASE, 3, 'b3\r\n') },
    ]);
    const tree = treeOf({ 'a.js': BASE, 'b.js': replaceLine(BASE, 2, 'changed\r\n') });
    const outcome = await applyPatch(patch, tree);
    expect(outcome.files.map((f) => f.status)).toEqual(['applied', 'conflict']);
    expect(outcome.status).toBe('conflict');
    expect(tree.changes()).toEqual([]);
  });
});

describe('applyPatch: file operations', () => {
  it('create, and create of a file that already exists (same content: already-applied; other content: conflict)', async () => {
    const create = makePatch('create', [{ oldPath: null, newPath: 'lib/new.js', oldContent: null, newContent: 'x\r\ny' }]);
    const tree = treeOf({});
    expect((await applyPatch(create, tree)).status).toBe('clean');
    expect(tree.changes()).toEqual([['lib/new.js', { content: 'x\r\ny', mode: '100644' }]]);
    expect((await applyPatch(create, treeOf({ 'lib/new.js': 'x\r\ny' }))).status).toBe('already-applied');
    const clash = await applyPatch(create, treeOf({ 'lib/new.js': 'other\n' }));
    expect(clash.status).toBe('conflict');
    expect(clash.files[0].status).toBe('conflict');
  });

  it('delete, and delete of a file that is already gone', async () => {
    const del = makePatch('delete', [{ oldPath: 'old.js', newPath: null, oldContent: BASE, newContent: null }]);
    const tree = treeOf({ 'old.js': BASE });
    expect((await applyPatch(del, tree)).status).toBe('clean');
    expect(contents(tree)).toEqual({ 'old.js': null });
    expect(await tree.read('old.js')).toBeUndefined();
    expect((await applyPatch(del, treeOf({}))).status).toBe('already-applied');
  });

  it('refuses what git apply refuses: a rename onto an existing file, a deletion that leaves content behind', async () => {
    const rename = makePatch('rename-onto', [{ oldPath: 'a.js', newPath: 'b.js', oldContent: BASE, newContent: BASE }]);
    const tree = treeOf({ 'a.js': BASE, 'b.js': 'someone else\n' });
    const outcome = await applyPatch(rename, tree);
    expect(outcome.status).toBe('conflict');
    expect(outcome.files[0]).toMatchObject({ kind: 'rename', status: 'conflict' });
    expect(tree.changes()).toEqual([]);
    // Not even a 3-way merge may overwrite it.
    expect((await applyPatch(rename, tree, { threeWayBase: async () => BASE })).status).toBe('conflict');
    expect(tree.changes()).toEqual([]);

    const deleteEmpty = makePatch('delete-empty', [{ oldPath: 'empty.txt', newPath: null, oldContent: '', newContent: null }]);
    const t2 = treeOf({ 'empty.txt': 'upstream wrote here\n' });
    expect((await applyPatch(deleteEmpty, t2)).status).toBe('conflict');
    expect(t2.changes()).toEqual([]);
    const t3 = treeOf({ 'empty.txt': '' });
    expect((await applyPatch(deleteEmpty, t3)).status).toBe('clean');
    expect(t3.changes()).toEqual([['empty.txt', { content: null }]]);
  });

  it('rename with a change, and a mode change', async () => {
    const rename = makePatch('rename', [{ oldPath: 'a.js', newPath: 'b.js', oldContent: BASE, newContent: PATCHED }]);
    const tree = treeOf({ 'a.js': BASE });
    const outcome = await applyPatch(rename, tree);
    expect(outcome.files[0]).toMatchObject({ kind: 'rename', from: 'a.js', path: 'b.js', status: 'applied' });
    expect(contents(tree)).toEqual({ 'a.js': null, 'b.js': PATCHED });
    const chmod = makePatch('chmod', [
      { oldPath: 'run.sh', newPath: 'run.sh', oldContent: 'echo\n', newContent: 'echo\n', oldMode: '100644', newMode: '100755' },
    ]);
    const t2 = treeOf({ 'run.sh': 'echo\n' });
    await applyPatch(chmod, t2);
    expect(t2.changes()).toEqual([['run.sh', { content: 'echo\n', mode: '100755' }]]);
  });
});

describe('applyPatch: 3-way merge with git merge-file', () => {
  // Upstream changed line 9, next to the patched line 10, so the hunk's context no longer matches.
  const upstream = replaceLine(BASE, 8, 'line 8 changed upstream\r\n');

  it('merged: a conflict in strict mode merges cleanly against the base release', async () => {
    expect((await applyPatch(MODIFY, treeOf({ 'a.js': upstream }))).status).toBe('conflict');
    const tree = treeOf({ 'a.js': upstream });
    const outcome = await applyPatch(MODIFY, tree, { threeWayBase: async (p) => (p === 'a.js' ? BASE : undefined) });
    expect(outcome.status).toBe('needs-refresh');
    expect(outcome.files[0]).toMatchObject({ status: 'applied', hunks: [{ status: 'merged' }] });
    expect(contents(tree)['a.js']).toBe(replaceLine(PATCHED, 8, 'line 8 changed upstream\r\n'));
  });

  it('conflict: upstream changed the same line; the file gets conflict markers and the hunk their line range', async () => {
    const clash = replaceLine(BASE, 10, 'line 10 changed upstream\r\n');
    const tree = treeOf({ 'a.js': clash });
    const outcome = await applyPatch(MODIFY, tree, { threeWayBase: async () => BASE });
    expect(outcome.status).toBe('conflict');
    const [hunk] = outcome.files[0].hunks;
    expect(hunk.status).toBe('conflict');
    const merged = contents(tree)['a.js'] as string;
    const lines = splitLines(merged);
    expect(hunk.conflictRange).toBeDefined();
    const { start, end } = hunk.conflictRange as { start: number; end: number };
    expect(lines[start - 1]).toBe('<<<<<<< upstream\r\n');
    expect(lines[end - 1]).toBe('>>>>>>> patch\r\n');
    const region = lines.slice(start - 1, end).join('');
    expect(region).toContain('line 10 changed upstream\r\n');
    expect(region).toContain('line 10 patched\r\n');
    // Everything outside the region is the upstream file.
    expect(lines.slice(0, start - 1).join('')).toBe(
      splitLines(clash)
        .slice(0, start - 1)
        .join(''),
    );
  });

  it('two conflicting hunks get their own conflict regions, in order, each holding its own change', async () => {
    const base = numbered(60);
    const patched = replaceLine(replaceLine(base, 10, 'line 10 patched\r\n'), 50, 'line 50 patched\r\n');
    const patch = makePatch('two-hunks', [{ oldPath: 'a.js', newPath: 'a.js', oldContent: base, newContent: patched }]);
    const upstream = replaceLine(replaceLine(`inserted upstream\r\n${base}`, 11, 'line 10 upstream\r\n'), 51, 'line 50 upstream\r\n');
    const tree = treeOf({ 'a.js': upstream });
    const outcome = await applyPatch(patch, tree, { threeWayBase: async () => base });
    expect(outcome.status).toBe('conflict');
    const lines = splitLines(contents(tree)['a.js'] as string);
    const ranges = outcome.files[0].hunks.map((h) => h.conflictRange);
    expect(ranges.every((r) => r !== undefined)).toBe(true);
    const [first, second] = ranges as { start: number; end: number }[];
    expect(first.end).toBeLessThan(second.start);
    expect(lines.slice(first.start - 1, first.end).join('')).toContain('line 10 patched');
    expect(lines.slice(second.start - 1, second.end).join('')).toContain('line 50 patched');
  });

  it('a hunk that merges cleanly is "merged" even when another hunk of the file conflicts', async () => {
    const base = numbered(60);
    const patched = replaceLine(replaceLine(base, 10, 'line 10 patched\r\n'), 30, 'line 30 patched\r\n');
    const patch = makePatch('mixed', [{ oldPath: 'a.js', newPath: 'a.js', oldContent: base, newContent: patched }]);
    // Line 12 changed upstream: hunk 1's context no longer matches, but the change merges cleanly.
    // Line 30 changed upstream: hunk 2 conflicts.
    const upstream = replaceLine(replaceLine(base, 12, 'line 12 upstream\r\n'), 30, 'line 30 upstream\r\n');
    const tree = treeOf({ 'a.js': upstream });
    const outcome = await applyPatch(patch, tree, { threeWayBase: async () => base });
    expect(outcome.status).toBe('conflict');
    const [first, second] = outcome.files[0].hunks;
    expect(first.status).toBe('merged');
    expect(first.conflictRange).toBeUndefined();
    expect(second.status).toBe('conflict');
    const lines = splitLines(contents(tree)['a.js'] as string);
    const { start, end } = second.conflictRange as { start: number; end: number };
    expect(lines.slice(start - 1, end).join('')).toContain('line 30 patched');
    expect(lines).toContain('line 10 patched\r\n');
    expect(lines).toContain('line 12 upstream\r\n');
  });

  it('without the base file the conflict stays a plain conflict and nothing is written', async () => {
    const tree = treeOf({ 'a.js': upstream });
    const outcome = await applyPatch(MODIFY, tree, { threeWayBase: async () => undefined });
    expect(outcome.status).toBe('conflict');
    expect(tree.changes()).toEqual([]);
  });

  it('mergeFile keeps CRLF and missing final newlines byte-exactly; conflictRegions finds the markers', async () => {
    // A final newline survives (the process runner strips it from stdout; merge3 must not rely on stdout).
    expect(await mergeFile('a\r\nb\r\nC\r\n', 'a\r\nb\r\nc\r\n', 'A\r\nb\r\nc\r\n')).toEqual({ content: 'A\r\nb\r\nC\r\n', conflicts: 0 });
    const base = 'a\r\nb\r\nc';
    const clean = await mergeFile('a\r\nb\r\nC', base, 'A\r\nb\r\nc');
    expect(clean).toEqual({ content: 'A\r\nb\r\nC', conflicts: 0 });
    const conflicted = await mergeFile('a\r\nX\r\nc', base, 'a\r\nY\r\nc');
    expect(conflicted.conflicts).toBe(1);
    expect(conflictRegions(splitLines(conflicted.content))).toEqual([{ start: 2, end: 6 }]);
  });
});

describe('applySeries and statuses', () => {
  it('applies in order, each patch on the result of the previous one, and reports the worst status', async () => {
    const second = makePatch('second', [
      { oldPath: 'a.js', newPath: 'a.js', oldContent: PATCHED, newContent: replaceLine(PATCHED, 11, 'line 11 too\r\n') },
    ]);
    const tree = treeOf({ 'a.js': BASE });
    const outcome = await applySeries([MODIFY, second], tree);
    expect(outcome.patches.map((p) => p.status)).toEqual(['clean', 'clean']);
    expect(outcome.status).toBe('clean');
    expect(contents(tree)['a.js']).toBe(replaceLine(PATCHED, 11, 'line 11 too\r\n'));
    // In the wrong order the second patch does not apply.
    const reversed = await applySeries([second, MODIFY], treeOf({ 'a.js': BASE }));
    expect(reversed.status).toBe('conflict');
  });

  it('a mode set by an earlier patch survives later edits and renames of the file', async () => {
    const chmod = makePatch('chmod', [
      { oldPath: 'run.sh', newPath: 'run.sh', oldContent: 'echo\n', newContent: 'echo\n', oldMode: '100644', newMode: '100755' },
    ]);
    const edit = makePatch('edit', [{ oldPath: 'run.sh', newPath: 'run.sh', oldContent: 'echo\n', newContent: 'echo hi\n' }]);
    const rename = makePatch('rename', [{ oldPath: 'run.sh', newPath: 'bin/run.sh', oldContent: 'echo hi\n', newContent: 'echo hi\n' }]);
    const tree = treeOf({ 'run.sh': 'echo\n' });
    expect((await applySeries([chmod, edit, rename], tree)).status).toBe('clean');
    expect(tree.changes()).toEqual([
      ['bin/run.sh', { content: 'echo hi\n', mode: '100755' }],
      ['run.sh', { content: null }],
    ]);
  });

  it('worstStatus: conflict > needs-refresh > already-applied > offset > clean', () => {
    expect(worstStatus([])).toBe('clean');
    expect(worstStatus(['clean', 'offset'])).toBe('offset');
    expect(worstStatus(['offset', 'already-applied'])).toBe('already-applied');
    expect(worstStatus(['already-applied', 'needs-refresh', 'offset'])).toBe('needs-refresh');
    expect(worstStatus(['needs-refresh', 'conflict', 'clean'])).toBe('conflict');
  });

  it('patchStatus: some files already applied and others applied means the patch needs a refresh', () => {
    expect(
      patchStatus([
        { kind: 'modify', path: 'a', status: 'applied', hunks: [{ index: 0, status: 'exact', baseLine: 1 }] },
        { kind: 'create', path: 'b', status: 'already-applied', hunks: [] },
      ]),
    ).toBe('needs-refresh');
  });
});
