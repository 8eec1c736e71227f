import { promises as fs } from 'node:fs';
import type { z } from 'zod';
import type { MeshforkError } from '../errors';

/**
 * Read a JSON state file that meshfork itself wrote: undefined when absent, the validated value when
 * sound, and the caller's error when damaged (unparsable or not matching the schema).
 */
export async function readJsonState<T>(file: string, schema: z.ZodType<T>, damaged: () => MeshforkError): Promise<T | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw damaged();
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw damaged();
  return parsed.data;
}
