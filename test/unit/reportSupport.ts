/*
 * Inline fixtures for the report unit tests: a small file, a one-hunk patch made by the real writer,
 * and the real engine's outcome against variants of the file. No disk, no network.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { applySeries, MemoryTree } from '../../src/engine';
import type { SeriesOutcome } from '../../src/engine/types';
import { parsePatch } from '../../src/series/parse';
import { formatPatch } from '../../src/engine/formatPatch';
import { patchFileName } from '../../src/series/writer';
import type { Patch } from '../../src/series/types';

/** Twenty CRLF lines "line 1".."line 20", like MeshCentral's files. */
export const BASE_FILE = Array.from({ length: 20 }, (_, i) => `line ${i + 1}\r\n`).join('');

function withLines(content: string, edit: (lines: string[]) => void): string {
  const lines = content.split(/(?<=\n)/);
  edit(lines);
  return lines.join('');
}

/** Line 10 becomes "line ten": the patch's one hunk covers base lines 7-13. */
export const PATCHED_FILE = withLines(BASE_FILE, (l) => (l[9] = 'line ten\r\n'));

export function makePatch(subject = 'Rename line ten'): Patch {
  const header = { from: 'Fork <fork@example.invalid>', subject, description: '', trailers: [{ key: 'Meshfork-Base', value: '1.1.55' }] };
  const text = formatPatch(header, [{ oldPath: 'app.js', newPath: 'app.js', oldContent: BASE_FILE, newContent: PATCHED_FILE }]);
  return parsePatch(patchFileName(subject), text);
}

/** Variants of the target release's app.js, one per status. */
export const TARGETS = {
  same: BASE_FILE,
  shifted: `added 1\r\nadded 2\r\nadded 3\r\n${BASE_FILE}`,
  contextChanged: withLines(BASE_FILE, (l) => (l[10] = 'line 11 changed upstream\r\n')),
  outerContextChanged: withLines(BASE_FILE, (l) => (l[6] = 'line 7 changed upstream\r\n')),
  alreadyThere: PATCHED_FILE,
};

/** The real engine's outcome of the patch against one target variant (undefined: app.js is gone), 3-way enabled. */
export async function outcomeFor(target: string | undefined, patches: Patch[] = [makePatch()]): Promise<SeriesOutcome> {
  const tree = new MemoryTree(async (p) => (p === 'app.js' ? target : undefined));
  return applySeries(patches, tree, { threeWayBase: async (p) => (p === 'app.js' ? BASE_FILE : undefined) });
}

export const SYNC_CHECK_SCHEMA_FILE = path.join(__dirname, '..', '..', 'schemas', 'sync-check.schema.json');

/** Validator for the committed JSON Schema file (what CI consumers and editors use): a list of errors. */
export function syncCheckValidator(): (data: unknown) => string[] {
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  const validate = ajv.compile(JSON.parse(readFileSync(SYNC_CHECK_SCHEMA_FILE, 'utf8')) as object);
  return (data) => (validate(data) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`));
}
