import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MemoryTree } from '../engine';
import { nodeCheck, type SyntaxProblem } from '../tools/node';
import type { AppliedPatch } from './checkApplies';
import type { Problem } from './types';

async function checkText(dir: string, file: string, content: string): Promise<SyntaxProblem | undefined> {
  const target = path.join(dir, file);
  await fs.mkdir(path.dirname(target), { recursive: true });
  await fs.writeFile(target, Buffer.from(content, 'latin1'));
  return nodeCheck(target, dir);
}

// The last patch is HEAD (amend); an earlier one needs a fixup commit and a non-interactive autosquash rebase,
// or the fix would land in the last patch.
export function fixPatchHint(file: string, index: number, count: number, check: string): string {
  const back = count - 1 - index;
  const commit =
    back === 0
      ? 'git commit -a --amend --no-edit'
      : `git commit -a --fixup=HEAD~${back} && GIT_SEQUENCE_EDITOR=: git rebase -q -i --autosquash upstream`;
  return `fix the patch: \`meshfork edit\`, correct ${file} in .meshfork/work, ${check}, then there \`${commit}\`, then \`meshfork export\``;
}

function hintFor(step: AppliedPatch, file: string, applied: AppliedPatch[], files: AppliedPatch | undefined, check: string): string {
  if (step === files) return `fix ${step.name}${file} (the files folder is copied in as it is), ${check}`;
  const patches = applied.filter((a) => a !== files);
  return fixPatchHint(file, patches.indexOf(step), patches.length, check);
}

// Every written `.js` file parses after every patch that writes it, not only at the end: a later repair
// would leave the series broken at that patch (for `edit --at`, a bisect, a reader).
export async function checkPatchedJs(tree: MemoryTree, applied: AppliedPatch[], files?: AppliedPatch): Promise<Problem[]> {
  const steps = files ? [files, ...applied] : applied;
  const paths = [
    ...new Set(steps.flatMap((step) => step.changes.map((c) => c.newPath)).filter((p): p is string => p !== null && /\.(c|m)?js$/.test(p))),
  ].sort();
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'meshfork-verify-'));
  try {
    const problems: Problem[] = [];
    for (const file of paths) {
      // The final tree first (the common case: one run per file), then each step's version.
      const final = tree.changes().find(([p]) => p === file)?.[1].content;
      const finalProblem = typeof final === 'string' ? await checkText(dir, file, final) : undefined;
      const seen = new Set<string>();
      for (const step of steps) {
        const content = step.changes.find((c) => c.newPath === file)?.newContent;
        if (content == null || seen.has(content)) continue;
        seen.add(content);
        const problem = content === final ? finalProblem : await checkText(dir, file, content);
        if (!problem) continue;
        const last = step === steps[steps.length - 1];
        problems.push({
          patch: step.name,
          file,
          line: problem.line,
          message: `${problem.message} (in ${file} as ${step.name} leaves it${finalProblem || last ? '' : '; a later patch repairs it, but the series must parse after every patch'})`,
          hint: hintFor(step, file, applied, files, `check it with \`node --check ${file}\``),
        });
        break;
      }
    }
    return problems;
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

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
  const step = [...applied].reverse().find((a) => a.changes.some((c) => c.newPath === 'package.json'));
  const patch = step?.name;
  const text = Buffer.from(change.content, 'latin1').toString('utf8');
  const hint = fixPatchHint(
    'package.json',
    step ? applied.indexOf(step) : applied.length - 1,
    applied.length,
    'make sure it is valid JSON',
  );
  let pkg: unknown;
  try {
    pkg = JSON.parse(text);
  } catch (error) {
    const at = jsonPosition(text, (error as Error).message);
    return [{ patch, file: 'package.json', line: at.line, message: `not valid JSON after the series: ${(error as Error).message}`, hint }];
  }
  const problems: Problem[] = [];
  const fields = pkg as Record<string, unknown>;
  if (typeof pkg !== 'object' || pkg === null || Array.isArray(pkg))
    return [{ patch, file: 'package.json', line: 1, message: 'is not a JSON object', hint }];
  for (const key of ['name', 'version']) {
    if (typeof fields[key] !== 'string' || fields[key] === '')
      problems.push({ patch, file: 'package.json', message: `"${key}" must be a non-empty string`, hint });
  }
  for (const group of ['dependencies', 'optionalDependencies', 'peerDependencies', 'devDependencies']) {
    const deps = fields[group];
    if (deps === undefined) continue;
    if (typeof deps !== 'object' || deps === null || Array.isArray(deps)) {
      problems.push({ patch, file: 'package.json', message: `"${group}" must be an object of name: version`, hint });
      continue;
    }
    for (const [name, spec] of Object.entries(deps)) {
      if (typeof spec !== 'string' || spec.trim() === '')
        problems.push({
          patch,
          file: 'package.json',
          line: lineOf(text, `"${name}"`),
          message: `${group}.${name}: the version must be a non-empty string`,
          hint,
        });
    }
  }
  return problems;
}

function lineOf(text: string, needle: string): number | undefined {
  const at = text.indexOf(needle);
  return at === -1 ? undefined : text.slice(0, at).split('\n').length;
}
