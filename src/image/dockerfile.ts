import { MeshforkError } from '../errors';

/** A Dockerfile double-quoted string: `"`, `\` and `$` (variable expansion) escaped; no line breaks. */
export function dockerfileString(value: string, what: string): string {
  if (/[\r\n]/.test(value))
    throw new MeshforkError('USAGE', `${what} contains a line break: ${JSON.stringify(value)}`, { hint: 'use a single-line value' });
  return `"${value.replace(/[\\"$]/g, (c) => `\\${c}`)}"`;
}

export function assertImageReference(ref: string, what: string): void {
  if (!/^[a-z0-9][a-z0-9._\-/:]*(@sha256:[0-9a-f]{64})?$/i.test(ref) || ref.includes('//')) {
    throw new MeshforkError(
      'USAGE',
      `${what}: "${ref}" is not an image reference such as node:20-bookworm-slim or registry.example.com/team/image:tag`,
      {
        hint: 'pass a valid image reference',
      },
    );
  }
}

export function renderDockerfile(template: string, values: { baseImage: string; labels: Record<string, string> }): string {
  assertImageReference(values.baseImage, '--base-image');
  const labels = Object.entries(values.labels).map(
    ([key, value]) => `      ${dockerfileString(key, 'label name')}=${dockerfileString(value, `label ${key}`)}`,
  );
  const labelInstruction = labels.length ? `LABEL \\\n${labels.join(' \\\n')}` : '';
  const text = template.replace(/\{\{BASE_IMAGE\}\}/g, values.baseImage).replace('{{LABELS}}', labelInstruction);
  const leftover = /\{\{[A-Z_]+\}\}/.exec(text);
  if (leftover) throw new Error(`Dockerfile template: unknown placeholder ${leftover[0]}`);
  return text;
}
