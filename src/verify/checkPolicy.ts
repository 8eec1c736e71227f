import path from 'node:path';
import { displayText } from '../series/lines';
import { operationSourcePath, operationTargetPath, type Patch } from '../series/types';
import { matchesAny } from './glob';
import { locateHunkLines } from './patchLines';
import type { LoadedPatch } from './seriesState';
import type { Problem } from './types';

// Generated or vendored upstream files: a change there is lost when upstream regenerates them, or belongs
// in the project it came from. `policy.allowGenerated` lets named ones through.
export const GENERATED_OR_VENDORED = [
  'node_modules/**',
  'package-lock.json',
  'npm-shrinkwrap.json',
  '**/*.min.js',
  '**/*.min.css',
  '**/*-min.handlebars',
  'translate/translate.json',
  'views/translations/**',
  'emails/translations/**',
  'public/translations/**',
  'public/novnc/**',
  'public/mstsc/**',
  'rdp/**',
  'agents/**',
];

const EDIT_HINT =
  'fix it in the workspace: `meshfork edit`, change the file in .meshfork/work, `git commit -a --amend` (or --fixup), `meshfork export`';

/** The line's content without its ending; MeshCentral's CRLF is an ending, not trailing whitespace. */
function content(text: string): string {
  return text.replace(/\n$/, '').replace(/\r$/, '');
}

function trailingWhitespace(patch: Patch, file: string): Problem[] {
  const problems: Problem[] = [];
  for (const op of patch.operations) {
    for (const hunk of op.hunks) {
      for (const line of locateHunkLines(hunk)) {
        if (line.kind === '+' && /[ \t]$/.test(content(line.text))) {
          problems.push({
            patch: patch.name,
            file,
            line: line.patchLine,
            message: `adds trailing whitespace to ${operationTargetPath(op)} line ${line.fileLine}: ${JSON.stringify(displayText(content(line.text)).slice(-40))}`,
            hint: EDIT_HINT,
          });
        }
      }
    }
  }
  return problems;
}

function generatedFiles(patch: Patch, file: string, text: string, allowed: string[]): Problem[] {
  const problems: Problem[] = [];
  for (const op of patch.operations) {
    // a file the series creates is ours, whatever its name
    if (op.kind === 'create') continue;
    for (const target of new Set([operationSourcePath(op), operationTargetPath(op)])) {
      const pattern = matchesAny(target, GENERATED_OR_VENDORED);
      if (pattern === undefined || matchesAny(target, allowed) !== undefined) continue;
      problems.push({
        patch: patch.name,
        file,
        line: diffLineOf(text, target),
        message: `changes ${target}, an upstream file that is generated or vendored (matches "${pattern}")`,
        hint: `change the source it is made from instead, or allow it in meshfork.config.json: "policy": {"allowGenerated": ["${target}"]}`,
      });
    }
  }
  return problems;
}

function diffLineOf(text: string, target: string): number {
  const lines = text.split('\n');
  const at = lines.findIndex((l) => l.startsWith('diff --git ') && (l.includes(` a/${target}`) || l.includes(` b/${target}`)));
  return at === -1 ? 1 : at + 1;
}

/** A patch whose added lines are exactly its removed lines, reordered: it only moves code around. */
function moveOnly(patch: Patch, file: string): Problem[] {
  const removed: string[] = [];
  const added: string[] = [];
  for (const op of patch.operations) {
    for (const hunk of op.hunks) {
      for (const line of hunk.lines) {
        if (line.kind === '-') removed.push(content(line.text));
        if (line.kind === '+') added.push(content(line.text));
      }
    }
  }
  if (added.length === 0 || removed.length !== added.length) return [];
  const same = [...removed].sort().join('\n') === [...added].sort().join('\n');
  if (!same) return [];
  const first = patch.operations.flatMap((op) => op.hunks)[0];
  return [
    {
      patch: patch.name,
      file,
      line: first?.headerLine,
      message: `only moves lines: each of the ${added.length} line(s) it adds is one it removes`,
      hint: 'drop the patch (its change is a reordering upstream would not take), or make the change it is meant to make',
    },
  ];
}

export function checkPolicy(patches: LoadedPatch[], patchesRel: string, allowGenerated: string[]): Problem[] {
  return patches.flatMap(({ patch, text }) => {
    const file = path.join(patchesRel, patch.name);
    return [...trailingWhitespace(patch, file), ...generatedFiles(patch, file, text, allowGenerated), ...moveOnly(patch, file)];
  });
}
