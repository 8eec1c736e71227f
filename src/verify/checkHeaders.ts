import path from 'node:path';
import { trailerValue } from '../series/types';
import { headerLines } from './patchLines';
import type { LoadedPatch } from './seriesState';
import type { Problem } from './types';

const AMEND_HINT = 'edit the patch header (or `meshfork edit`, `git commit --amend` in .meshfork/work, `meshfork export`)';

/** Every patch has a subject, a description and an Upstream-Status trailer. */
export function checkHeaders(patches: LoadedPatch[], patchesRel: string): Problem[] {
  const problems: Problem[] = [];
  for (const { patch, text } of patches) {
    const file = path.join(patchesRel, patch.name);
    const lines = headerLines(text);
    if (patch.header.subject.trim() === '')
      problems.push({ patch: patch.name, file, line: lines.subject, message: 'the subject is empty', hint: AMEND_HINT });
    if (patch.header.description.trim() === '') {
      problems.push({
        patch: patch.name,
        file,
        line: lines.subject + 1,
        message: 'no description: say what the patch does and why, between the subject and the trailers',
        hint: AMEND_HINT,
      });
    }
    if (trailerValue(patch.header, 'Upstream-Status') === undefined) {
      problems.push({
        patch: patch.name,
        file,
        line: lines.separator,
        message: 'no Upstream-Status trailer (Inappropriate [reason], Pending, Submitted <url> or Accepted <version>)',
        hint: `add a line such as "Upstream-Status: Pending" to the trailers above "---"; ${AMEND_HINT}`,
      });
    }
  }
  return problems;
}
