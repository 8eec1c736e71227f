import { MeshforkError } from '../errors';

/** Set the top-level "base" by replacing only its value's bytes, so the file stays exactly as the user wrote it. */
export function setBaseInConfigText(text: string, version: string): string {
  const span = topLevelStringSpan(text, 'base');
  if (!span)
    throw new MeshforkError('CONFIG_INVALID', 'the config has no top-level string "base" to update', {
      hint: 'add "base": "<version>" to the config',
    });
  const updated = `${text.slice(0, span.start)}${JSON.stringify(version)}${text.slice(span.end)}`;
  // Check our own output: the same document with only "base" changed.
  const before = JSON.parse(text) as Record<string, unknown>;
  const after = JSON.parse(updated) as Record<string, unknown>;
  if (JSON.stringify({ ...before, base: version }) !== JSON.stringify(after)) {
    throw new Error('config edit changed more than "base"');
  }
  return updated;
}

function topLevelStringSpan(text: string, key: string): { start: number; end: number } | undefined {
  let i = 0;
  const ws = () => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  const readString = (): string => {
    const start = i;
    i++;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const skipValue = (): void => {
    if (text[i] === '"') {
      readString();
      return;
    }
    if (text[i] === '{' || text[i] === '[') {
      let depth = 0;
      while (i < text.length) {
        const c = text[i];
        if (c === '"') {
          readString();
          continue;
        }
        if (c === '{' || c === '[') depth++;
        if (c === '}' || c === ']') depth--;
        i++;
        if (depth === 0) return;
      }
      return;
    }
    while (i < text.length && !/[,}\]\s]/.test(text[i])) i++;
  };
  let found: { start: number; end: number } | undefined;
  ws();
  if (text[i] !== '{') return undefined;
  i++;
  for (;;) {
    ws();
    if (text[i] !== '"') return found;
    const name = readString();
    ws();
    if (text[i] !== ':') return found;
    i++;
    ws();
    const start = i;
    const isString = text[i] === '"';
    skipValue();
    if (name === key && isString) found = { start, end: i };
    ws();
    if (text[i] !== ',') return found;
    i++;
  }
}
