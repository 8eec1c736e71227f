/*
 * README's config reference ("Configuration: meshfork.config.json") against the committed JSON Schema
 * (meshfork.schema.json, generated from the zod schema): every field has a row, every row is a field,
 * and every nested field is named in its parent's row. A field added to the schema without a line in
 * README fails here.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../support/release';

interface SchemaNode {
  properties?: Record<string, SchemaNode>;
  oneOf?: SchemaNode[];
  anyOf?: SchemaNode[];
}

const schema = JSON.parse(readFileSync(path.join(REPO_ROOT, 'meshfork.schema.json'), 'utf8')) as SchemaNode;
const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');

function configSection(): string {
  const match = /<!-- section: config -->([\s\S]*?)<!-- end section: config -->/.exec(readme);
  if (!match) throw new Error('README has no config section');
  return match[1];
}

/** `| \`field\` | meaning |` rows of the reference table. */
function rows(): Map<string, string> {
  const table = new Map<string, string>();
  for (const line of configSection().split('\n')) {
    const match = /^\| `([^`]+)` \| (.*) \|$/.exec(line);
    if (match) table.set(match[1], match[2]);
  }
  return table;
}

/** The nested field names of a property, through oneOf/anyOf variants (the upstream kinds). */
function nestedNames(node: SchemaNode): string[] {
  const names = new Set<string>(Object.keys(node.properties ?? {}));
  for (const variant of [...(node.oneOf ?? []), ...(node.anyOf ?? [])]) for (const n of nestedNames(variant)) names.add(n);
  return [...names].sort();
}

const fields = Object.keys(schema.properties ?? {}).filter((k) => k !== '$schema');

test('every top-level field of meshfork.schema.json has exactly one row, and every row is a field', () => {
  expect([...rows().keys()].sort()).toEqual([...fields].sort());
});

test.each(fields)('the row of %s names each of its nested fields', (field) => {
  const row = rows().get(field) ?? '';
  const missing = nestedNames(schema.properties?.[field] ?? {}).filter(
    (name) => !row.includes(`\`${name}\``) && !row.includes(`"${name}"`),
  );
  expect(missing).toEqual([]);
});

test('the example config in README validates against the schema fields (no unknown top-level key)', () => {
  const example = /```json\n([\s\S]*?)```/.exec(configSection());
  const parsed = JSON.parse(example?.[1] ?? '{}') as Record<string, unknown>;
  expect(Object.keys(parsed).filter((k) => k !== '$schema' && !fields.includes(k))).toEqual([]);
});
