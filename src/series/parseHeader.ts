import * as semver from '../util/semver';
import { MeshforkError } from '../errors';
import type { PatchHeader, Trailer } from './types';
import { stripEol } from './lines';

const TRAILER = /^([A-Za-z][A-Za-z0-9-]*):\s?(.*)$/;
// Yocto, OpenEmbedded and meshfork spellings: "Backport [url]", "Submitted [url]", "Denied [why]", ...
const UPSTREAM_STATUS =
  /^(Inappropriate(\s+\[.+\])?|Pending|Backport(\s+(\[.+\]|<\S+>|\S+))?|Denied(\s+\[.+\])?|Submitted\s+(\[.+\]|<\S+>|\S+)|Accepted(\s+(\[.+\]|\S+))?)$/;

const ENCODED_WORD = /=\?([^?\s]+)\?([QqBb])\?([^?\s]*)\?=/g;

/** RFC 2047 words, as format-patch writes non-ASCII ("=?UTF-8?q?Caf=C3=A9?="), to UTF-8 bytes; unknown charsets stay encoded. */
export function decodeEncodedWords(value: string): string {
  // Whitespace between two encoded words (from header folding) is not part of the text.
  const joined = value.replace(/(\?=)\s+(?==\?[^?\s]+\?[QqBb]\?)/g, '$1');
  return joined.replace(ENCODED_WORD, (word, charset: string, encoding: string, text: string) => {
    const bytes =
      encoding.toUpperCase() === 'B'
        ? Buffer.from(text, 'base64')
        : Buffer.from(
            text.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16))),
            'latin1',
          );
    if (/^utf-?8$/i.test(charset) || /^us-ascii$/i.test(charset)) return bytes.toString('latin1');
    if (/^iso-8859-1$/i.test(charset)) return Buffer.from(bytes.toString('latin1'), 'utf8').toString('latin1');
    return word;
  });
}

function invalid(name: string, line: number, message: string, hint: string): MeshforkError {
  return new MeshforkError('PATCH_INVALID', `${name}:${line}: ${message}`, { hint });
}

export function parseHeader(name: string, lines: string[]): PatchHeader {
  const text = lines.map(stripEol);
  let i = 0;
  if (text[0]?.startsWith('From ') && !text[0].startsWith('From: ')) i = 1;
  const fields = new Map<string, string>();
  let lastKey: string | undefined;
  for (; i < text.length && text[i] !== ''; i++) {
    const line = text[i];
    if (/^\s/.test(line) && lastKey) {
      fields.set(lastKey, `${fields.get(lastKey)} ${line.trim()}`);
      continue;
    }
    const match = /^([A-Za-z-]+):\s?(.*)$/.exec(line);
    if (!match)
      throw invalid(
        name,
        i + 1,
        `expected a header field (From:, Subject:, Date:) but found "${line}"`,
        'the header ends with a blank line; see README "The patch series"',
      );
    lastKey = match[1].toLowerCase();
    fields.set(lastKey, match[2]);
  }
  const rawSubject = fields.get('subject');
  const subject =
    rawSubject === undefined
      ? undefined
      : decodeEncodedWords(rawSubject)
          .replace(/^\[PATCH[^\]]*\]\s*/, '')
          .trim();
  if (!subject) throw invalid(name, 1, 'missing "Subject:" header', 'start the patch with From: and Subject: lines');
  const rawFrom = fields.get('from');
  const from = rawFrom === undefined ? undefined : decodeEncodedWords(rawFrom).trim();
  if (!from) throw invalid(name, 1, 'missing "From:" header', 'add a line "From: Name <email>" at the top');

  const body = text.slice(i + 1);
  while (body.length && body[body.length - 1] === '') body.pop();
  // Trailers: the last paragraph, when every line of it is "Key: value".
  let trailerStart = body.length;
  while (trailerStart > 0 && body[trailerStart - 1] !== '') trailerStart--;
  const lastParagraph = body.slice(trailerStart);
  const isTrailerBlock = lastParagraph.length > 0 && lastParagraph.every((l) => TRAILER.test(l));
  const trailers: Trailer[] = [];
  const bodyOffset = i + 2; // 1-based line of body[0]
  if (isTrailerBlock) {
    lastParagraph.forEach((line, k) => {
      const [, key, value] = TRAILER.exec(line) as RegExpExecArray;
      const lineNo = bodyOffset + trailerStart + k;
      validateTrailer(name, lineNo, key, value.trim());
      trailers.push({ key, value: value.trim() });
    });
  }
  const descriptionLines = isTrailerBlock ? body.slice(0, trailerStart) : body;
  while (descriptionLines.length && descriptionLines[0] === '') descriptionLines.shift();
  while (descriptionLines.length && descriptionLines[descriptionLines.length - 1] === '') descriptionLines.pop();
  return { from, date: fields.get('date'), subject, description: descriptionLines.join('\n'), trailers };
}

function validateTrailer(name: string, line: number, key: string, value: string): void {
  const lower = key.toLowerCase();
  const keyword = value.replace(/^\w+/, (w) => w[0].toUpperCase() + w.slice(1).toLowerCase());
  if (lower === 'upstream-status' && !UPSTREAM_STATUS.test(keyword)) {
    throw invalid(
      name,
      line,
      `Upstream-Status: "${value}" is not one of Inappropriate [reason], Pending, Backport [url], Submitted [url], Accepted [version], Denied [reason]`,
      'fix the Upstream-Status trailer',
    );
  }
  if (lower === 'meshfork-base' && semver.valid(value) === null) {
    throw invalid(
      name,
      line,
      `Meshfork-Base: "${value}" is not a version`,
      'Meshfork-Base names the upstream release the patch was last refreshed against, e.g. 1.1.55',
    );
  }
}
