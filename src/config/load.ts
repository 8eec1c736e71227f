import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as semver from '../util/semver';
import type { z } from 'zod';
import { MeshforkError } from '../errors';
import { quickParseConfig } from './quickParse';
import type { Config } from './schema';
import { jsonErrorLocation } from '../util/jsonLocation';

export const CONFIG_FILE = 'meshfork.config.json';

/** A validated config plus where it came from. */
export interface LoadedConfig {
  config: Config;
  file: string;
  root: string; // the config file's folder
  patchesDir: string;
  filesDir?: string;
}

export function formatIssues(file: string, issues: z.core.$ZodIssue[]): string {
  return issues
    .map((issue) => {
      const where = issue.path.length ? issue.path.map(String).join('.') : '(top level)';
      return `${file}: ${where}: ${issue.message}`;
    })
    .join('\n');
}

function parseWithSchema(file: string, raw: unknown): Config {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on demand: zod is costly at start-up
  const { configSchema } = require('./schema') as typeof import('./schema');
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    throw new MeshforkError('CONFIG_INVALID', formatIssues(file, result.error.issues), {
      hint: `fix the field(s) above in ${path.basename(file)}; the schema is meshfork.schema.json`,
    });
  }
  return result.data;
}

/** Validate parsed JSON as a config; errors read `file: path.to.field: message`. */
export function parseConfig(file: string, raw: unknown): Config {
  const config = quickParseConfig(raw) ?? parseWithSchema(file, raw);
  if (!semver.satisfies(config.base, config.supports)) {
    throw new MeshforkError('CONFIG_INVALID', `${file}: base: ${config.base} is outside supports "${config.supports}"`, {
      hint: 'widen "supports" or choose a base inside it',
    });
  }
  return config;
}

export async function loadConfig(cwd: string, explicitFile?: string): Promise<LoadedConfig> {
  const file = path.resolve(cwd, explicitFile ?? CONFIG_FILE);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    throw new MeshforkError('CONFIG_MISSING', `${file}: cannot read config file`, {
      hint: 'run meshfork in the project root (or pass -C DIR / --config FILE)',
      cause: error,
    });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new MeshforkError(
      'CONFIG_INVALID',
      `${file}:${jsonErrorLocation(text, (error as Error).message)}not valid JSON: ${(error as Error).message}`,
      {
        hint: 'fix the JSON syntax',
      },
    );
  }
  const config = parseConfig(file, raw);
  const root = path.dirname(file);
  return {
    config,
    file,
    root,
    patchesDir: path.resolve(root, config.patches),
    ...(config.files !== undefined ? { filesDir: path.resolve(root, config.files) } : {}),
  };
}

/** The files folder as loadSeries takes it: the absolute folder, and its name as reports show it ("files/"); undefined when not configured. */
export function filesFolder(loaded: Pick<LoadedConfig, 'root' | 'filesDir'>): { dir: string; name: string } | undefined {
  if (loaded.filesDir === undefined) return undefined;
  const rel = path.relative(loaded.root, loaded.filesDir).split(path.sep).join('/');
  return { dir: loaded.filesDir, name: rel ? `${rel}/` : './' };
}
