/** "line:column: " of a JSON.parse error, from V8's position (a space when V8 gives none, as for an empty file). */
export function jsonErrorLocation(text: string, message: string): string {
  const match = /at position (\d+)/.exec(message);
  if (!match) return ' ';
  const before = text.slice(0, Number(match[1]));
  const line = before.split('\n').length;
  const column = before.length - before.lastIndexOf('\n');
  return `${line}:${column}: `;
}
