// Names leave here decoded (real strings), the form the file system, the upstream trees and the writer use.

const SIMPLE_ESCAPES: Record<string, number> = { n: 10, t: 9, r: 13, '"': 34, '\\': 92, a: 7, b: 8, f: 12, v: 11 };

/** Undo git's C-style quoting ("a/caf\303\251.txt"); the result is still a binary string. */
export function unquote(p: string): string {
  if (!p.startsWith('"') || !p.endsWith('"') || p.length < 2) return p;
  const inner = p.slice(1, -1);
  let out = '';
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i];
    if (c !== '\\') {
      out += c;
      continue;
    }
    const next = inner[++i] ?? '';
    if (next in SIMPLE_ESCAPES) out += String.fromCharCode(SIMPLE_ESCAPES[next]);
    else if (/[0-7]/.test(next)) {
      out += String.fromCharCode(parseInt(inner.slice(i, i + 3), 8) & 0xff);
      i += 2;
    } else out += next;
  }
  return out;
}

export function decodeUtf8(binary: string): string | undefined {
  if (!/[\x80-\xff]/.test(binary)) return binary;
  const text = Buffer.from(binary, 'latin1').toString('utf8');
  return Buffer.from(text, 'utf8').toString('latin1') === binary ? text : undefined;
}

export function encodeUtf8(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}

export function stripComponents(p: string, strip: number): string | undefined {
  let rest = p;
  for (let i = 0; i < strip; i++) {
    const slash = rest.indexOf('/');
    if (slash === -1) return undefined;
    rest = rest.slice(slash + 1);
  }
  return rest === '' ? undefined : rest;
}

export function quotePath(p: string): string {
  const bytes = encodeUtf8(p);
  // eslint-disable-next-line no-control-regex -- git quotes a name that holds control characters
  if (!/[\s"\\\x00-\x1f\x7f-\xff]/.test(bytes)) return bytes;
  const escape = (c: string): string => {
    const code = c.charCodeAt(0);
    if (c === '"' || c === '\\') return `\\${c}`;
    if (c === ' ') return c;
    const letter = 'abtnvfr'[code - 7];
    if (code >= 7 && code <= 13) return `\\${letter}`;
    if (code < 32 || code > 126) return `\\${code.toString(8).padStart(3, '0')}`;
    return c;
  };
  return `"${[...bytes].map(escape).join('')}"`;
}
