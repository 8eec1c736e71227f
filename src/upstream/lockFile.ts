import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { UpstreamConfig } from '../config/schema';
import { MeshforkError } from '../errors';
import { writeFileAtomic } from '../util/atomic';
import { sha256 } from './blobStore';
import { withProcessLock } from './processLock';
import { jsonErrorLocation } from '../util/jsonLocation';

export const LOCK_FILE = 'meshfork.lock.json';

/** meshfork.lock.json: each resolved release's identity, per upstream; sorted keys, 2-space JSON. */
export interface LockData {
  lockfileVersion: 1;
  upstreams: Record<string, Record<string, { identity: string }>>;
}

function lockSchema() {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on demand: zod is costly at start-up
  const { z } = require('zod') as typeof import('zod');
  return z
    .object({
      lockfileVersion: z.literal(1),
      upstreams: z.record(z.string(), z.record(z.string(), z.object({ identity: z.string().min(1) }).strict())),
    })
    .strict();
}

function plainObject(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype && !Object.hasOwn(value, '__proto__')
  );
}

function quickParseLock(raw: unknown): LockData | undefined {
  if (!plainObject(raw) || raw.lockfileVersion !== 1 || !plainObject(raw.upstreams) || Object.keys(raw).length !== 2) return undefined;
  for (const releases of Object.values(raw.upstreams)) {
    if (!plainObject(releases)) return undefined;
    for (const entry of Object.values(releases)) {
      if (!plainObject(entry) || typeof entry.identity !== 'string' || entry.identity === '' || Object.keys(entry).length !== 1)
        return undefined;
    }
  }
  return raw as unknown as LockData;
}

export function upstreamKey(upstream: UpstreamConfig): string {
  return upstream.source === 'npm' ? `npm:${upstream.package}` : `git:${upstream.url}`;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(entries.map(([k, v]) => [k, sortKeys(v)]));
}

export function formatLock(data: LockData): string {
  return `${JSON.stringify(sortKeys(data), null, 2)}\n`;
}

export function parseLock(file: string, text: string): LockData {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new MeshforkError(
      'LOCK_INVALID',
      `${file}:${jsonErrorLocation(text, (error as Error).message)}not valid JSON: ${(error as Error).message}`,
      {
        hint: `fix or delete ${path.basename(file)} (meshfork rebuilds it; review the diff before committing)`,
      },
    );
  }
  const quick = quickParseLock(raw);
  if (quick) return quick;
  const result = lockSchema().safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new MeshforkError('LOCK_INVALID', `${file}: ${issue.path.map(String).join('.') || '(top level)'}: ${issue.message}`, {
      hint: `fix or delete ${path.basename(file)} (meshfork rebuilds it; review the diff before committing)`,
    });
  }
  return result.data;
}

export async function readLock(file: string): Promise<LockData> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { lockfileVersion: 1, upstreams: {} };
    throw new MeshforkError('IO_FAILED', `${file}: cannot read: ${(error as Error).message}`, { cause: error });
  }
  return parseLock(file, text);
}

export class LockBook {
  constructor(
    readonly file: string,
    readonly key: string,
    private readonly locksDir: string,
  ) {}

  async identityOf(version: string): Promise<string | undefined> {
    return (await readLock(this.file)).upstreams[this.key]?.[version]?.identity;
  }

  /** Read-modify-write under a lock shared by parallel processes; another identity on record is LOCK_MISMATCH. */
  async record(version: string, identity: string, updateLock: boolean, describe: (locked: string) => string): Promise<void> {
    if ((await this.identityOf(version)) === identity) return;
    await withProcessLock(path.join(this.locksDir, `lockfile-${sha256(this.file).slice(0, 16)}`), async () => {
      const data = await readLock(this.file);
      const releases = (data.upstreams[this.key] ??= {});
      const locked = releases[version]?.identity;
      if (locked === identity) return;
      if (locked !== undefined && !updateLock) {
        throw new MeshforkError('LOCK_MISMATCH', `${this.file}: ${describe(locked)}`, {
          hint: `if the upstream change is deliberate, accept it with \`meshfork upstream fetch ${version} --update-lock\` and commit meshfork.lock.json; otherwise find out why upstream changed`,
          details: { version, locked, actual: identity },
        });
      }
      releases[version] = { identity };
      const text = formatLock(data);
      if (formatLock(parseLock(this.file, text)) !== text) throw new Error('lock file round trip failed (a bug in meshfork)');
      await writeFileAtomic(this.file, text);
    });
  }
}
