// patches/ is swapped in whole, as export does, so a failure leaves the old set; existing files are kept byte for byte.
import path from 'node:path';
import { MeshforkError } from '../errors';
import { replacePatchesDir } from '../series/patchesSwap';
import { SERIES_FILE, parseSeriesFile } from '../series/seriesFile';
import { readTree } from '../workspace/readTree';

export interface NewPatchFile {
  name: string;
  text: string;
  /** Options written after the name on its series line (e.g. "-p0"). */
  options?: string;
}

export function freeName(name: string, taken: Set<string>): string {
  if (!taken.has(name)) return name;
  const stem = name.replace(/\.(patch|diff)$/, '');
  const ext = name.slice(stem.length) || '.patch';
  for (let i = 2; ; i++) if (!taken.has(`${stem}-${i}${ext}`)) return `${stem}-${i}${ext}`;
}

function insertLines(seriesText: string, added: NewPatchFile[], before: string | undefined, seriesPath: string): string {
  const lines = added.map((p) => `${p.name}${p.options ? ` ${p.options}` : ''}\n`).join('');
  const text = seriesText === '' || seriesText.endsWith('\n') ? seriesText : `${seriesText}\n`;
  if (before === undefined) return text + lines;
  const entry = parseSeriesFile(seriesPath, text).find((e) => e.name === before);
  if (!entry)
    throw new MeshforkError('USAGE', `--before ${before}: the series has no such patch`, {
      hint: 'name a patch as listed in patches/series (meshfork series lists them)',
    });
  const all = text.split('\n');
  return [...all.slice(0, entry.line - 1), lines.replace(/\n$/, ''), ...all.slice(entry.line - 1)].join('\n');
}

export async function appendPatches(patchesDir: string, added: NewPatchFile[], before?: string): Promise<string[]> {
  const files = await readTree(patchesDir);
  for (const p of added) {
    if (files.has(p.name)) {
      throw new MeshforkError('OUTPUT_EXISTS', `${path.join(patchesDir, p.name)} already exists; import never overwrites a patch file`, {
        hint: 'remove or rename that file first, or import into another project',
      });
    }
  }
  const seriesPath = path.join(patchesDir, SERIES_FILE);
  const seriesText = files.get(SERIES_FILE)?.toString('latin1') ?? '';
  const next = new Map(files);
  for (const p of added) next.set(p.name, Buffer.from(p.text, 'latin1'));
  next.set(SERIES_FILE, Buffer.from(insertLines(seriesText, added, before, seriesPath), 'latin1'));
  await replacePatchesDir(patchesDir, next);
  return added.map((p) => p.name);
}
