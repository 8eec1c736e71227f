import type { PatchHeader, Trailer } from '../series/types';

/** The trailer export sets from the workspace release; it is never stored in a commit message. */
export const BASE_TRAILER = 'Meshfork-Base';

const TRAILER = /^([A-Za-z][A-Za-z0-9-]*):\s?(.*)$/;

export interface Author {
  name: string;
  email: string;
}

export function parseAuthor(from: string): Author {
  const match = /^\s*"?(.*?)"?\s*<([^>]*)>\s*$/.exec(from);
  if (!match) return { name: from.trim(), email: '' };
  return { name: match[1].trim(), email: match[2].trim() };
}

export function formatAuthor(author: Author): string {
  return author.email ? `${author.name} <${author.email}>` : author.name;
}

export function isBaseTrailer(trailer: Trailer): boolean {
  return trailer.key.toLowerCase() === BASE_TRAILER.toLowerCase();
}

export function commitMessage(header: PatchHeader): string {
  const trailers = header.trailers.filter((t) => !isBaseTrailer(t)).map((t) => `${t.key}: ${t.value}`);
  const paragraphs = [header.subject];
  if (header.description.trim() !== '') paragraphs.push(header.description);
  if (trailers.length) paragraphs.push(trailers.join('\n'));
  return `${paragraphs.join('\n\n')}\n`;
}

export interface MessageParts {
  subject: string;
  description: string;
  trailers: Trailer[];
}

export function parseCommitMessage(message: string): MessageParts {
  // Lines keep their bytes (a description may end a line with spaces); only blank lines are trimmed.
  const lines = message.split('\n');
  const blank = (l: string) => l.trim() === '';
  while (lines.length && blank(lines[lines.length - 1])) lines.pop();
  while (lines.length && blank(lines[0])) lines.shift();
  // Like git's %s, the subject is the whole first paragraph joined into one line.
  let end = 0;
  while (end < lines.length && !blank(lines[end])) end++;
  const subject = lines
    .slice(0, end)
    .map((l) => l.trim())
    .join(' ');
  const body = lines.slice(end + 1);
  let trailerStart = body.length;
  while (trailerStart > 0 && !blank(body[trailerStart - 1])) trailerStart--;
  const last = body.slice(trailerStart);
  const isTrailerBlock = last.length > 0 && last.every((l) => TRAILER.test(l));
  const trailers: Trailer[] = isTrailerBlock
    ? last.map((l) => {
        const [, key, value] = TRAILER.exec(l) as RegExpExecArray;
        return { key, value: value.trim() };
      })
    : [];
  const description = isTrailerBlock ? body.slice(0, trailerStart) : body;
  while (description.length && blank(description[0])) description.shift();
  while (description.length && blank(description[description.length - 1])) description.pop();
  return { subject, description: description.join('\n'), trailers: trailers.filter((t) => !isBaseTrailer(t)) };
}
