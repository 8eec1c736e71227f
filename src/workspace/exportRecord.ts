// The last export's HEAD, code, release and series digest: when all four still hold, export answers from the record without
// reading the commits back.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../util/atomic';

export interface ExportedPatch {
  name: string;
  subject: string;
  commit: string;
}

export interface ExportRecord {
  head: string;
  version: string;
  code: string;
  series: string;
  patches: ExportedPatch[];
}

function recordFile(workDir: string): string {
  return path.join(workDir, '.git', 'meshfork-export.json');
}

function isRecord(raw: unknown): raw is ExportRecord {
  if (typeof raw !== 'object' || raw === null) return false;
  const { head, version, code, series, patches } = raw as Record<string, unknown>;
  if (![head, version, code, series].every((v) => typeof v === 'string') || !Array.isArray(patches)) return false;
  return patches.every(
    (p: unknown) =>
      typeof p === 'object' &&
      p !== null &&
      ['name', 'subject', 'commit'].every((k) => typeof (p as Record<string, unknown>)[k] === 'string'),
  );
}

/** undefined when there is none or it is not whole (the export then runs in full). */
export function readExportRecord(workDir: string): ExportRecord | undefined {
  try {
    const raw: unknown = JSON.parse(readFileSync(recordFile(workDir), 'utf8'));
    return isRecord(raw) ? raw : undefined;
  } catch {
    return undefined;
  }
}

export async function writeExportRecord(workDir: string, record: ExportRecord): Promise<void> {
  await writeFileAtomic(recordFile(workDir), `${JSON.stringify(record)}\n`);
}
