/*
 * Fuzz placement against real GNU patch: patches made on meshcentral@1.1.55 applied to the
 * webserver.js / meshcentral.js of older releases, where the hunks' context changed slightly.
 * Where GNU patch needs fuzz, strict mode must report a conflict and `fuzz: 2` must land every hunk
 * where `patch -F2` does (same line, same offset, same fuzz factor) and produce the same bytes.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { applyPatch, MemoryTree, type HunkOutcome } from '../../src/engine';
import { applyHunks } from '../../src/engine/hunks';
import { splitLines } from '../../src/series/lines';
import { parsePatch } from '../../src/series/parse';
import type { Hunk, Patch } from '../../src/series/types';
import { formatPatch } from '../../src/engine/formatPatch';
import { releaseFile } from '../support/release';
import { mulberry32 } from '../support/random';

const BASE = '1.1.55';
const HEADER = { from: 'Fuzz <fuzz@example.invalid>', subject: 'Fuzz case', description: '', trailers: [] };

interface GnuHunk {
  ok: boolean;
  /** Line GNU patch names: where the hunk landed (new-file coordinates) or where it failed. */
  line: number;
  fuzz: number;
  offset: number;
}

/** Run GNU patch on a copy of the target; -f: never guess "reversed", --binary: keep CRs as they are. */
function gnuPatch(
  scratch: string,
  target: string,
  patchText: string,
  fuzz: number,
): { exitCode: number; hunks: GnuHunk[]; output?: string } {
  const file = path.join(scratch, 'target.js');
  const out = path.join(scratch, 'out.js');
  writeFileSync(file, Buffer.from(target, 'latin1'));
  rmSync(out, { force: true });
  const result = spawnSync(
    'patch',
    ['-p1', '-f', '--binary', '--verbose', `-F${fuzz}`, '--no-backup-if-mismatch', '-r', '-', '-o', out, file],
    {
      input: Buffer.from(patchText, 'latin1'),
      cwd: scratch,
      env: { ...process.env, LC_ALL: 'C' },
    },
  );
  if (result.error) throw result.error;
  const hunks: GnuHunk[] = [];
  for (const line of result.stdout.toString('latin1').split('\n')) {
    const ok = /^Hunk #(\d+) succeeded at (\d+)(?: with fuzz (\d+))?(?: \(offset (-?\d+) lines?\))?\.$/.exec(line);
    if (ok) hunks[Number(ok[1]) - 1] = { ok: true, line: Number(ok[2]), fuzz: Number(ok[3] ?? 0), offset: Number(ok[4] ?? 0) };
    const failed = /^Hunk #(\d+) FAILED at (\d+)\.$/.exec(line);
    if (failed) hunks[Number(failed[1]) - 1] = { ok: false, line: Number(failed[2]), fuzz: 0, offset: 0 };
  }
  // With -o, patch writes the file even when some hunks fail (those are left out).
  return { exitCode: result.status ?? -1, hunks, output: existsSync(out) ? readFileSync(out).toString('latin1') : undefined };
}

/** An edit of line `index` (0-based) of the base file: the line changed and one line added after it. */
function editLines(lines: string[], indexes: number[]): string {
  const edited = lines.slice();
  for (const i of [...indexes].sort((a, b) => b - a)) {
    edited.splice(i, 1, edited[i].replace(/\r?\n$/, ' // meshfork fuzz\r\n'), '        // meshfork: one more line\r\n');
  }
  return edited.join('');
}

function makePatch(file: string, base: string, indexes: number[]): { text: string; patch: Patch } {
  const text = formatPatch(HEADER, [{ oldPath: file, newPath: file, oldContent: base, newContent: editLines(splitLines(base), indexes) }]);
  return { text, patch: parsePatch('fuzz-case.patch', text) };
}

/**
 * Lines of the base file that also occur, exactly once, in the target, but whose 7-line window
 * (3 lines of context each side) is not identical there: edits that GNU patch may only place with
 * fuzz. Chosen from the files alone, not from the engine.
 */
function fuzzCandidates(base: string[], target: string[]): number[] {
  const countIn = (lines: string[]) => {
    const counts = new Map<string, number>();
    for (const l of lines) counts.set(l, (counts.get(l) ?? 0) + 1);
    return counts;
  };
  const inBase = countIn(base);
  const inTarget = countIn(target);
  const where = new Map(target.map((l, i) => [l, i]));
  const candidates: number[] = [];
  for (let i = 3; i < base.length - 3; i++) {
    if (inBase.get(base[i]) !== 1 || inTarget.get(base[i]) !== 1 || base[i].trim().length < 24) continue;
    const j = where.get(base[i]) as number;
    let same = 0;
    for (let d = -3; d <= 3; d++) if (base[i + d] === target[j + d]) same++;
    if (same >= 4 && same < 7) candidates.push(i);
  }
  return candidates;
}

/** Every n-th, so the sample spreads over the file and stays small. */
function spread<T>(items: T[], count: number): T[] {
  if (items.length <= count) return items;
  return Array.from({ length: count }, (_, k) => items[Math.floor((k * items.length) / count)]);
}

function describeEngine(h: HunkOutcome): string {
  return h.status === 'conflict' ? 'conflict' : `at ${h.targetLine} fuzz ${h.fuzz ?? 0} offset ${h.offset}`;
}

/*
 * Randomized: seeded edits make multi-hunk patches; the targets get lines inserted and deleted
 * around the hunks and some context lines changed (on small files drawn from a few repeated lines,
 * so that matches are ambiguous and the search order matters). For every hunk, engine fuzz 2 and
 * `patch -F2` must agree on success, line, offset and fuzz factor, and on the resulting bytes,
 * including when some hunks fail.
 */
describe('fuzz, randomized: engine fuzz 2 vs GNU patch -F2 hunk by hunk', () => {
  const CASES = Number(process.env.FUZZ_CASES ?? 150);
  let scratch: string;

  beforeAll(() => {
    scratch = mkdtempSync(path.join(os.tmpdir(), 'meshfork-fuzz-random-'));
  });

  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  function makeCase(index: number): { base: string; target: string; text: string; hunks: Hunk[] } {
    const random = mulberry32(0xf022 + index);
    const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
    const small = index % 3 !== 0;
    const vocabulary = ['{\r\n', '}\r\n', '    return;\r\n', '\r\n', '    x++;\r\n', '// note\r\n'];
    const baseLines = small
      ? Array.from({ length: int(8, 40) }, () => vocabulary[int(0, vocabulary.length - 1)])
      : splitLines(releaseFile(BASE, index % 2 ? 'webserver.js' : 'meshcentral.js')).slice(0, 400);
    const edited = baseLines.slice();
    for (let k = int(1, 4); k > 0; k--) {
      const at = int(0, edited.length - 1);
      const kind = int(0, 2);
      if (kind === 0) edited.splice(at, 0, `// added ${index}.${k}\r\n`);
      else if (kind === 1) edited.splice(at, 1);
      else edited[at] = `// changed ${index}.${k}\r\n`;
    }
    const base = baseLines.join('');
    const text = formatPatch(HEADER, [{ oldPath: 'f.js', newPath: 'f.js', oldContent: base, newContent: edited.join('') }]);
    const hunks = parsePatch('random.patch', text).operations[0].hunks;
    const target = baseLines.slice();
    for (let k = int(0, 4); k > 0; k--) {
      const at = int(0, target.length);
      if (random() < 0.5) target.splice(at, 0, ...Array.from({ length: int(1, 5) }, (_, j) => `// shifted ${k}.${j}\r\n`));
      else target.splice(at, int(1, 3));
    }
    for (let k = int(0, 3); k > 0 && target.length; k--)
      target[int(0, target.length - 1)] = small ? vocabulary[int(0, vocabulary.length - 1)] : `// mutated ${k}\r\n`;
    return { base, target: target.join(''), text, hunks };
  }

  it(`${CASES} cases agree hunk by hunk and byte for byte`, () => {
    const mismatches: string[] = [];
    let fuzzed = 0;
    let failed = 0;
    for (let index = 0; index < CASES; index++) {
      const c = makeCase(index);
      const gnu = gnuPatch(scratch, c.target, c.text, 2);
      const engine = applyHunks(splitLines(c.target), c.hunks, 2);
      c.hunks.forEach((_hunk, i) => {
        const mine = engine.outcomes[i];
        const theirs = gnu.hunks[i];
        const ok = mine.status !== 'conflict';
        // Both count the lines the earlier hunks added, as GNU patch prints them.
        const view = ok ? `at ${mine.targetLine ?? 0} fuzz ${mine.fuzz ?? 0} offset ${mine.offset}` : 'FAILED';
        const gnuView = theirs?.ok ? `at ${theirs.line} fuzz ${theirs.fuzz} offset ${theirs.offset}` : 'FAILED';
        if (view !== gnuView) mismatches.push(`case ${index} hunk #${i + 1}: engine ${view}, GNU ${gnuView}`);
        if (mine.status === 'fuzz') fuzzed++;
        if (!ok) failed++;
      });
      if (engine.lines.join('') !== gnu.output) mismatches.push(`case ${index}: output bytes differ`);
    }
    expect(mismatches).toEqual([]);
    expect(fuzzed).toBeGreaterThan(20);
    expect(failed).toBeGreaterThan(10);
  });
});

describe.each([
  ['webserver.js', '1.1.51'],
  ['webserver.js', '0.7.99'],
  ['meshcentral.js', '1.1.51'],
  ['meshcentral.js', '0.7.99'],
])(`fuzz: a patch made on ${BASE} %s, applied to %s, vs GNU patch -F2`, (file, targetVersion) => {
  let scratch: string;
  let base: string;
  let target: string;
  let candidates: number[];

  beforeAll(() => {
    scratch = mkdtempSync(path.join(os.tmpdir(), 'meshfork-fuzz-'));
    base = releaseFile(BASE, file);
    target = releaseFile(targetVersion, file);
    candidates = spread(fuzzCandidates(splitLines(base), splitLines(target)), 30);
  });

  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('single-hunk patches: strict refuses what GNU patch needs fuzz for; fuzz 2 places each hunk where patch -F2 does', async () => {
    const mismatches: string[] = [];
    const fuzzOnly: number[] = [];
    for (const index of candidates) {
      const { text, patch } = makePatch(file, base, [index]);
      const gnuStrict = gnuPatch(scratch, target, text, 0);
      const gnuFuzz = gnuPatch(scratch, target, text, 2);
      const strict = await applyPatch(patch, new MemoryTree(async () => target));
      const tree = new MemoryTree(async () => target);
      const fuzzed = await applyPatch(patch, tree, { fuzz: 2 });
      const [gnu] = gnuFuzz.hunks;
      const [engine] = fuzzed.files[0].hunks;
      const label = `${file} line ${index + 1} on ${targetVersion}: GNU ${gnu.ok ? `at ${gnu.line} fuzz ${gnu.fuzz} offset ${gnu.offset}` : 'FAILED'}, engine ${describeEngine(engine)}`;
      if (gnu.ok !== (engine.status !== 'conflict')) mismatches.push(label);
      else if (gnu.ok && (engine.targetLine !== gnu.line || engine.offset !== gnu.offset || (engine.fuzz ?? 0) !== gnu.fuzz))
        mismatches.push(label);
      else if (gnu.ok && tree.changes()[0]?.[1].content !== gnuFuzz.output) mismatches.push(`${label}: output bytes differ`);
      if (gnuStrict.exitCode === 0 && strict.status === 'conflict') mismatches.push(`${label}: GNU patch -F0 applies, strict mode refuses`);
      if (gnuStrict.exitCode !== 0 && gnuFuzz.exitCode === 0) {
        fuzzOnly.push(index);
        if (strict.status !== 'conflict') mismatches.push(`${label}: GNU patch needs fuzz but strict mode says ${strict.status}`);
        if (fuzzed.status !== 'needs-refresh' || engine.status !== 'fuzz')
          mismatches.push(`${label}: fuzz mode says ${fuzzed.status}/${engine.status}`);
      }
    }
    expect(mismatches).toEqual([]);
    // The sample must contain real fuzz cases, or the comparison proves nothing.
    expect(fuzzOnly.length).toBeGreaterThanOrEqual(3);
  });

  it('hunks at the very start and end of the file (short context must match the file edge): same answer as patch -F0 and -F2', async () => {
    const lines = splitLines(base);
    const edges = [0, 1, 2, 3, 4, lines.length - 4, lines.length - 3, lines.length - 2, lines.length - 1];
    const mismatches: string[] = [];
    for (const index of edges) {
      const { text, patch } = makePatch(file, base, [index]);
      for (const fuzz of [0, 2]) {
        const gnu = gnuPatch(scratch, target, text, fuzz);
        const tree = new MemoryTree(async () => target);
        const outcome = await applyPatch(patch, tree, { fuzz });
        const [engine] = outcome.files[0].hunks;
        const [g] = gnu.hunks;
        const label = `${file} line ${index + 1} on ${targetVersion} -F${fuzz}: GNU ${g.ok ? `at ${g.line} fuzz ${g.fuzz} offset ${g.offset}` : 'FAILED'}, engine ${describeEngine(engine)}`;
        if (g.ok !== (engine.status !== 'conflict')) mismatches.push(label);
        else if (g.ok && (engine.targetLine !== g.line || engine.offset !== g.offset || (engine.fuzz ?? 0) !== g.fuzz))
          mismatches.push(label);
        else if (g.ok && tree.changes()[0]?.[1].content !== gnu.output) mismatches.push(`${label}: output bytes differ`);
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('one multi-hunk patch (fuzzed hunks between line-count changes): same placement per hunk and same bytes as patch -F2', async () => {
    // Candidates GNU patch places only with fuzz, at least 20 lines apart so the hunks stay separate.
    const chosen: number[] = [];
    for (const index of candidates) {
      if (chosen.length && index - chosen[chosen.length - 1] < 20) continue;
      const { text } = makePatch(file, base, [index]);
      if (gnuPatch(scratch, target, text, 0).exitCode !== 0 && gnuPatch(scratch, target, text, 2).exitCode === 0) chosen.push(index);
      if (chosen.length === 6) break;
    }
    expect(chosen.length).toBeGreaterThanOrEqual(2);
    const { text, patch } = makePatch(file, base, chosen);
    const gnu = gnuPatch(scratch, target, text, 2);
    expect(gnu.exitCode).toBe(0);

    const strictTree = new MemoryTree(async () => target);
    const strict = await applyPatch(patch, strictTree);
    expect(strict.status).toBe('conflict');
    expect(strictTree.changes()).toEqual([]);

    const tree = new MemoryTree(async () => target);
    const fuzzed = await applyPatch(patch, tree, { fuzz: 2 });
    expect(fuzzed.status).toBe('needs-refresh');
    // Both name the line in the file patched so far (what the earlier hunks added counts).
    const engineView = fuzzed.files[0].hunks.map((h) => ({ line: h.targetLine ?? 0, fuzz: h.fuzz ?? 0, offset: h.offset }));
    expect(engineView).toEqual(gnu.hunks.map((h) => ({ line: h.line, fuzz: h.fuzz, offset: h.offset })));
    expect(tree.changes()).toHaveLength(1);
    expect(tree.changes()[0][1].content === gnu.output).toBe(true);
  });

  it('fuzz 1 is not fuzz 2: a hunk that needs fuzz 2 fails at fuzz 1 in both', () => {
    const needsTwo = candidates.find((index) => {
      const { text } = makePatch(file, base, [index]);
      const two = gnuPatch(scratch, target, text, 2);
      return two.exitCode === 0 && two.hunks[0].fuzz === 2;
    });
    expect(needsTwo).toBeDefined();
    const { text, patch } = makePatch(file, base, [needsTwo as number]);
    expect(gnuPatch(scratch, target, text, 1).exitCode).not.toBe(0);
    const result = applyHunks(splitLines(target), patch.operations[0].hunks, 1);
    expect(result.failed).toEqual([0]);
  });
});
