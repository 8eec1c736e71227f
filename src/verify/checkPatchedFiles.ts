import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MemoryTree } from '../engine';
import { nodeCheck, type SyntaxProblem } from '../tools/node';
import type { AppliedPatch } from './checkApplies';
import type { Problem } from './types';

/** Write `content` to a temporary file of the same name and `node --check` it. */
async function checkText(dir: string, file: string, content: string): Promise<SyntaxProblem | undefined> {
  const target = path.join(dir, file);
  await fs.mkdir(path.dirname(target), { recursive: true });
  await fs.writeFile(target, Buffer.from(content, 'latin1'));
  return nodeCheck(target, dir);
}

/** The patch that broke `file`: the first whose result does not parse, trying the series' steps in order. */
async function culprit(dir: string, file: string, applied: AppliedPatch[]): Promise<string | undefined> {
  for (const step of applied) {
    const change = step.changes.find((c) => c.newPath === file);
    if (change?.newContent == null) continue;
    if (await checkText(dir, file, change.newContent)) return step.name;
  }
  return undefined;
}

/**
 * Every `.js` file the series writes parses with `node --check`: the final tree first (one run per
 * file), and only for a file that fails, each patch's version to name the patch that broke it.
 */
export async function checkPatchedJs(tree: MemoryTree, applied: AppliedPatch[]): Promise<Problem[]> {
  const files = tree.changes().filter(([file, change]) => change.content !== null && /\.(c|m)?js$/.test(file));
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'meshfork-verify-'));
  try {
    const problems: Problem[] = [];
    for (const [file, change] of files) {
      const problem = await checkText(dir, file, change.content as string);
      if (!problem) continue;
      const patch = await culprit(dir, file, applied);
      problems.push({
        patch,
        file,
        line: problem.line,
        message: `${problem.message} (in the patched file${patch ? `, from ${patch}` : ''})`,
        hint: 'fix the patch: `meshfork edit`, correct the file in .meshfork/work, check it with `node --check FILE`, `git commit -a --amend`, `meshfork export`',
      });
    }
    return problems;
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** "line:column" of a JSON.parse error position. */
function jsonPosition(text: string, message: string): { line?: number; column?: number } {
  const match = /at position (\d+)/.exec(message);
  if (!match) return {};
  const before = text.slice(0, Number(match[1]));
  return { line: before.split('\n').length, column: before.length - before.lastIndexOf('\n') };
}

/** The patched package.json (when the series changes it) is JSON with a name, a version and string dependency specs. */
export function checkPackageJson(tree: MemoryTree, applied: AppliedPatch[]): Problem[] {
  const change = tree.changes().find(([file]) => file === 'package.json')?.[1];
  if (!change || change.content === null) return [];
  const patch = [...applied].reverse().find((a) => a.changes.some((c) => c.newPath === 'package.json'))?.name;
  const text = Buffer.from(change.content, 'latin1').toString('utf8');
  const hint = 'fix the package.json patch (`meshfork edit`, edit package.json, `git commit -a --amend`, `meshfork export`)';
  let pkg: unknown;
  try {
    pkg = JSON.parse(text);
  } catch (error) {
    const at = jsonPosition(text, (error as Error).message);
    return [{ patch, file: 'package.json', line: at.line, message: `not valid JSON after the series: ${(error as Error).message}`, hint }];
  }
  const problems: Problem[] = [];
  const fields = pkg as Record<string, unknown>;
  if (typeof pkg !== 'object' || pkg === null || Array.isArray(pkg)) return [{ patch, file: 'package.json', line: 1, message: 'is not a JSON object', hint }];
  for (const key of ['name', 'version']) {
    if (typeof fields[key] !== 'string' || fields[key] === '') problems.push({ patch, file: 'package.json', message: `"${key}" must be a non-empty string`, hint });
  }
  for (const group of ['dependencies', 'optionalDependencies', 'peerDependencies', 'devDependencies']) {
    const deps = fields[group];
    if (deps === undefined) continue;
    if (typeof deps !== 'object' || deps === null || Array.isArray(deps)) {
      problems.push({ patch, file: 'package.json', message: `"${group}" must be an object of name: version`, hint });
      continue;
    }
    for (const [name, spec] of Object.entries(deps)) {
      if (typeof spec !== 'string' || spec.trim() === '') problems.push({ patch, file: 'package.json', line: lineOf(text, `"${name}"`), message: `${group}.${name}: the version must be a non-empty string`, hint });
    }
  }
  return problems;
}

function lineOf(text: string, needle: string): number | undefined {
  const at = text.indexOf(needle);
  return at === -1 ? undefined : text.slice(0, at).split('\n').length;
}
