import { promises as fs } from 'node:fs';
import type { z } from 'zod';
import type { MeshforkError } from '../errors';

/** Checks a parsed JSON value: the value as the state's type, or undefined when it does not fit. */
export type StateCheck<T> = (raw: unknown) => T | undefined;

/** A StateCheck from a zod schema, which is only built (and zod only loaded) when a file is there to check. */
export function zodCheck<T>(schema: () => z.ZodType<T>): StateCheck<T> {
  return (raw) => {
    const parsed = schema().safeParse(raw);
    return parsed.success ? parsed.data : undefined;
  };
}

/**
 * Read a JSON state file that meshfork itself wrote: undefined when absent, the checked value when
 * sound, and the caller's error when damaged (unparsable or not passing the check).
 */
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
