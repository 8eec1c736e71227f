/*
 * Bad input: every case gives exit 2, an error that names the file and line (or the config or lock
 * field, or the command-line argument), a hint line, and writes nothing.
 *   - the corpus, test/fixtures/bad-input (patches, series, config, lock): each folder is a small
 *     project with one defect and an expect.json (code, message pattern, and the commands to run,
 *     default `series` and `apply`); run through the built CLI, the folder's bytes stay the same and
 *     neither DIR nor the upstream cache is created;
 *   - command-line arguments (CLI_CASES below), in a valid project;
 *   - the image's environment (IMAGE_ENVIRONMENT_CASES below): the real entrypoint
 *     (src/image/assets/entrypoint.js) run with node in a temporary app folder, no docker. It refuses
 *     with exit 78 (EX_CONFIG, as README documents for the image; not 2: a container's exit status,
 *     not meshfork's), the variable named, a hint line, no config.json written, MeshCentral not started.
 * Every case counts the assertions it made; the tally fails the run under 80 cases or when fewer
 * assertions ran than the cases promise.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureBuilt, runCli } from '../support/cli';
import { writeProject } from '../support/project';
import { REPO_ROOT } from '../support/release';
import { treeDigest } from '../support/treeDigest';
import { writeTally } from './support/tally';
import { MINIMAL_IMAGE_ENV, stageImageScripts } from '../support/imageEnvironment';

const CORPUS = path.join(REPO_ROOT, 'test', 'fixtures', 'bad-input');

interface Expectation {
  why: string;
  code: string;
  /** Regular expression the error message must match (after "error[CODE]: "). */
  message: string;
  /** The commands that must refuse it (default: both); `series` never reads the lock file. */
  commands?: ('series' | 'apply')[];
}

const corpus = readdirSync(CORPUS)
  .filter((name) => existsSync(path.join(CORPUS, name, 'expect.json')))
  .sort()
  .map((name) => [name, JSON.parse(readFileSync(path.join(CORPUS, name, 'expect.json'), 'utf8')) as Expectation] as const);

/** A command line that must be refused, run in a valid project (test/fixtures/upstream-series on npm). */
interface ArgumentCase {
  args: string[];
  /** Pattern of the first `error...:` line: it must name the argument. */
  message: RegExp;
}

const CLI_CASES: [string, ArgumentCase][] = [
  ['unknown command', { args: ['bogus'], message: /bogus/ }],
  ['unknown global option', { args: ['--nope', 'series'], message: /--nope/ }],
  ['unknown option of a command', { args: ['apply', '--out', 'x', '--frobnicate'], message: /--frobnicate/ }],
  ['apply without --out', { args: ['apply'], message: /--out/ }],
  ['--out without its value', { args: ['apply', '--out'], message: /--out/ }],
  ['--fuzz that is not a number', { args: ['apply', '--out', 'x', '--fuzz', 'abc'], message: /--fuzz.*abc/ }],
  ['--fuzz below zero', { args: ['apply', '--out', 'x', '--fuzz', '-1'], message: /--fuzz.*-1/ }],
  ['sync rebase without --to', { args: ['sync', 'rebase'], message: /--to/ }],
  ['edit --at without its value', { args: ['edit', '--at'], message: /--at/ }],
  ['sync check --to that is not a version', { args: ['sync', 'check', '--to', '1.2'], message: /--to.*"1\.2"/ }],
  ['apply --to outside supports', { args: ['apply', '--out', 'x', '--to', '0.7.99'], message: /0\.7\.99.*supports/ }],
  ['apply --out onto the project', { args: ['apply', '--out', '.', '--force'], message: /--out .* holds the project/ }],
];

/** A container environment the entrypoint must refuse: changes to a valid one, the variable it must name, and the message. */
interface EnvironmentCase {
  env: Record<string, string | undefined>;
  variable: string;
  message: RegExp;
}

let entrypoint: string | undefined;
/** The entrypoint staged beside the fixture's render-config.js, once. */
const ENTRYPOINT = (): string => (entrypoint ??= stageImageScripts(path.join(scratchDir(), 'opt-meshfork')));
/** EX_CONFIG (sysexits.h): the image's documented exit status for a bad environment (README, "The image"). */
const EX_CONFIG = 78;
const VALID_ENV = MINIMAL_IMAGE_ENV;

const IMAGE_ENVIRONMENT_CASES: [string, EnvironmentCase][] = [
  ['JWT secret missing', { env: { JWT_SECRET: undefined }, variable: 'JWT_SECRET', message: /is required but not set/ }],
  ['JWT secret empty', { env: { JWT_SECRET: '' }, variable: 'JWT_SECRET', message: /is required but not set/ }],
  [
    'JWT secret shorter than 32 bytes',
    { env: { JWT_SECRET: 's'.repeat(31) }, variable: 'JWT_SECRET', message: /at least 32 bytes, got 31/ },
  ],
  [
    'agent signing key equal to the JWT secret',
    { env: { AGENT_SIGN_KEY: MINIMAL_IMAGE_ENV.JWT_SECRET }, variable: 'AGENT_SIGN_KEY', message: /must differ from JWT_SECRET/ },
  ],
  ['public URL missing', { env: { MESHCENTRAL_URL: undefined }, variable: 'MESHCENTRAL_URL', message: /is required but not set/ }],
  ['public URL that is not a URL', { env: { MESHCENTRAL_URL: 'mesh.example.com' }, variable: 'MESHCENTRAL_URL', message: /must be a URL/ }],
  [
    'public URL over http',
    { env: { MESHCENTRAL_URL: 'http://mesh.example.com' }, variable: 'MESHCENTRAL_URL', message: /must be an https:\/\/ URL/ },
  ],
  [
    'public URL with a path',
    { env: { MESHCENTRAL_URL: 'https://mesh.example.com/mesh' }, variable: 'MESHCENTRAL_URL', message: /only scheme, host and port/ },
  ],
  [
    'public URL with credentials',
    {
      env: { MESHCENTRAL_URL: 'https://admin:pw@mesh.example.com' },
      variable: 'MESHCENTRAL_URL',
      message: /no path, query or credentials/,
    },
  ],
  [
    'listening port that is not a number',
    { env: { MESHCENTRAL_PORT: 'https' }, variable: 'MESHCENTRAL_PORT', message: /whole number from 1 to 65535, got "https"/ },
  ],
  ['listening port 0', { env: { MESHCENTRAL_PORT: '0' }, variable: 'MESHCENTRAL_PORT', message: /whole number from 1 to 65535, got "0"/ }],
  [
    'agent port above 65535',
    { env: { MESHCENTRAL_AGENT_PORT: '65536' }, variable: 'MESHCENTRAL_AGENT_PORT', message: /whole number from 0 to 65535, got "65536"/ },
  ],
  [
    'redirect port negative',
    { env: { MESHCENTRAL_REDIR_PORT: '-80' }, variable: 'MESHCENTRAL_REDIR_PORT', message: /whole number from 0 to 65535, got "-80"/ },
  ],
  [
    'PostgreSQL host missing (and no DB_HOST)',
    { env: { POSTGRES_HOST: undefined }, variable: 'POSTGRES_HOST', message: /is required \(or DB_HOST\) but not set/ },
  ],
  [
    'PostgreSQL user missing',
    { env: { POSTGRES_USER: undefined }, variable: 'POSTGRES_USER', message: /is required \(or DB_USER\) but not set/ },
  ],
  [
    'PostgreSQL password missing',
    { env: { POSTGRES_PASSWORD: undefined }, variable: 'POSTGRES_PASSWORD', message: /is required \(or DB_PASSWORD\) but not set/ },
  ],
  [
    'PostgreSQL database missing',
    { env: { POSTGRES_DB: undefined }, variable: 'POSTGRES_DB', message: /is required \(or DB_NAME \/ DB_DATABASE\) but not set/ },
  ],
  [
    'PostgreSQL port out of range',
    { env: { POSTGRES_PORT: '70000' }, variable: 'POSTGRES_PORT', message: /whole number from 1 to 65535, got "70000"/ },
  ],
  ['PostgreSQL port through DB_PORT, not a number', { env: { DB_PORT: '5432x' }, variable: 'POSTGRES_PORT', message: /got "5432x"/ }],
  [
    'unknown MeshCentral database',
    { env: { MESHCENTRAL_DATABASE: 'mongodb' }, variable: 'MESHCENTRAL_DATABASE', message: /one of NEDB, POSTGRES, got "mongodb"/ },
  ],
  [
    'PostgreSQL CA that holds no certificate',
    {
      env: { MESHCENTRAL_DATABASE: 'postgres', POSTGRES_SSL_CA: 'bm90IGEgY2VydGlmaWNhdGU=' },
      variable: 'POSTGRES_SSL_CA',
      message: /holds no PEM certificate \(given as base64\)/,
    },
  ],
  [
    'PostgreSQL CA file that does not exist',
    {
      env: { POSTGRES_SSL_CA: '/nonexistent/ca.pem' },
      variable: 'POSTGRES_SSL_CA',
      message: /cannot read the CA file \/nonexistent\/ca\.pem: ENOENT/,
    },
  ],
  [
    'PostgreSQL CA whose certificate does not parse',
    {
      env: { POSTGRES_SSL_CA: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----' },
      variable: 'POSTGRES_SSL_CA',
      message: /does not parse/,
    },
  ],
  [
    'server identity key with MeshCentral on nedb',
    {
      env: { MESHCENTRAL_IDENTITY_KEY: 'k'.repeat(32) },
      variable: 'MESHCENTRAL_IDENTITY_KEY',
      message: /needs MESHCENTRAL_DATABASE=postgres/,
    },
  ],
  [
    'server identity key shorter than 32 bytes',
    {
      env: { MESHCENTRAL_DATABASE: 'postgres', MESHCENTRAL_IDENTITY_KEY: 'k'.repeat(31) },
      variable: 'MESHCENTRAL_IDENTITY_KEY',
      message: /at least 32 bytes, got 31/,
    },
  ],
  [
    'JWT issuer missing without the opt-out',
    { env: { JWT_ISSUER: undefined }, variable: 'JWT_ISSUER', message: /JWT_NO_ISSUER_AUDIENCE_CHECK=true/ },
  ],
  [
    'JWT audience missing without the opt-out',
    { env: { JWT_AUDIENCE: undefined }, variable: 'JWT_AUDIENCE', message: /JWT_NO_ISSUER_AUDIENCE_CHECK=true/ },
  ],
  [
    'JWT issuer check opt-out that is not a boolean',
    { env: { JWT_NO_ISSUER_AUDIENCE_CHECK: 'sure' }, variable: 'JWT_NO_ISSUER_AUDIENCE_CHECK', message: /true or false, got "sure"/ },
  ],
  [
    'JWT algorithm outside HS256/384/512',
    { env: { JWT_ALGORITHM: 'RS256' }, variable: 'JWT_ALGORITHM', message: /one of HS256, HS384, HS512, got "RS256"/ },
  ],
  ['JWT lifetime 0', { env: { JWT_MAX_LIFETIME: '0' }, variable: 'JWT_MAX_LIFETIME', message: /whole number from 1 to 2678400/ }],
  [
    'JWT URL token lifetime over an hour',
    {
      env: { JWT_URL_TOKEN_MAX_LIFETIME: '3601' },
      variable: 'JWT_URL_TOKEN_MAX_LIFETIME',
      message: /whole number from 1 to 3600, got "3601"/,
    },
  ],
  ['JWT clock tolerance with a unit', { env: { JWT_CLOCK_TOLERANCE: '30s' }, variable: 'JWT_CLOCK_TOLERANCE', message: /got "30s"/ }],
  [
    'JWT cache over 60 seconds',
    { env: { JWT_CACHE_SECONDS: '61' }, variable: 'JWT_CACHE_SECONDS', message: /whole number from 0 to 60, got "61"/ },
  ],
  [
    'JWT tenant domain that is not a domain id',
    { env: { JWT_DOMAIN: 'tenant one' }, variable: 'JWT_DOMAIN', message: /MeshCentral domain id .*got "tenant one"/ },
  ],
  [
    'public agent downloads flag that is not a boolean',
    { env: { JWT_PUBLIC_AGENT_DOWNLOADS: 'maybe' }, variable: 'JWT_PUBLIC_AGENT_DOWNLOADS', message: /true or false, got "maybe"/ },
  ],
  [
    'session SameSite outside lax/strict/none',
    { env: { MESHCENTRAL_SESSION_SAMESITE: 'sometimes' }, variable: 'MESHCENTRAL_SESSION_SAMESITE', message: /one of LAX, STRICT, NONE/ },
  ],
  [
    'further settings that are not JSON',
    { env: { MESHCENTRAL_SETTINGS: '{port: 80}' }, variable: 'MESHCENTRAL_SETTINGS', message: /is not valid JSON/ },
  ],
  [
    'further settings that are a list',
    { env: { MESHCENTRAL_SETTINGS: '["port"]' }, variable: 'MESHCENTRAL_SETTINGS', message: /must be a JSON object/ },
  ],
  [
    'further settings overriding an owned setting',
    { env: { MESHCENTRAL_SETTINGS: '{"Port": 80}' }, variable: 'MESHCENTRAL_SETTINGS', message: /may not set "Port"/ },
  ],
  [
    'further settings overriding a JWT setting',
    { env: { MESHCENTRAL_SETTINGS: '{"JWTAUTHISSUER": "x"}' }, variable: 'MESHCENTRAL_SETTINGS', message: /may not set "JWTAUTHISSUER"/ },
  ],
];

interface EntrypointRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** What the run left in its folder (app/ holds only the stand-in meshcentral.js when nothing was written). */
  left: string[];
  started: boolean;
  configWritten: boolean;
}

/**
 * Run the real entrypoint with node on `env` (plus PATH), in a fresh folder whose app/ holds a stand-in
 * meshcentral.js that records it was started, says it serves and has the entrypoint stop it: MeshCentral itself is not needed to prove
 * that the entrypoint stopped before starting it.
 */
function runEntrypoint(env: Record<string, string | undefined>): Promise<EntrypointRun> {
  const work = mkdtempSync(path.join(scratchDir(), 'entrypoint-'));
  const app = path.join(work, 'app');
  mkdirSync(app);
  const marker = path.join(work, 'started');
  // It serves, then asks the entrypoint to stop it (SIGTERM to its parent): the entrypoint exits 0 only on a stop it asked for.
  const standIn = [
    `require('fs').writeFileSync(${JSON.stringify(marker)}, 'yes');`,
    "process.on('SIGINT', () => process.exit(0));",
    "console.log('MeshCentral HTTPS server running on port 443.');",
    "process.kill(process.ppid, 'SIGTERM');",
    'setInterval(() => {}, 1000);',
  ].join('\n');
  writeFileSync(path.join(app, 'meshcentral.js'), `${standIn}\n`);
  const clean = Object.fromEntries(
    Object.entries({ PATH: process.env.PATH, MESHFORK_APP_DIR: app, ...env }).filter((e): e is [string, string] => e[1] !== undefined),
  );
  return new Promise((resolve) => {
    execFile(process.execPath, [ENTRYPOINT()], { env: clean, cwd: work, timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      const left = [
        ...readdirSync(work).filter((n) => n !== 'app' && n !== 'started'),
        ...readdirSync(app)
          .filter((n) => n !== 'meshcentral.js')
          .map((n) => `app/${n}`),
      ];
      resolve({
        code,
        stdout,
        stderr,
        left,
        started: existsSync(marker),
        configWritten: existsSync(path.join(work, 'meshcentral-data', 'config.json')),
      });
    });
  });
}

const tally = { corpus: 0, cli: 0, image: 0, checks: 0 };

let scratch: string | undefined;
// Concurrent tests may start before beforeAll hooks finish (jest#7997): set up on first use instead.
const scratchDir = (): string => (scratch ??= mkdtempSync(path.join(os.tmpdir(), 'meshfork-bad-input-')));

afterAll(() => {
  const cases = tally.corpus + tally.cli + tally.image;
  writeTally(__filename, {
    title: 'bad input: exit 2 (the image entrypoint: 78), located message, hint, nothing written',
    counts: {
      'bad-input cases': cases,
      'corpus cases (patches, series, config, lock)': tally.corpus,
      'command-line cases': tally.cli,
      'image environment cases': tally.image,
      'bad-input assertions': tally.checks,
    },
    targets: {
      'bad-input cases': 80,
      'bad-input assertions':
        corpus.reduce((n, [, e]) => n + (e.commands ?? ['series', 'apply']).length * 6, 0) +
        CLI_CASES.length * 6 +
        IMAGE_ENVIRONMENT_CASES.length * 5 +
        3,
    },
  });
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

test('the corpus covers every kind of input the issue names', () => {
  const codes = new Set(corpus.map(([, e]) => e.code));
  for (const code of ['PATCH_INVALID', 'PATCH_BINARY', 'PATH_UNSAFE', 'SERIES_INVALID', 'CONFIG_INVALID', 'CONFIG_MISSING', 'LOCK_INVALID'])
    expect(codes).toContain(code);
  expect(corpus.length + CLI_CASES.length + IMAGE_ENVIRONMENT_CASES.length).toBeGreaterThanOrEqual(80);
});

/** Exit 2, the error code, the located message and the hint line: 4 assertions (returned). */
function expectRefusal(stderr: string, exitCode: number, code: string | undefined, message: RegExp): number {
  expect(exitCode).toBe(2);
  const line = /^error(?:\[([A-Z_]+)\])?: (.*)$/m.exec(stderr);
  expect(line?.[1]).toBe(code);
  expect(line?.[2]).toMatch(message);
  // A MeshforkError carries `hint:`; a flag-parsing error points at --help.
  expect(stderr).toMatch(/^(hint: \S|\(run with --help for usage\))/m);
  return 4;
}

describe('bad-input corpus', () => {
  it.concurrent.each(corpus)(
    '%s: exit 2 with the error naming file and line (or field), a hint, and nothing written',
    async (name, expected) => {
      ensureBuilt();
      const commands = expected.commands ?? ['series', 'apply'];
      // expect.assertions does not work in concurrent tests: count the assertions made instead.
      let made = 0;
      const dir = path.join(CORPUS, name);
      const before = treeDigest(dir);
      for (const command of commands) {
        const work = mkdtempSync(path.join(scratchDir(), `${name}-`));
        const out = path.join(work, 'out');
        const cache = path.join(work, 'cache');
        const args = command === 'series' ? ['-C', dir, 'series'] : ['-C', dir, 'apply', '--to', '1.1.55', '--out', out];
        const result = await runCli(args, { env: { NO_COLOR: '1', MESHFORK_CACHE: cache } });
        made += expectRefusal(result.stderr, result.exitCode, expected.code, new RegExp(expected.message));
        expect({ written: readdirSync(work) }).toEqual({ written: [] });
        expect(treeDigest(dir)).toBe(before);
        made += 2;
      }
      expect(made).toBe(commands.length * 6);
      tally.checks += made;
      tally.corpus += 1;
    },
  );

  // One case per error code is enough to show the --json error shape.
  const jsonSample = [
    ...new Map(corpus.filter(([, e]) => (e.commands ?? ['series']).includes('series')).map((c) => [c[1].code, c])).values(),
  ];

  it.concurrent.each(jsonSample)('%s: with --json the same error is the only thing on stdout', async (name, expected) => {
    ensureBuilt();
    const result = await runCli(['-C', path.join(CORPUS, name), '--json', 'series']);
    expect(result.exitCode).toBe(2);
    const body = JSON.parse(result.stdout) as { error: { code: string; message: string; hint?: string } };
    expect(body.error.code).toBe(expected.code);
    expect(body.error.message).toMatch(new RegExp(expected.message));
    expect(body.error.hint).toBeTruthy();
  });
});

describe('command-line arguments', () => {
  let project: string | undefined;
  const projectDir = (): string => {
    if (!project) {
      project = path.join(scratchDir(), 'cli-project');
      // A valid project: the upstream-series fixture on npm 1.1.55.
      writeProject(project, path.join(REPO_ROOT, 'test', 'fixtures', 'upstream-series'));
    }
    return project;
  };

  it.concurrent.each(CLI_CASES)('%s: exit 2 naming the argument, a hint, and nothing written', async (name, { args, message }) => {
    ensureBuilt();
    let made = 0;
    const dir = projectDir();
    const before = treeDigest(dir);
    const work = mkdtempSync(path.join(scratchDir(), 'cli-'));
    const result = await runCli(['-C', dir, ...args], { cwd: work, env: { NO_COLOR: '1', MESHFORK_CACHE: path.join(work, 'cache') } });
    const code = /^error\[([A-Z_]+)\]/m.exec(result.stderr)?.[1];
    made += expectRefusal(result.stderr, result.exitCode, code, message);
    expect({ written: readdirSync(work) }).toEqual({ written: [] });
    expect(treeDigest(dir)).toBe(before);
    made += 2;
    expect(made).toBe(6);
    tally.checks += made;
    tally.cli += 1;
  });
});

describe('image environment (the entrypoint, run with node)', () => {
  test('the valid environment the cases start from is accepted: config.json written, MeshCentral started', async () => {
    const run = await runEntrypoint(VALID_ENV);
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect({ left: run.left, configWritten: run.configWritten }).toEqual({ left: ['meshcentral-data'], configWritten: true });
    expect(run.started).toBe(true);
    tally.checks += 3;
  });

  it.concurrent.each(IMAGE_ENVIRONMENT_CASES)(
    '%s: exit 78 naming the variable, a hint, no config written, MeshCentral not started',
    async (_name, { env, variable, message }) => {
      let made = 0;
      const run = await runEntrypoint({ ...VALID_ENV, ...env });
      expect(run.code).toBe(EX_CONFIG);
      const line = /^meshfork: cannot start MeshCentral: ([A-Z_]+): (.*)$/m.exec(run.stderr);
      expect(line?.[1]).toBe(variable);
      expect(line?.[2]).toMatch(message);
      expect(run.stderr).toMatch(
        /^meshfork: set the variable \(see the image's environment table in the meshfork README\) and start the container again$/m,
      );
      expect({ written: run.left, started: run.started, stdout: run.stdout }).toEqual({ written: [], started: false, stdout: '' });
      made += 5;
      expect(made).toBe(5);
      tally.checks += made;
      tally.image += 1;
    },
  );
});
