/*
 * `meshfork verify --smoke`: the patched base release, its npm dependencies (cached by a hash of
 * package.json), started on loopback with what the project's smoke script asks for, then the script's
 * own check against it. The contract (README "The smoke script"):
 *   node SCRIPT settings  -> stdout {"settings": {...}, "env": {...}}: MeshCentral's extra config.json
 *                            settings and environment; non-zero exit: nothing is started
 *   node SCRIPT login     -> with MESHFORK_SMOKE_URL, MESHFORK_SMOKE_LOG (MeshCentral's output so far)
 *                            and MESHFORK_SMOKE_APP_DIR (the patched tree); exit 0 passes
 * The script's exit 2 is an input failure, 4 environment, any other non-zero broken; each stderr line is a problem.
 */
import { createHash } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LoadedConfig } from '../../config/load';
import { MeshforkError } from '../../errors';
import { runNode, type NodeRun } from '../../tools/node';
import { npmInstallProduction } from '../../tools/npm';
import { defaultCacheDir } from '../../upstream';
import { linkOrCopyTree } from '../../util/linkTree';
import type { ProgressSink } from '../../util/progress';
import type { FailureKind, Problem } from '../types';
import { startMeshCentral, type MeshCentralServer } from './meshcentralServer';

export interface SmokeOptions {
  env: NodeJS.ProcessEnv;
  /** Writes the base release plus the series into `out` (the command layer passes `meshfork apply`). */
  buildTree: (out: string) => Promise<void>;
  cacheDir?: string;
  /** Where installed node_modules are kept per package.json hash (default: meshcentral-modules in the cache). */
  modulesDir?: string;
  progress?: ProgressSink;
  startTimeoutMs?: number;
}

/** What the smoke check found. */
export interface SmokeResult {
  kind?: FailureKind;
  problems: Problem[];
}

const SCRIPT_TIMEOUT_MS = 300_000;

/** The configured smoke script's absolute path; undefined when none is configured. */
export async function smokeScriptOf(loaded: LoadedConfig): Promise<string | undefined> {
  const configured = loaded.config.smoke?.script;
  if (configured === undefined) return undefined;
  const script = path.resolve(loaded.root, configured);
  try {
    await fs.access(script, fs.constants.R_OK);
  } catch (error) {
    throw new MeshforkError('SMOKE_SCRIPT_MISSING', `${loaded.file}: smoke.script: cannot read ${script}`, {
      hint: `add the project's smoke script at ${configured}, or point "smoke.script" in ${path.basename(loaded.file)} at it`,
      cause: error,
    });
  }
  return script;
}

/** node_modules for this package.json, installed once into the cache and hard-linked (or copied) into the tree. */
async function installDependencies(dir: string, modulesDir: string): Promise<void> {
  const key = createHash('sha256')
    .update(await fs.readFile(path.join(dir, 'package.json')))
    .digest('hex')
    .slice(0, 16);
  const cached = path.join(modulesDir, key);
  if (!existsSync(path.join(cached, 'node_modules'))) {
    const work = `${cached}.tmp-${process.pid}-${Date.now()}`;
    await fs.mkdir(work, { recursive: true });
    await fs.copyFile(path.join(dir, 'package.json'), path.join(work, 'package.json'));
    try {
      await npmInstallProduction(work);
      await fs.rename(work, cached).catch(() => undefined); // another process cached the same package.json first
    } finally {
      await fs.rm(work, { recursive: true, force: true });
    }
  }
  await linkOrCopyTree(path.join(cached, 'node_modules'), path.join(dir, 'node_modules'));
}

/** A failed script run as report problems: one per stderr line, "hint: ..." lines attached to the one before. */
function scriptFailure(run: NodeRun, shown: string, phase: string): SmokeResult {
  const kind: FailureKind = run.exitCode === 2 ? 'input' : run.exitCode === 4 ? 'environment' : 'broken';
  const problems: Problem[] = [];
  for (const line of run.stderr.split('\n').map((l) => l.trimEnd())) {
    if (line.trim() === '') continue;
    const hint = /^hint: (.*)$/.exec(line);
    if (hint && problems.length) problems[problems.length - 1].hint = hint[1];
    else problems.push({ message: line });
  }
  if (!problems.length) problems.push({ file: shown, message: `${phase}: exit ${run.exitCode} without a message on stderr` });
  return { kind, problems };
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The settings phase's stdout: {settings?: object, env?: {NAME: string}}; a string saying what is wrong otherwise. */
function parsePrepared(stdout: string): { settings: Record<string, unknown>; env: Record<string, string> } | string {
  let value: unknown;
  try {
    value = JSON.parse(stdout);
  } catch (error) {
    return `settings: stdout is not JSON (${(error as Error).message})`;
  }
  if (!isPlainObject(value)) return 'settings: stdout is not a JSON object {"settings": {...}, "env": {...}}';
  const settings = value.settings ?? {};
  const env = value.env ?? {};
  if (!isPlainObject(settings)) return 'settings: "settings" is not an object';
  if (!isPlainObject(env) || !Object.values(env).every((v) => typeof v === 'string')) return 'settings: "env" is not an object of strings';
  return { settings, env: env as Record<string, string> };
}

export async function runSmoke(loaded: LoadedConfig, options: SmokeOptions): Promise<SmokeResult> {
  const script = await smokeScriptOf(loaded);
  const configName = path.basename(loaded.file);
  if (script === undefined)
    return {
      kind: 'input',
      problems: [
        {
          file: configName,
          message: 'no smoke script configured: verify --smoke runs the project\'s own check ("smoke.script")',
          hint: `add "smoke": { "script": "image/smoke-login.js" } to ${configName}; see README "The smoke script"`,
        },
      ],
    };
  const shown = path.relative(loaded.root, script);
  const scriptEnv = { ...options.env };
  const prepare = await runNode([script, 'settings'], { cwd: loaded.root, env: scriptEnv, timeoutMs: SCRIPT_TIMEOUT_MS });
  if (prepare.exitCode !== 0) return scriptFailure(prepare, shown, 'settings');
  const prepared = parsePrepared(prepare.stdout);
  if (typeof prepared === 'string') return { kind: 'input', problems: [{ file: shown, message: prepared }] };

  const parent = await fs.mkdtemp(path.join(os.tmpdir(), 'meshfork-smoke-'));
  let server: MeshCentralServer | undefined;
  try {
    const tree = path.join(parent, 'meshcentral');
    await options.buildTree(tree);
    await installDependencies(tree, options.modulesDir ?? path.join(options.cacheDir ?? defaultCacheDir(), 'meshcentral-modules'));
    const datapath = path.join(parent, 'data');
    const log = path.join(parent, 'meshcentral.log');
    await fs.mkdir(datapath);
    try {
      // the first start makes certificates and signs agents: "may take a few minutes", MeshCentral says
      server = await startMeshCentral(tree, {
        env: prepared.env,
        datapath,
        settings: prepared.settings,
        logFile: log,
        timeoutMs: options.startTimeoutMs ?? 180_000,
      });
    } catch (error) {
      return {
        kind: 'broken',
        problems: [
          {
            file: 'meshcentral.js',
            message: `MeshCentral ${loaded.config.base} + the series did not start: ${(error as Error).message.slice(-1500)}`,
          },
        ],
      };
    }
    const login = await runNode([script, 'login'], {
      cwd: loaded.root,
      env: {
        ...scriptEnv,
        MESHFORK_SMOKE_URL: `https://127.0.0.1:${server.port}/`,
        MESHFORK_SMOKE_LOG: log,
        MESHFORK_SMOKE_APP_DIR: tree,
      },
      timeoutMs: SCRIPT_TIMEOUT_MS,
    });
    return login.exitCode === 0 ? { problems: [] } : scriptFailure(login, shown, 'login');
  } finally {
    await server?.stop();
    await fs.rm(parent, { recursive: true, force: true });
  }
}
