/*
 * The engine's 3-way step against `git apply --3way` on real content: patches made on
 * meshcentral@1.1.55 whose hunks no longer apply strictly to 1.1.51 (their context changed), applied
 * with the 1.1.55 file as merge base. Both must agree on clean vs conflicting, and produce the same
 * bytes (conflict marker labels aside: git writes "ours"/"theirs", meshfork "upstream"/"patch").
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { applyPatch, MemoryTree } from '../../src/engine';
import { splitLines } from '../../src/series/lines';
import { parsePatch } from '../../src/series/parse';
import { runGit } from '../../src/tools/git';
import { releaseFile } from '../support/release';

const BASE = '1.1.55';
const TARGET = '1.1.51';
const FILE = 'webserver.js';
const IDENTITY = {
  GIT_AUTHOR_NAME: 'T',
  GIT_AUTHOR_EMAIL: 't@example.invalid',
  GIT_COMMITTER_NAME: 'T',
  GIT_COMMITTER_EMAIL: 't@example.invalid',
};

/** Lines unique in both releases whose 7-line window differs in the target: strict apply fails there. */
function movedContextLines(base: string[], target: string[]): number[] {
  const count = (lines: string[]) => lines.reduce((m, l) => m.set(l, (m.get(l) ?? 0) + 1), new Map<string, number>());
  const inBase = count(base);
  const inTarget = count(target);
  const where = new Map(target.map((l, i) => [l, i]));
  const found: number[] = [];
  for (let i = 3; i < base.length - 3; i++) {
    if (inBase.get(base[i]) !== 1 || inTarget.get(base[i]) !== 1 || base[i].trim().length < 24) continue;
    const j = where.get(base[i]) as number;
    let same = 0;
    for (let d = -3; d <= 3; d++) if (base[i + d] === target[j + d]) same++;
    if (same >= 3 && same < 7) found.push(i);
  }
  return found;
}

/** Conflict markers with their labels removed, so git's and meshfork's can be compared. */
function withoutLabels(content: string): string {
  return content.replace(/^(<<<<<<<|>>>>>>>|\|\|\|\|\|\|\|)[^\r\n]*/gm, '$1');
}

describe(`3-way merge: engine vs git apply --3way, ${BASE} patches on ${TARGET}`, () => {
  let repo: string;

  beforeAll(async () => {
    repo = await fs.mkdtemp(path.join(os.tmpdir(), 'meshfork-merge3-'));
    await runGit(['init', '--quiet', repo], { cwd: os.tmpdir() });
    // The base release's blob must be in the object database for git apply --3way to find it.
    await fs.writeFile(path.join(repo, FILE), Buffer.from(releaseFile(BASE, FILE), 'latin1'));
    await runGit(['add', FILE], { cwd: repo });
    await runGit(['commit', '--quiet', '-m', 'base'], { cwd: repo, env: IDENTITY });
  });

  afterAll(async () => {
    if (repo) await fs.rm(repo, { recursive: true, force: true });
  });

  it('agrees on merged vs conflict and on the merged bytes', async () => {
    const base = releaseFile(BASE, FILE);
    const target = releaseFile(TARGET, FILE);
    const baseLines = splitLines(base);
    const candidates = movedContextLines(baseLines, splitLines(target));
    // Groups of 1-3 edits, so some patches mix hunks that merge with hunks that conflict.
    const groups: number[][] = [];
    for (let i = 0; i < candidates.length && groups.length < 24; i += 1 + (groups.length % 3))
      groups.push(candidates.slice(i, i + 1 + (groups.length % 3)));
    const mismatches: string[] = [];
    let merged = 0;
    let conflicted = 0;
    for (const [g, group] of groups.entries()) {
      const edited = baseLines.slice();
      for (const i of [...group].reverse()) edited.splice(i, 1, edited[i].replace(/\r?\n$/, ` // meshfork merge ${g}\r\n`));
      // git diff writes the index line git apply --3way needs to find the base blob.
      await fs.writeFile(path.join(repo, FILE), Buffer.from(edited.join(''), 'latin1'));
      const diffFile = path.join(repo, '..', `${path.basename(repo)}-${g}.diff`);
      await runGit(['diff', '--no-color', '--full-index', `--output=${diffFile}`, 'HEAD', '--', FILE], { cwd: repo });
      const diff = (await fs.readFile(diffFile)).toString('latin1');
      await fs.rm(diffFile);

      await fs.writeFile(path.join(repo, FILE), Buffer.from(target, 'latin1'));
      await runGit(['add', FILE], { cwd: repo });
      const git = await runGit(['apply', '--3way', '-'], { cwd: repo, input: Buffer.from(diff, 'latin1'), okExitCodes: [0, 1] });
      const gitResult = (await fs.readFile(path.join(repo, FILE))).toString('latin1');
      const gitConflict = git.exitCode !== 0;

      const patch = parsePatch(`merge-${g}.patch`, `From: T <t@example.invalid>\nSubject: merge ${g}\n---\n${diff}`);
      const tree = new MemoryTree(async (p) => (p === FILE ? target : undefined));
      const outcome = await applyPatch(patch, tree, { threeWayBase: async (p) => (p === FILE ? base : undefined) });
      const engineResult = tree.changes()[0]?.[1].content;
      const label = `group ${g} (lines ${group.map((i) => i + 1).join(', ')})`;
      if (outcome.status === 'clean' || outcome.status === 'offset') continue; // applied strictly: not a 3-way case
      if ((outcome.status === 'conflict') !== gitConflict)
        mismatches.push(`${label}: engine ${outcome.status}, git apply --3way ${gitConflict ? 'conflict' : 'clean'}\n${git.stderr}`);
      else if (engineResult === undefined || engineResult === null || withoutLabels(engineResult) !== withoutLabels(gitResult))
        mismatches.push(`${label}: merged bytes differ`);
      if (outcome.status === 'conflict') {
        conflicted++;
        const hunks = outcome.files[0].hunks.filter((h) => h.status === 'conflict');
        const lines = splitLines(engineResult ?? '');
        for (const h of hunks) {
          if (
            !h.conflictRange ||
            !lines[h.conflictRange.start - 1]?.startsWith('<<<<<<< ') ||
            !lines[h.conflictRange.end - 1]?.startsWith('>>>>>>> ')
          )
            mismatches.push(`${label}: hunk ${h.index + 1} conflictRange does not frame markers`);
        }
      } else merged++;
    }
    expect(mismatches).toEqual([]);
    // The sample must hold both kinds, or the comparison proves little.
    expect(merged).toBeGreaterThan(3);
    expect(conflicted).toBeGreaterThan(1);
  });
});
