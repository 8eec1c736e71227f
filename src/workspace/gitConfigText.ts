// As git config KEY VALUE would write them one by one, without a git process per key.

function sectionName(line: string): string | undefined {
  return /^\[([A-Za-z0-9.-]+)\]$/.exec(line.trim())?.[1].toLowerCase();
}

const PLAIN_LINE = /^(\[[A-Za-z0-9.-]+\]|\t[A-Za-z][A-Za-z0-9-]* = [^"\\;#]*|)$/;

/** undefined when the file holds anything but plain sections and key = value lines (then git config has to do it). */
export function setConfigValues(text: string, entries: [string, string][]): string | undefined {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  if (!lines.every((l) => PLAIN_LINE.test(l))) return undefined;
  for (const [name, value] of entries) {
    const dot = name.indexOf('.');
    const section = name.slice(0, dot).toLowerCase();
    const key = name.slice(dot + 1);
    const start = lines.findIndex((l) => sectionName(l) === section);
    if (start === -1) {
      lines.push(`[${section}]`, `\t${key} = ${value}`);
      continue;
    }
    let end = start + 1;
    while (end < lines.length && sectionName(lines[end]) === undefined) end++;
    const at = lines.slice(start + 1, end).findIndex((l) => l.slice(1, l.indexOf(' = ')).toLowerCase() === key.toLowerCase());
    if (at === -1) lines.splice(end, 0, `\t${key} = ${value}`);
    else lines[start + 1 + at] = `\t${key} = ${value}`;
  }
  return `${lines.join('\n')}\n`;
}
