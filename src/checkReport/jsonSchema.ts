import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { syncCheckReportSchema } from './schema';

/** JSON Schema of `meshfork sync check --json`, generated from the zod schema (schemas/sync-check.schema.json). */
export function syncCheckJsonSchema(): Record<string, unknown> {
  return {
    title: 'meshfork sync check --json',
    ...z.toJSONSchema(syncCheckReportSchema, { io: 'output', target: 'draft-2020-12' }),
  };
}

export function syncCheckJsonSchemaText(): string {
  return `${JSON.stringify(syncCheckJsonSchema(), null, 2)}\n`;
}

if (require.main === module) {
  writeFileSync(path.resolve(process.argv[2] ?? 'schemas/sync-check.schema.json'), syncCheckJsonSchemaText());
}
