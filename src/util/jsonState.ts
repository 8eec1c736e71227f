import { promises as fs } from 'node:fs';
import type { z } from 'zod';
import type { MeshforkError } from '../errors';

export type StateCheck<T> = (raw: unknown) => T | undefined;

/** The schema is built (and zod loaded) only when there is a file to check: start-up time. */
export function zodCheck<T>(schema: () => z.ZodType<T>): StateCheck<T> {
  return (raw) => {
    const parsed = schema().safeParse(raw);
    return parsed.success ? parsed.data : undefined;
  };
}

/** A JSON state file meshfork wrote: undefined when absent, the checked value when sound, the caller's error when damaged. */
export async function readJsonState<T>(file: string, check: StateCheck<T>, damaged: () => MeshforkError): Promise<T | undefined> {
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
  const checked = check(raw);
  if (checked === undefined) throw damaged();
  return checked;
}
