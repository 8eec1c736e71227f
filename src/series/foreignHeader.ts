// Headers meshfork did not write (DEP-3, free text, a From <sha> line anywhere) mapped onto the one header model; the bytes
// stay in Patch.source so an unchanged patch is exported as it was.
import { decodeEncodedWords } from './parseHeader';
import type { PatchHeader, Trailer } from './types';

/** Field names that only DEP-3 uses: their presence makes a header DEP-3, not mail. */
export const DEP3_ONLY = /^(description|author|origin|forwarded|bug(-[a-z0-9]+)?|applied-upstream|last-update|reviewed-by|acked-by)$/i;

const FIELD = /^([A-Za-z][A-Za-z0-9-]*):(?: (.*)|(.*))$/;

interface Field {
  key: string;
  lines: string[];
}

function fieldOf(line: string): Field | undefined {
  const m = FIELD.exec(line);
  if (!m) return undefined;
  const value = m[2] ?? m[3] ?? '';
  if (value.startsWith('//')) return undefined;
  return { key: m[1], lines: [value.trim()] };
}

export function isDep3(lines: string[]): boolean {
  return lines.some((l) => {
    const f = fieldOf(l);
    return f !== undefined && DEP3_ONLY.test(f.key);
  });
}

function baseName(patchName: string): string {
  return (patchName.split('/').pop() ?? patchName).replace(/\.(patch|diff)$/, '');
}

export function parseForeignHeader(patchName: string, lines: string[]): PatchHeader {
  const fields: Field[] = [];
  const prose: string[] = [];
  let open: Field | undefined;
  for (const line of lines) {
    if (/^From [0-9a-f]{7,40} /.test(line)) continue; // git format-patch's mbox line
    if (open && /^\s/.test(line) && line.trim() !== '') {
      open.lines.push(line.trim() === '.' ? '' : line.replace(/^\s/, ''));
      continue;
    }
    const field = fieldOf(line);
    if (field) {
      fields.push(field);
      open = field;
      continue;
    }
    open = undefined;
    prose.push(line);
  }
  const take = (re: RegExp): Field | undefined => {
    const i = fields.findIndex((f) => re.test(f.key));
    return i === -1 ? undefined : fields.splice(i, 1)[0];
  };
  const subjectField = take(/^subject$/i);
  const descriptionField = take(/^description$/i);
  const fromField = take(/^from$/i) ?? take(/^author$/i);
  const dateField = take(/^date$/i);
  const body: string[] = [];
  let subject: string | undefined;
  if (subjectField)
    subject = decodeEncodedWords(subjectField.lines.join(' '))
      .replace(/^\[PATCH[^\]]*\]\s*/, '')
      .trim();
  if (descriptionField) {
    const [first, ...rest] = descriptionField.lines;
    if (subject === undefined) subject = first;
    else body.push(first);
    body.push(...rest);
  }
  const text = prose.slice();
  while (text.length && text[0].trim() === '') text.shift();
  if (!subject && text.length) subject = text.shift()?.trim();
  if (body.length && text.length) body.push('');
  body.push(...text);
  while (body.length && body[0].trim() === '') body.shift();
  while (body.length && body[body.length - 1].trim() === '') body.pop();
  const trailers: Trailer[] = fields.map((f) => ({ key: f.key, value: f.lines.join(' ').trim() }));
  return {
    from: fromField ? decodeEncodedWords(fromField.lines.join(' ')).trim() : '',
    date: dateField?.lines.join(' ').trim(),
    subject: subject || baseName(patchName),
    description: body.join('\n'),
    trailers,
  };
}
