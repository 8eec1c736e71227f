/*
 * Differential test of the engine against `git apply` on real upstream content: webserver.js,
 * meshcentral.js and package.json of meshcentral@1.1.55 (CRLF files from the npm tarball). Seeded
 * random multi-hunk edits become patches through the writer; the engine and `git apply` must produce
 * the same bytes, report the same per-hunk offsets on shifted targets, and refuse the same patches.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { applyPatch, MemoryTree, type PatchOutcome } from '../../src/engine';
import { splitLines } from '../../src/series/lines';
import { parsePatch } from '../../src/series/parse';
import type { Patch } from '../../src/series/types';
import { formatPatch } from '../../src/engine/formatPatch';
import { patchFileName, type FileChange } from '../../src/series/writer';
import { runGit } from '../../src/tools/git';
import { releaseFile } from '../support/release';
import { mulberry32 } from '../support/random';

const VERSION = '1.1.55';
const FILES = ['webserver.js', 'meshcentral.js', 'package.json'];
const CASES = 240;
const SEED = 0x5eed2024;

class Random {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: T[]): T {
    return items[this.int(0, items.length - 1)];
  }
}

function dropFinalEol(content: string): string {
  return content.replace(/\r?\n$/, '');
}

/** Unique text for a generated line, CRLF like its neighbours except now and then plain LF. */
function freshLine(rng: Random, tag: string): string {
  const indent = ' '.repeat(rng.int(0, 4) * 4);
  return `${indent}// meshfork differential ${tag}${rng.chance(0.1) ? '\n' : '\r\n'}`;
}

/** Several non-overlapping insert/delete/replace edits, sometimes at the very start or end. */
function randomEdit(rng: Random, content: string, tag: string): string {
  const lines = splitLines(content);
  const edits = Math.min(rng.int(1, 6), lines.length + 1);
  const positions = new Set<number>();
  if (rng.chance(0.2)) positions.add(0);
  if (rng.chance(0.2)) positions.add(Math.max(lines.length - rng.int(1, 2), 0));
  if (rng.chance(0.1)) positions.add(lines.length);
  while (positions.size < edits) positions.add(rng.int(0, lines.length));
  let ceiling = lines.length;
  [...positions]
    .sort((a, b) => b - a)
    .forEach((pos, k) => {
      const available = ceiling - pos;
      if (pos > ceiling) return;
      const kind = available === 0 ? 'insert' : rng.pick(['insert', 'delete', 'replace']);
      const removeCount = kind === 'insert' ? 0 : rng.int(1, Math.min(4, available));
      const added =
        kind === 'delete'
          ? []
          : Array.from({ length: rng.int(1, kind === 'insert' ? 4 : 3) }, (_, j) => freshLine(rng, `${tag}.${k}.${j}`));
      // Inserting after a last line that has no newline would glue lines together: give it one first.
      if (pos === lines.length && pos > 0 && !lines[pos - 1].endsWith('\n')) lines[pos - 1] += '\r\n';
      lines.splice(pos, removeCount, ...added);
      ceiling = pos - 1;
    });
  return lines.join('');
}

interface Case {
  id: string;
  /** Files before the edit (the base the patch is made on), by path. */
  old: Map<string, string>;
  /** Files after the edit. */
  edited: Map<string, string>;
  text: string;
  patch: Patch;
}

function makeCase(index: number, originals: Map<string, string>): Case {
  const rng = new Random(SEED + index);
  const id = `c${String(index).padStart(3, '0')}`;
  const touched = FILES.filter(() => rng.chance(0.45));
  if (touched.length === 0) touched.push(FILES[index % FILES.length]);
  const old = new Map<string, string>();
  const edited = new Map<string, string>();
  for (const file of touched) {
    let before = originals.get(file) as string;
    if (rng.chance(0.08)) before = dropFinalEol(before);
    let after = randomEdit(rng, before, id);
    if (rng.chance(0.12)) after = dropFinalEol(after);
    else if (rng.chance(0.05) && !after.endsWith('\n')) after += '\r\n';
    old.set(file, before);
    edited.set(file, after);
  }
  const changes: FileChange[] = [...old.keys()].map((file) => ({
    oldPath: file,
    newPath: file,
    oldContent: old.get(file) as string,
    newContent: edited.get(file) as string,
  }));
  const subject = `Differential case ${id}`;
  const text = formatPatch(
    {
      from: 'Differential <diff@example.invalid>',
      subject,
      description: `Seed ${SEED} + ${index}.`,
      trailers: [{ key: 'Upstream-Status', value: 'Inappropriate [test]' }],
    },
    changes,
  );
  return { id, old, edited, text, patch: parsePatch(patchFileName(subject), text) };
}

/**
 * A target that differs from the base far from the hunks: lines inserted or deleted outside every
 * hunk's old range (so hunks land at an offset, or, at the file's ends, may no longer fit), and
 * now and then one changed line inside a hunk (so the patch should be refused).
 */
function shiftTarget(rng: Random, content: string, hunkRanges: [number, number][], tag: string): { content: string; mutated: boolean } {
  const lines = splitLines(content);
  const inHunk = (pos: number) => hunkRanges.some(([from, to]) => pos >= from && pos < to);
  const edits = rng.int(1, 4);
  const chosen = new Set<number>();
  for (let tries = 0; chosen.size < edits && tries < 200; tries++) {
    const pos = rng.int(0, lines.length);
    if (!inHunk(pos) && !inHunk(pos - 1)) chosen.add(pos);
  }
  for (const pos of [...chosen].sort((a, b) => b - a)) {
    if (rng.chance(0.6) || pos >= lines.length) {
      lines.splice(pos, 0, ...Array.from({ length: rng.int(1, 30) }, (_, j) => `// shifted ${tag}.${pos}.${j}\r\n`));
    } else {
      let count = 1;
      while (count < 20 && pos + count < lines.length && !inHunk(pos + count)) count++;
      lines.splice(pos, rng.int(1, count));
    }
  }
  let mutated = false;
  if (rng.chance(0.15) && hunkRanges.length) {
    // Offsets moved the hunks; find one of their lines by content and change it.
    const [from, to] = rng.pick(hunkRanges);
    const original = splitLines(content)[rng.int(from, to - 1)];
    const at = original === undefined ? -1 : lines.indexOf(original);
    if (at >= 0) {
      lines[at] = `// mutated ${tag}\r\n`;
      mutated = true;
    }
  }
  return { content: lines.join(''), mutated };
}

interface GitResult {
  applied: boolean;
  /** Per file (by path), per hunk: the offset `git apply -v` reported (0 when it said nothing). */
  offsets: Map<string, Map<number, { at: number; offset: number }>>;
  stderr: string;
}

function parseGitVerbose(stderr: string, dir: string): GitResult['offsets'] {
  const offsets: GitResult['offsets'] = new Map();
  let current: string | undefined;
  for (const line of stderr.split('\n')) {
    const checking = /^Checking patch (.*)\.\.\.$/.exec(line);
    if (checking) {
      current = path.posix.relative(dir, checking[1]);
      offsets.set(current, new Map());
      continue;
    }
    const hunk = /^Hunk #(\d+) succeeded at (\d+) \(offset (-?\d+) lines?\)\.$/.exec(line);
    if (hunk && current !== undefined) offsets.get(current)?.set(Number(hunk[1]), { at: Number(hunk[2]), offset: Number(hunk[3]) });
  }
  return offsets;
}

async function gitApply(root: string, dir: string, patchFile: string): Promise<GitResult> {
  const result = await runGit(['apply', '-v', '--whitespace=nowarn', `--directory=${dir}`, patchFile], { cwd: root, okExitCodes: [0, 1] });
  return { applied: result.exitCode === 0, offsets: parseGitVerbose(result.stderr, dir), stderr: result.stderr };
}

async function engineApply(patch: Patch, files: Map<string, string>): Promise<{ outcome: PatchOutcome; tree: MemoryTree }> {
  const tree = new MemoryTree(async (p) => files.get(p));
  const outcome = await applyPatch(patch, tree);
  return { outcome, tree };
}

async function writeFiles(root: string, dir: string, files: Map<string, string>): Promise<void> {
  await fs.mkdir(path.join(root, dir), { recursive: true });
  await Promise.all(
    [...files].map(async ([file, content]) => {
      await fs.mkdir(path.dirname(path.join(root, dir, file)), { recursive: true });
      await fs.writeFile(path.join(root, dir, file), Buffer.from(content, 'latin1'));
    }),
  );
}

async function readFiles(root: string, dir: string, names: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const name of names) out.set(name, (await fs.readFile(path.join(root, dir, name))).toString('latin1'));
  return out;
}

async function inPool<T>(items: T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await work(items[next++]);
    }),
  );
}

/** Old-file line ranges [from, to) (0-based) of every hunk of one file in the patch. */
function hunkRanges(patch: Patch, file: string): [number, number][] {
  const op = patch.operations.find((o) => o.kind === 'modify' && o.path === file);
  return (op?.hunks ?? []).map((h) => [Math.max(h.oldStart - 1, 0), Math.max(h.oldStart - 1, 0) + h.oldLines] as [number, number]);
}

describe(`differential: engine vs git apply on meshcentral@${VERSION}`, () => {
  let root: string;
  let cases: Case[];

  beforeAll(async () => {
    const originals = new Map(FILES.map((f) => [f, releaseFile(VERSION, f)]));
    cases = Array.from({ length: CASES }, (_, i) => makeCase(i, originals));
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'meshfork-differential-'));
    await runGit(['init', '--quiet', root], { cwd: os.tmpdir() });
  });

  afterAll(async () => {
    if (root) await fs.rm(root, { recursive: true, force: true });
  });

  it('generates varied multi-hunk patches (the test covers what it claims to)', () => {
    const hunkCounts = cases.flatMap((c) => c.patch.operations.map((o) => o.hunks.length));
    expect(cases).toHaveLength(CASES);
    expect(hunkCounts.filter((n) => n >= 2).length).toBeGreaterThanOrEqual(200);
    expect(cases.filter((c) => c.patch.operations.length > 1).length).toBeGreaterThan(20);
    expect(cases.filter((c) => c.text.includes('\\ No newline at end of file')).length).toBeGreaterThan(10);
    const allHunks = cases.flatMap((c) => c.patch.operations.flatMap((o) => o.hunks));
    expect(allHunks.filter((h) => h.oldStart <= 1).length).toBeGreaterThan(10);
    expect(allHunks.filter((h) => h.lines[h.lines.length - 1].kind !== ' ').length).toBeGreaterThan(10);
    expect(allHunks.some((h) => h.lines.some((l) => l.kind === '+' && l.text.endsWith('\r\n')))).toBe(true);
    expect(allHunks.some((h) => h.lines.some((l) => l.kind === '+' && /[^\r]\n$/.test(l.text)))).toBe(true);
  });

  it('on the base files: the engine and git apply produce identical bytes, the edited files', async () => {
    const mismatches: string[] = [];
    await inPool(cases, 4, async (c) => {
      const dir = `base/${c.id}`;
      await writeFiles(root, dir, c.old);
      await fs.writeFile(path.join(root, `${c.id}.patch`), Buffer.from(c.text, 'latin1'));
      const git = await gitApply(root, dir, `${c.id}.patch`);
      const engine = await engineApply(c.patch, c.old);
      if (!git.applied) {
        mismatches.push(`${c.id}: git apply refused the writer's patch: ${git.stderr}`);
        return;
      }
      if (engine.outcome.status !== 'clean') mismatches.push(`${c.id}: engine status ${engine.outcome.status}`);
      const gitFiles = await readFiles(root, dir, [...c.old.keys()]);
      const engineFiles = new Map(engine.tree.changes().map(([p, change]) => [p, change.content]));
      for (const [file, expected] of c.edited) {
        if (gitFiles.get(file) !== expected) mismatches.push(`${c.id} ${file}: git apply output differs from the edited file`);
        if (engineFiles.get(file) !== gitFiles.get(file)) mismatches.push(`${c.id} ${file}: engine bytes differ from git apply's`);
      }
    });
    expect(mismatches).toEqual([]);
  });

  it('patches written by git itself (git diff of the same edits) parse and apply to the same bytes', async () => {
    // One repository: every case's base files committed to the index at once, then each case's edit
    // diffed by git, relative to the case's folder so the paths are the release's own.
    const repo = path.join(root, 'gitdiff');
    await runGit(['init', '--quiet', repo], { cwd: root });
    for (const c of cases) await writeFiles(repo, c.id, c.old);
    await runGit(['add', '-A'], { cwd: repo });
    for (const c of cases) await writeFiles(repo, c.id, c.edited);
    const mismatches: string[] = [];
    await inPool(cases, 4, async (c) => {
      // --output: a file keeps every byte (the process runner strips a final newline from stdout).
      const diffFile = path.join(root, `${c.id}.git.diff`);
      await runGit(['diff', '--no-color', '--no-ext-diff', `--output=${diffFile}`, `--relative=${c.id}/`, '--', `${c.id}/`], { cwd: repo });
      const text = `From: Git <git@example.invalid>\nSubject: git diff of ${c.id}\n---\n${(await fs.readFile(diffFile)).toString('latin1')}`;
      const patch = parsePatch(`${c.id}-git.patch`, text);
      const engine = await engineApply(patch, c.old);
      if (engine.outcome.status !== 'clean') mismatches.push(`${c.id}: engine status ${engine.outcome.status} on git's own diff`);
      for (const [file, expected] of c.edited) {
        if (engine.tree.changes().find(([p]) => p === file)?.[1].content !== expected)
          mismatches.push(`${c.id} ${file}: engine result differs from the edited file`);
      }
    });
    expect(mismatches).toEqual([]);
  });

  it('a git format-patch of a real commit (modify, rename with changes, mode change, delete, create without final newline) applies to the same tree', async () => {
    const repo = path.join(root, 'format-patch');
    await runGit(['init', '--quiet', repo], { cwd: root });
    const originals = new Map(FILES.map((f) => [f, releaseFile(VERSION, f)]));
    await writeFiles(repo, '.', new Map([...originals, ['bin/run.sh', '#!/bin/sh\nnode meshcentral.js\n']]));
    const identity = {
      GIT_AUTHOR_NAME: 'Fork',
      GIT_AUTHOR_EMAIL: 'fork@example.invalid',
      GIT_COMMITTER_NAME: 'Fork',
      GIT_COMMITTER_EMAIL: 'fork@example.invalid',
      GIT_AUTHOR_DATE: '1700000000 +0000',
      GIT_COMMITTER_DATE: '1700000000 +0000',
    };
    await runGit(['add', '-A'], { cwd: repo });
    await runGit(['commit', '--quiet', '-m', 'release'], { cwd: repo, env: identity });

    const rng = new Random(SEED);
    const webserver = randomEdit(rng, originals.get('webserver.js') as string, 'fp');
    const meshcentral = splitLines(originals.get('meshcentral.js') as string);
    meshcentral.splice(100, 1, '// renamed and changed\r\n');
    await fs.writeFile(path.join(repo, 'webserver.js'), Buffer.from(webserver, 'latin1'));
    await fs.mkdir(path.join(repo, 'lib'));
    await runGit(['mv', 'meshcentral.js', 'lib/meshcentral.js'], { cwd: repo });
    await fs.writeFile(path.join(repo, 'lib', 'meshcentral.js'), Buffer.from(meshcentral.join(''), 'latin1'));
    await runGit(['rm', '--quiet', 'package.json'], { cwd: repo });
    await fs.chmod(path.join(repo, 'bin', 'run.sh'), 0o755);
    await fs.writeFile(path.join(repo, 'jwt-auth.js'), "'use strict';\r\nmodule.exports = {};");
    await runGit(['add', '-A'], { cwd: repo });
    await runGit(['commit', '--quiet', '-m', 'Fork changes\n\nBody.\n\nUpstream-Status: Pending'], { cwd: repo, env: identity });
    const patchFile = path.join(root, 'fork-changes.patch');
    await runGit(['format-patch', '-1', '-M', '--no-color', `--output=${patchFile}`, 'HEAD'], { cwd: repo });
    const text = (await fs.readFile(patchFile)).toString('latin1');
    expect(text).toMatch(/^From [0-9a-f]{40} /);
    expect(text).toContain('rename from meshcentral.js');

    const patch = parsePatch('fork-changes.patch', text);
    expect(patch.header.subject).toBe('Fork changes');
    expect(patch.operations.map((o) => `${o.kind} ${o.kind === 'rename' ? `${o.from}->${o.to}` : o.path}`).sort()).toEqual([
      'create jwt-auth.js',
      'delete package.json',
      'modify bin/run.sh',
      'modify webserver.js',
      'rename meshcentral.js->lib/meshcentral.js',
    ]);
    const base = new Map([...originals, ['bin/run.sh', '#!/bin/sh\nnode meshcentral.js\n']]);
    const tree = new MemoryTree(async (p) => base.get(p));
    const outcome = await applyPatch(patch, tree);
    expect(outcome.status).toBe('clean');
    const result = new Map(tree.changes());
    expect(result.get('webserver.js')?.content === webserver).toBe(true);
    expect(result.get('lib/meshcentral.js')?.content === meshcentral.join('')).toBe(true);
    expect(result.get('meshcentral.js')).toEqual({ content: null });
    expect(result.get('package.json')).toEqual({ content: null });
    expect(result.get('jwt-auth.js')).toEqual({ content: "'use strict';\r\nmodule.exports = {};", mode: '100644' });
    expect(result.get('bin/run.sh')).toEqual({ content: '#!/bin/sh\nnode meshcentral.js\n', mode: '100755' });
  });

  it('already applied: on the edited files (shifted or not) the engine says already-applied exactly when git apply -R accepts and git apply refuses', async () => {
    const mismatches: string[] = [];
    let already = 0;
    await inPool(cases, 4, async (c) => {
      const rng = new Random(SEED ^ (0x51ed + Number(c.id.slice(1))));
      const targets = new Map<string, string>();
      for (const [file, content] of c.edited) {
        // Shift half of them far from the hunks (the ranges are the new side's this time).
        const op = c.patch.operations.find((o) => o.kind === 'modify' && o.path === file);
        const ranges = (op?.hunks ?? []).map(
          (h) => [Math.max(h.newStart - 1, 0), Math.max(h.newStart - 1, 0) + h.newLines] as [number, number],
        );
        targets.set(file, rng.chance(0.5) ? shiftTarget(rng, content, ranges, `${c.id}r`).content : content);
      }
      const dir = `already/${c.id}`;
      await writeFiles(root, dir, targets);
      await fs.writeFile(path.join(root, `${c.id}.patch`), Buffer.from(c.text, 'latin1'));
      const forward = await runGit(['apply', '--check', `--directory=${dir}`, `${c.id}.patch`], { cwd: root, okExitCodes: [0, 1] });
      const reverse = await runGit(['apply', '--check', '-R', `--directory=${dir}`, `${c.id}.patch`], { cwd: root, okExitCodes: [0, 1] });
      const gitSaysAlready = forward.exitCode !== 0 && reverse.exitCode === 0;
      const engine = await engineApply(c.patch, targets);
      if ((engine.outcome.status === 'already-applied') !== gitSaysAlready) {
        mismatches.push(
          `${c.id}: engine ${engine.outcome.status}; git apply ${forward.exitCode === 0 ? 'applies' : 'refuses'}, git apply -R ${reverse.exitCode === 0 ? 'applies' : 'refuses'}`,
        );
      }
      if (engine.outcome.status === 'already-applied') {
        already++;
        if (engine.tree.changes().length) mismatches.push(`${c.id}: engine wrote files for an already-applied patch`);
      }
    });
    expect(mismatches).toEqual([]);
    expect(already).toBeGreaterThan(150);
  });

  it('whole-file operations (create, delete, rename with and without changes, mode changes): same files, bytes and modes as git apply', async () => {
    const webserver = releaseFile(VERSION, 'webserver.js');
    const packageJson = releaseFile(VERSION, 'package.json');
    const mismatches: string[] = [];
    const cases40 = Array.from({ length: 40 }, (_, index) => {
      const rng = new Random(0x0f11e + index);
      const old = new Map<string, string>([
        ['webserver.js', webserver],
        ['package.json', packageJson],
        ['lib/a.js', "'use strict';\r\nmodule.exports = 1;\r\n"],
        ['bin/run.sh', '#!/bin/sh\nexec node meshcentral.js "$@"\n'],
        ['empty.txt', ''],
      ]);
      const modes = new Map([['bin/run.sh', '100755']]);
      const changes: FileChange[] = [];
      if (rng.chance(0.6))
        changes.push({
          oldPath: 'webserver.js',
          newPath: 'webserver.js',
          oldContent: webserver,
          newContent: randomEdit(rng, webserver, `w${index}`),
        });
      if (rng.chance(0.5)) changes.push({ oldPath: 'package.json', newPath: null, oldContent: packageJson, newContent: null });
      if (rng.chance(0.5)) {
        const a = old.get('lib/a.js') as string;
        changes.push({
          oldPath: 'lib/a.js',
          newPath: rng.chance(0.5) ? 'lib/b.js' : 'src/moved/a.js',
          oldContent: a,
          newContent: rng.chance(0.5) ? a : `${a}// moved\r\n`,
        });
      }
      if (rng.chance(0.5))
        changes.push({
          oldPath: null,
          newPath: `new/file${index}.js`,
          oldContent: null,
          newContent: rng.chance(0.5) ? 'x\r\ny' : 'x\r\ny\r\n',
          newMode: rng.chance(0.3) ? '100755' : undefined,
        });
      if (rng.chance(0.4))
        changes.push({
          oldPath: 'bin/run.sh',
          newPath: 'bin/run.sh',
          oldContent: old.get('bin/run.sh') as string,
          newContent: old.get('bin/run.sh') as string,
          oldMode: '100755',
          newMode: '100644',
        });
      if (rng.chance(0.3)) changes.push({ oldPath: 'empty.txt', newPath: null, oldContent: '', newContent: null });
      if (rng.chance(0.3)) changes.push({ oldPath: null, newPath: 'new/empty.txt', oldContent: null, newContent: '' });
      if (changes.length === 0) changes.push({ oldPath: 'package.json', newPath: null, oldContent: packageJson, newContent: null });
      const subject = `whole-file case ${index}`;
      const text = formatPatch({ from: 'D <d@example.invalid>', subject, description: '', trailers: [] }, changes);
      return { id: `w${String(index).padStart(2, '0')}`, old, modes, text, patch: parsePatch(patchFileName(subject), text) };
    });
    await inPool(cases40, 4, async (c) => {
      const dir = path.join(root, 'whole', c.id);
      await writeFiles(root, `whole/${c.id}`, c.old);
      for (const [file, mode] of c.modes) await fs.chmod(path.join(dir, file), parseInt(mode.slice(-3), 8));
      await fs.writeFile(path.join(root, `${c.id}.patch`), Buffer.from(c.text, 'latin1'));
      const git = await gitApply(root, `whole/${c.id}`, `${c.id}.patch`);
      if (!git.applied) {
        mismatches.push(`${c.id}: git apply refused the writer's patch: ${git.stderr}`);
        return;
      }
      const engine = await engineApply(c.patch, c.old);
      if (engine.outcome.status !== 'clean') mismatches.push(`${c.id}: engine status ${engine.outcome.status}`);
      // The engine's result as a file listing: base files, then its changes on top.
      const expected = new Map([...c.old].map(([file, content]) => [file, { content, mode: c.modes.get(file) ?? '100644' }]));
      for (const [file, change] of engine.tree.changes()) {
        if (change.content === null) expected.delete(file);
        else expected.set(file, { content: change.content, mode: change.mode ?? expected.get(file)?.mode ?? 'unknown' });
      }
      const actual = new Map<string, { content: string; mode: string }>();
      const walk = async (rel: string): Promise<void> => {
        for (const entry of await fs.readdir(path.join(dir, rel), { withFileTypes: true })) {
          const file = rel ? `${rel}/${entry.name}` : entry.name;
          if (entry.isDirectory()) await walk(file);
          else {
            const full = path.join(dir, file);
            const executable = ((await fs.stat(full)).mode & 0o100) !== 0;
            actual.set(file, { content: (await fs.readFile(full)).toString('latin1'), mode: executable ? '100755' : '100644' });
          }
        }
      };
      await walk('');
      if ([...expected.keys()].sort().join() !== [...actual.keys()].sort().join())
        mismatches.push(`${c.id}: files differ: engine ${[...expected.keys()].sort()} git ${[...actual.keys()].sort()}`);
      for (const [file, want] of expected) {
        const got = actual.get(file);
        if (got && got.content !== want.content) mismatches.push(`${c.id} ${file}: bytes differ`);
        // A rename without mode lines keeps the source's mode; the engine cannot see base modes, so "unknown".
        if (got && want.mode !== 'unknown' && got.mode !== want.mode)
          mismatches.push(`${c.id} ${file}: mode ${want.mode} vs git ${got.mode}`);
      }
    });
    expect(mismatches).toEqual([]);
  });

  it("release to release: the writer's patch from 0.7.99 and from 1.1.51 to 1.1.55 turns those files into 1.1.55 byte for byte, in git apply and in the engine", async () => {
    const mismatches: string[] = [];
    for (const from of ['0.7.99', '1.1.51']) {
      const old = new Map(FILES.map((f) => [f, releaseFile(from, f)]));
      const changes: FileChange[] = FILES.map((f) => ({
        oldPath: f,
        newPath: f,
        oldContent: old.get(f) as string,
        newContent: releaseFile(VERSION, f),
      }));
      const subject = `Upgrade ${from} to ${VERSION}`;
      const text = formatPatch({ from: 'D <d@example.invalid>', subject, description: '', trailers: [] }, changes);
      const id = `release-${from}`;
      await writeFiles(root, id, old);
      await fs.writeFile(path.join(root, `${id}.patch`), Buffer.from(text, 'latin1'));
      const git = await gitApply(root, id, `${id}.patch`);
      expect(git.stderr).not.toMatch(/error/);
      const engine = await engineApply(parsePatch(patchFileName(subject), text), old);
      expect(engine.outcome.status).toBe('clean');
      const gitFiles = await readFiles(root, id, FILES);
      for (const f of FILES) {
        if (gitFiles.get(f) !== releaseFile(VERSION, f)) mismatches.push(`${from} ${f}: git apply result is not the ${VERSION} file`);
        if (engine.tree.changes().find(([p]) => p === f)?.[1].content !== releaseFile(VERSION, f))
          mismatches.push(`${from} ${f}: engine result is not the ${VERSION} file`);
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('small files of a few repeated lines (ambiguous matches, hunks at both ends): same answer, offsets and bytes as git apply', async () => {
    const vocabulary = ['{\r\n', '}\r\n', '    return;\r\n', '\r\n', '    x++;\r\n', '// note\r\n'];
    const small = Array.from({ length: 300 }, (_, index) => {
      const rng = new Random(0xa11 + index);
      // Now and then an empty file: its patch is a "@@ -0,0" hunk that fits only an empty target.
      const base = Array.from({ length: index % 10 === 0 ? 0 : rng.int(3, 30) }, () => rng.pick(vocabulary));
      if (rng.chance(0.15) && base.length) base[base.length - 1] = base[base.length - 1].replace(/\r\n$/, '');
      const edited = splitLines(randomEdit(rng, base.join(''), `s${index}`));
      const target = base.slice();
      for (let k = rng.int(0, 3); k > 0; k--) {
        const at = rng.int(0, target.length);
        if (rng.chance(0.5)) target.splice(at, 0, rng.pick(vocabulary));
        else if (at < target.length - 1) target.splice(at, 1);
      }
      if (rng.chance(0.3) && target.length) target[rng.int(0, target.length - 1)] = rng.pick(vocabulary);
      const subject = `small ${index}`;
      const text = formatPatch({ from: 'D <d@example.invalid>', subject, description: '', trailers: [] }, [
        { oldPath: 'f.js', newPath: 'f.js', oldContent: base.join(''), newContent: edited.join('') },
      ]);
      return { id: `s${String(index).padStart(3, '0')}`, text, patch: parsePatch(patchFileName(subject), text), target: target.join('') };
    });
    const mismatches: string[] = [];
    let applied = 0;
    let refused = 0;
    let offsets = 0;
    await inPool(small, 4, async (c) => {
      const dir = `small/${c.id}`;
      const files = new Map([['f.js', c.target]]);
      await writeFiles(root, dir, files);
      await fs.writeFile(path.join(root, `${c.id}.patch`), Buffer.from(c.text, 'latin1'));
      const git = await gitApply(root, dir, `${c.id}.patch`);
      const engine = await engineApply(c.patch, files);
      if (git.applied !== (engine.outcome.status !== 'conflict')) {
        mismatches.push(`${c.id}: git apply ${git.applied ? 'applied' : 'refused'}, engine ${engine.outcome.status}`);
        return;
      }
      if (!git.applied) {
        refused++;
        return;
      }
      applied++;
      const gitBytes = (await readFiles(root, dir, ['f.js'])).get('f.js');
      if (engine.tree.changes()[0]?.[1].content !== gitBytes) mismatches.push(`${c.id}: bytes differ`);
      const reported = git.offsets.get('f.js');
      engine.outcome.files[0].hunks.forEach((h, i) => {
        const gitOffset = reported?.get(i + 1)?.offset ?? 0;
        if (h.offset !== gitOffset) mismatches.push(`${c.id} hunk #${i + 1}: engine offset ${h.offset}, git apply ${gitOffset}`);
        if (gitOffset !== 0) offsets++;
      });
    });
    expect(mismatches).toEqual([]);
    expect(applied).toBeGreaterThan(50);
    expect(refused).toBeGreaterThan(30);
    expect(offsets).toBeGreaterThan(10);
  });

  it('on shifted targets: same bytes, same per-hunk offsets as `git apply -v`, same refusals', async () => {
    const mismatches: string[] = [];
    let offsetHunks = 0;
    let refused = 0;
    await inPool(cases, 4, async (c) => {
      const rng = new Random(SEED ^ (0x9e3779b9 + Number(c.id.slice(1))));
      const targets = new Map<string, string>();
      let mutated = false;
      for (const [file, content] of c.old) {
        const shifted = shiftTarget(rng, content, hunkRanges(c.patch, file), c.id);
        targets.set(file, shifted.content);
        mutated ||= shifted.mutated;
      }
      const dir = `shifted/${c.id}`;
      await writeFiles(root, dir, targets);
      await fs.writeFile(path.join(root, `${c.id}.patch`), Buffer.from(c.text, 'latin1'));
      const git = await gitApply(root, dir, `${c.id}.patch`);
      const engine = await engineApply(c.patch, targets);
      const engineRefused = engine.outcome.status === 'conflict';
      if (git.applied === engineRefused) {
        mismatches.push(
          `${c.id}: git apply ${git.applied ? 'applied' : 'refused'}, engine status ${engine.outcome.status} (mutated: ${mutated})\n${git.stderr}`,
        );
        return;
      }
      if (!git.applied) {
        refused++;
        if (engine.tree.changes().length !== 0) mismatches.push(`${c.id}: engine wrote files for a refused patch`);
        return;
      }
      const gitFiles = await readFiles(root, dir, [...targets.keys()]);
      const engineFiles = new Map(engine.tree.changes().map(([p, change]) => [p, change.content]));
      for (const file of targets.keys()) {
        if (engineFiles.get(file) !== gitFiles.get(file)) mismatches.push(`${c.id} ${file}: engine bytes differ from git apply's`);
      }
      for (const fileOutcome of engine.outcome.files) {
        const reported = git.offsets.get(fileOutcome.path);
        if (!reported) {
          mismatches.push(`${c.id} ${fileOutcome.path}: git apply -v did not mention the file`);
          continue;
        }
        const op = c.patch.operations.find((o) => o.kind === 'modify' && o.path === fileOutcome.path);
        let delta = 0;
        fileOutcome.hunks.forEach((h, i) => {
          const fromGit = reported.get(i + 1);
          const gitOffset = fromGit?.offset ?? 0;
          if (h.offset !== gitOffset)
            mismatches.push(`${c.id} ${fileOutcome.path} hunk #${i + 1}: engine offset ${h.offset}, git apply ${gitOffset}`);
          // Both report where the hunk landed in the partly patched file.
          if (fromGit && h.targetLine !== undefined && h.targetLine !== fromGit.at) {
            mismatches.push(
              `${c.id} ${fileOutcome.path} hunk #${i + 1}: engine line ${h.targetLine} (earlier hunks +${delta}), git apply line ${fromGit.at}`,
            );
          }
          if (h.offset !== 0) offsetHunks++;
          const hunk = op?.hunks[i];
          if (hunk) delta += hunk.newLines - hunk.oldLines;
        });
      }
    });
    expect(mismatches).toEqual([]);
    // The shifts must actually exercise offsets and refusals, or this test proves nothing.
    expect(offsetHunks).toBeGreaterThan(200);
    expect(refused).toBeGreaterThan(10);
  });
});
