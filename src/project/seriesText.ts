/** Each entry keeps the comment lines above it, so an unchanged series is byte-identical and a renamed patch keeps its note. */
export interface SeriesRewrite {
  /** New entry name, and the old entry name it replaces (undefined for a new patch). */
  name: string;
  previous?: string;
  /** Keep the old line's quilt options (-pN); false when the patch was rewritten. Default true. */
  keepOptions?: boolean;
}

interface OldEntry {
  name: string;
  line: string;
  leading: string[];
}

function splitKeepingEnds(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

export function entryName(line: string): string | undefined {
  const trimmed = line.trim();
  if (trimmed === '' || trimmed.startsWith('#')) return undefined;
  return trimmed.split(/\s+/)[0];
}

export function renderSeries(oldText: string | undefined, entries: SeriesRewrite[]): string {
  const old: OldEntry[] = [];
  let pending: string[] = [];
  for (const line of splitKeepingEnds(oldText ?? '')) {
    const name = entryName(line);
    if (name === undefined) pending.push(line);
    else {
      old.push({ name, line: line.endsWith('\n') ? line : `${line}\n`, leading: pending });
      pending = [];
    }
  }
  const byName = new Map(old.map((e) => [e.name, e]));
  const out: string[] = [];
  if (old.length === 0) out.push(...pending);
  for (const entry of entries) {
    const before = entry.previous === undefined ? undefined : byName.get(entry.previous);
    if (before) {
      out.push(...before.leading);
      out.push(before.name === entry.name && entry.keepOptions !== false ? before.line : `${entry.name}\n`);
    } else out.push(`${entry.name}\n`);
  }
  if (old.length > 0) out.push(...pending);
  return out.join('');
}
