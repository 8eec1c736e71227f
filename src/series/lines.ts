/** Split a binary string into lines that keep their endings; the last line may have none. */
export function splitLines(content: string): string[] {
  const lines: string[] = [];
  let start = 0;
  for (;;) {
    const nl = content.indexOf('\n', start);
    if (nl === -1) break;
    lines.push(content.slice(start, nl + 1));
    start = nl + 1;
  }
  if (start < content.length) lines.push(content.slice(start));
  return lines;
}

export function stripEol(line: string): string {
  return line.replace(/\r?\n$/, '');
}

export function hasEol(line: string): boolean {
  return line.endsWith('\n');
}

export function displayText(binary: string): string {
  return Buffer.from(binary, 'latin1').toString('utf8');
}
