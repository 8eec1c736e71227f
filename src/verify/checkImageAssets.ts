import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { runNode } from '../tools/node';
import type { Problem } from './types';

/** The image assets verify renders: issue 10's contract, in the project's `image.assets` folder. */
export const RENDER_CONFIG = 'render-config.js';
export const SAMPLE_ENV = 'sample.env';

/** KEY=VALUE lines as `docker run --env-file` reads them (# comments, blank lines, values taken literally). */
export function parseEnvFile(text: string, file: string): { env: Record<string, string>; problems: Problem[] } {
  const env: Record<string, string> = {};
  const problems: Problem[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '').trim();
    if (line === '' || line.startsWith('#')) return;
    // a bare KEY passes the host's value through in docker; a sample has none to give
    if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(line)) return;
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(raw.replace(/\r$/, '').trimStart());
    if (!match) {
      problems.push({
        file,
        line: i + 1,
        message: `expected KEY=VALUE, found ${JSON.stringify(line.slice(0, 60))}`,
        hint: `fix ${path.basename(file)}`,
      });
      return;
    }
    env[match[1]] = match[2];
  });
  return { env, problems };
}

/*
 * Runs in a child node (the template is code: it must not share meshfork's process): load the
 * template, render with the sample environment only, and report where the value stops being JSON.
 */
const RENDER_SCRIPT = `
const [file] = process.argv.slice(1);
const where = (p) => p.length ? p.join('.') : '(top level)';
function notJson(value, at, seen) {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return null;
  if (typeof value === 'number') return Number.isFinite(value) ? null : where(at) + ': ' + value + ' is not a JSON number';
  if (typeof value !== 'object') return where(at) + ': a ' + typeof value + ' is not JSON';
  if (seen.has(value)) return where(at) + ': refers back to itself';
  const proto = Object.getPrototypeOf(value);
  if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) return where(at) + ': a ' + (value.constructor && value.constructor.name) + ' is not a plain JSON object';
  seen.add(value);
  for (const [k, v] of Object.entries(value)) { const bad = notJson(v, at.concat(k), seen); if (bad) return bad; }
  seen.delete(value);
  return null;
}
let out;
try {
  const mod = require(file);
  if (typeof mod.renderConfig !== 'function') throw new Error('does not export a function renderConfig(env)');
  const value = mod.renderConfig(Object.assign({}, process.env));
  if (typeof value === 'string') {
    try { JSON.parse(value); out = { ok: true }; } catch (e) { out = { ok: false, message: 'renders a string that is not JSON: ' + e.message }; }
  } else if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    out = { ok: false, message: 'renders ' + (Array.isArray(value) ? 'an array' : String(value)) + ', not a config object' };
  } else {
    const bad = notJson(value, [], new Set());
    out = bad ? { ok: false, message: 'renders a value that is not JSON at ' + bad } : { ok: true };
  }
} catch (e) {
  out = { ok: false, message: 'throws: ' + (e && e.message ? e.message : String(e)) };
}
process.stdout.write(JSON.stringify(out));
`;

/** undefined when the assets are absent (the check is skipped then); else the problems found. */
export async function checkImageAssets(assetsDir: string, root: string): Promise<Problem[] | undefined> {
  const template = path.join(assetsDir, RENDER_CONFIG);
  const sample = path.join(assetsDir, SAMPLE_ENV);
  if (!existsSync(template) && !existsSync(sample)) return undefined;
  const shown = (file: string) => (path.relative(root, file).startsWith('..') ? file : path.relative(root, file));
  if (!existsSync(sample))
    return [
      {
        file: shown(sample),
        message: `missing: ${RENDER_CONFIG} needs a sample environment to render from`,
        hint: `add ${SAMPLE_ENV} (KEY=VALUE lines) beside ${RENDER_CONFIG}`,
      },
    ];
  if (!existsSync(template))
    return [
      {
        file: shown(template),
        message: `missing: ${SAMPLE_ENV} has no template to render`,
        hint: `add ${RENDER_CONFIG} exporting renderConfig(env)`,
      },
    ];
  const parsed = parseEnvFile(await fs.readFile(sample, 'utf8'), shown(sample));
  if (parsed.problems.length) return parsed.problems;
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, ...parsed.env };
  const run = await runNode(['-e', RENDER_SCRIPT, template], { cwd: assetsDir, env, timeoutMs: 30_000 });
  let result: { ok: boolean; message?: string };
  try {
    result = JSON.parse(run.stdout) as { ok: boolean; message?: string };
  } catch {
    result = { ok: false, message: `did not finish rendering (exit ${run.exitCode}): ${run.stderr.trim().split('\n').slice(-1)[0] ?? ''}` };
  }
  if (result.ok) return [];
  const line = /:(\d+)(?::\d+)?\)?$/m.exec(run.stderr)?.[1];
  return [
    {
      file: shown(template),
      line: line ? Number(line) : undefined,
      message: `${RENDER_CONFIG} with ${SAMPLE_ENV}: ${result.message}`,
      hint: `fix ${RENDER_CONFIG} (or ${SAMPLE_ENV}) until it renders MeshCentral's config object`,
    },
  ];
}
