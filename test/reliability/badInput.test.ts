/*
 * Bad input: every case gives exit 2, an error that names the file and line (or the config or lock
 * field, or the command-line argument), a hint line, and writes nothing.
 *   - the corpus, test/fixtures/bad-input (patches, series, config, lock): each folder is a small
 *     project with one defect and an expect.json (code, message pattern, and the commands to run,
 *     default `series` and `apply`); run through the built CLI, the folder's bytes stay the same and
 *     neither DIR nor the upstream cache is created;
 *   - command-line arguments (CLI_CASES below), in a valid project;
 *   - image environment cases (IMAGE_ENVIRONMENT_CASES below) come with `meshfork image` (issue 10).
 * Every case counts the assertions it made; the tally fails the run under 80 cases or when fewer
 * assertions ran than the cases promise.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureBuilt, runCli } from '../support/cli';
import { writeProject } from '../support/project';
import { REPO_ROOT } from '../support/release';
import { treeDigest } from '../support/treeDigest';
import { writeTally } from './support/tally';

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

/**
 * `meshfork image` environment cases (a missing or unusable docker, a bad base image, ...): issue 10
 * adds them here, in the same shape as CLI_CASES (they run in a valid project and must exit 2 with a
 * located message, a hint and nothing written).
 */
const IMAGE_ENVIRONMENT_CASES: [string, ArgumentCase][] = [];

const tally = { corpus: 0, cli: 0, image: 0, checks: 0 };

let scratch: string | undefined;
// Concurrent tests may start before beforeAll hooks finish (jest#7997): set up on first use instead.
const scratchDir = (): string => (scratch ??= mkdtempSync(path.join(os.tmpdir(), 'meshfork-bad-input-')));

afterAll(() => {
  const cases = tally.corpus + tally.cli + tally.image;
  writeTally(__filename, {
    title: 'bad input: exit 2, located message, hint, nothing written',
    counts: { 'bad-input cases': cases, 'corpus cases (patches, series, config, lock)': tally.corpus, 'command-line cases': tally.cli, 'image environment cases': tally.image, 'bad-input assertions': tally.checks },
    targets: { 'bad-input cases': 80, 'bad-input assertions': corpus.reduce((n, [, e]) => n + (e.commands ?? ['series', 'apply']).length * 6, 0) + CLI_CASES.length * 6 },
  });
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

test('the corpus covers every kind of input the issue names', () => {
  const codes = new Set(corpus.map(([, e]) => e.code));
  for (const code of ['PATCH_INVALID', 'PATCH_BINARY', 'PATH_UNSAFE', 'SERIES_INVALID', 'CONFIG_INVALID', 'CONFIG_MISSING', 'LOCK_INVALID']) expect(codes).toContain(code);
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
  it.concurrent.each(corpus)('%s: exit 2 with the error naming file and line (or field), a hint, and nothing written', async (name, expected) => {
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
  });

  // One case per error code is enough to show the --json error shape.
  const jsonSample = [...new Map(corpus.filter(([, e]) => (e.commands ?? ['series']).includes('series')).map((c) => [c[1].code, c])).values()];

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

  it.concurrent.each([...CLI_CASES, ...IMAGE_ENVIRONMENT_CASES])('%s: exit 2 naming the argument, a hint, and nothing written', async (name, { args, message }) => {
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
    if (CLI_CASES.some(([n]) => n === name)) tally.cli += 1;
    else tally.image += 1;
  });
});
