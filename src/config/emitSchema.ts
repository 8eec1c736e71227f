import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { configSchema } from './schema';

/** The JSON Schema for editors, generated from the zod schema (npm run schema). */
export function configJsonSchema(): unknown {
  return { title: 'meshfork.config.json', ...z.toJSONSchema(configSchema, { io: 'input' }) };
}

if (require.main === module) {
  const out = path.resolve(process.argv[2] ?? 'meshfork.schema.json');
  writeFileSync(out, `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
}
