/*
 * The GitHub workflows in .github/workflows: valid by a real workflow-schema validator
 * (@action-validator/core, the validator behind action-validator, run offline from npm), and every
 * `meshfork` command line in them and in the scripts they run parses with the current CLI
 * (commander's parse, the command is never run). GitHub itself is not involved.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { validateWorkflow } from '@action-validator/core';
import { parse as parseYaml } from 'yaml';
import { buildProgram } from '../../src/cli/program';
import { REPO_ROOT } from '../support/release';

const WORKFLOWS = path.join(REPO_ROOT, '.github', 'workflows');
const SCRIPTS = path.join(REPO_ROOT, '.github', 'scripts');

/**
 * Commands the workflows use that other branches add, with the flags their issue agreed. When a
 * command here exists in the CLI (after the merge), the real parser checks it and this entry is moot:
 * the lead removes it. `build` comes from issue 10 (flags as on its branch at 20:40).
 */
const COMMANDS_FROM_OTHER_BRANCHES: Record<string, string[]> = {};

const workflowFiles = readdirSync(WORKFLOWS)
  .filter((f) => /\.ya?ml$/.test(f))
  .sort();

/** Shell words of one command line, up to the first redirection, pipe or list operator. */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === "'" || c === '"') {
      const end = line.indexOf(c, i + 1);
      if (end === -1) throw new Error(`unbalanced quote in: ${line}`);
      word += line.slice(i + 1, end);
      inWord = true;
      i = end;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else if ('>|;&<'.includes(c) || (c === '2' && line[i + 1] === '>' && !inWord)) {
      break;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/** Every meshfork invocation in a shell text: its arguments after `meshfork` (or `$MESHFORK`). */
export function meshforkCommands(shell: string): string[][] {
  const lines = shell.replace(/\\\n\s*/g, ' ').split('\n');
  const found: string[][] = [];
  for (const line of lines) {
    if (/^\s*#/.test(line)) continue;
    const match = /(?:^|[\s(])(?:npx (?:--no-install )?meshfork|\$MESHFORK|\$\{MESHFORK\}) (.*)$/.exec(line);
    if (match) found.push(shellWords(match[1]));
  }
  return found;
}

function runBlocks(file: string): string[] {
  const workflow = parseYaml(readFileSync(path.join(WORKFLOWS, file), 'utf8')) as { jobs: Record<string, { steps?: { run?: string }[] }> };
  return Object.values(workflow.jobs).flatMap((job) =>
    (job.steps ?? []).map((s) => s.run).filter((r): r is string => typeof r === 'string'),
  );
}

/** Parse like `meshfork ARGS` without running: throws commander's error on an unknown command or flag. */
function parseWithCli(args: string[]): void {
  const program = buildProgram('0.0.0-test', () => undefined);
  program.configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  const known = new Set(program.commands.map((c) => c.name()));
  const command = args.find((a) => !a.startsWith('-'));
  if (command && !known.has(command) && COMMANDS_FROM_OTHER_BRANCHES[command]) {
    const allowed = new Set([...COMMANDS_FROM_OTHER_BRANCHES[command], '--json', '-q', '--quiet', '-v', '--verbose']);
    const unknown = args.filter((a) => a.startsWith('-') && !allowed.has(a.split('=')[0]));
    if (unknown.length) throw new Error(`meshfork ${command}: flags ${unknown.join(', ')} are not in its agreed list`);
    return;
  }
  program.parse(['node', 'meshfork', ...args]);
}

test('the workflows are upstream-sync.yml, ci.yml and release.yml', () => {
  expect(workflowFiles).toEqual(['ci.yml', 'release.yml', 'upstream-sync.yml']);
});

test.each(workflowFiles)('%s is a valid GitHub workflow (action-validator)', (file) => {
  const result = validateWorkflow(readFileSync(path.join(WORKFLOWS, file), 'utf8'));
  expect(result.errors).toEqual([]);
});

test('the validator does reject a broken workflow (a misspelled key, a job without runs-on)', () => {
  const broken = readFileSync(path.join(WORKFLOWS, 'ci.yml'), 'utf8').replace(
    '    runs-on: ubuntu-latest\n',
    '    run-on: ubuntu-latest\n',
  );
  expect(broken).toContain('run-on:');
  expect(validateWorkflow(broken).errors.length).toBeGreaterThan(0);
});

test('each workflow runs what the issue asks', () => {
  // ci.yml runs .ci/run, the same script CI runs here: npm ci, then meshfork verify, then npm test.
  expect(runBlocks('ci.yml').join('\n')).toContain('bash .ci/run');
  const ciRun = readFileSync(path.join(REPO_ROOT, '.ci', 'run'), 'utf8');
  expect(ciRun.indexOf('npx meshfork verify')).toBeGreaterThan(ciRun.indexOf('npm ci'));
  expect(ciRun.indexOf('npm test')).toBeGreaterThan(ciRun.indexOf('npx meshfork verify'));
  const sync = parseYaml(readFileSync(path.join(WORKFLOWS, 'upstream-sync.yml'), 'utf8')) as { on: Record<string, unknown> };
  expect(Object.keys(sync.on).sort()).toEqual(['schedule', 'workflow_dispatch']);
  expect(runBlocks('upstream-sync.yml')).toContain('bash .github/scripts/upstream-sync.sh');
  const script = readFileSync(path.join(SCRIPTS, 'upstream-sync.sh'), 'utf8');
  const commands = meshforkCommands(script).map((a) => a.join(' '));
  expect(commands).toEqual([
    'sync check --all --format markdown',
    '--json sync check --all',
    'sync rebase --to $target --non-interactive --commit --branch $branch --summary $OUT/sync-summary.md',
    'sync push --remote $REMOTE --branch $branch',
  ]);
  const release = parseYaml(readFileSync(path.join(WORKFLOWS, 'release.yml'), 'utf8')) as { on: { push: { tags: string[] } } };
  expect(release.on.push.tags).toEqual(['v*']);
  // release.yml runs the release steps (built, smoked, pushed by digest, latest last: test/e2e/image-release.test.ts),
  // logged in to the registry the image goes to.
  const releaseRuns = runBlocks('release.yml').join('\n');
  expect(releaseRuns).toContain('bash .github/scripts/release-steps.sh "${IMAGE,,}" "${GITHUB_REF_NAME#v}"');
  expect(releaseRuns).toContain('docker login "${IMAGE%%/*}"');
  const steps = meshforkCommands(readFileSync(path.join(SCRIPTS, 'release-steps.sh'), 'utf8')).map((a) => a.join(' '));
  expect(steps).toEqual([
    '--json build --frozen-lock --tag $repository:$version ${build_args[@]}',
    '--json build --frozen-lock --push --tag $repository:$version ${build_args[@]}',
  ]);
});

test('upstream-sync.yml opens pull requests with a token that starts CI (App, then MESHFORK_SYNC_TOKEN), GITHUB_TOKEN last', () => {
  // GitHub starts no workflow for events made with GITHUB_TOKEN: a pull request opened with it gets no ci.yml run.
  const sync = parseYaml(readFileSync(path.join(WORKFLOWS, 'upstream-sync.yml'), 'utf8')) as {
    jobs: { sync: { steps: { id?: string; uses?: string; if?: string; with?: Record<string, string>; env?: Record<string, string> }[] } };
  };
  const steps = sync.jobs.sync.steps;
  const token = '${{ steps.app-token.outputs.token || secrets.MESHFORK_SYNC_TOKEN || secrets.GITHUB_TOKEN }}';
  expect(steps[0]).toMatchObject({ id: 'app-token', if: "vars.MESHFORK_SYNC_APP_ID != ''", uses: 'actions/create-github-app-token@v1' });
  expect(steps.find((s) => s.uses === 'actions/checkout@v4')?.with?.token).toBe(token);
  const run = steps.find((s) => s.env?.GH_TOKEN !== undefined);
  expect(run?.env?.GH_TOKEN).toBe(token);
  expect(run?.env?.SYNC_TOKEN_SOURCE).toBe(
    "${{ steps.app-token.outputs.token && 'app' || secrets.MESHFORK_SYNC_TOKEN && 'MESHFORK_SYNC_TOKEN' || 'GITHUB_TOKEN' }}",
  );
  const guide = readFileSync(path.join(REPO_ROOT, 'UPSTREAM_SYNC.md'), 'utf8').replace(/\s+/g, ' ');
  expect(guide).toContain('Allow GitHub Actions to create and approve pull requests');
  expect(guide).toContain('MESHFORK_SYNC_TOKEN');
});

const allCommands = [
  ...workflowFiles.flatMap((file) => runBlocks(file).flatMap((run) => meshforkCommands(run).map((args) => ({ where: file, args })))),
  ...readdirSync(SCRIPTS)
    .filter((f) => f.endsWith('.sh'))
    .flatMap((file) => meshforkCommands(readFileSync(path.join(SCRIPTS, file), 'utf8')).map((args) => ({ where: file, args }))),
];

test('the workflows and their scripts call meshfork at all (the extraction finds the lines)', () => {
  expect(allCommands.length).toBeGreaterThanOrEqual(6);
});

test.each(allCommands.map((c) => [c.where, c.args.join(' ')] as const))('%s: `meshfork %s` parses with the current CLI', (_where, line) => {
  // A bash array expansion ("${build_args[@]}") is flags the script takes from its caller: not parsed here.
  expect(() => parseWithCli(shellWords(line).filter((word) => !/^\$\{\w+\[@\]\}$/.test(word)))).not.toThrow();
});

test('the parse check does fail: an unknown flag, an unknown command, a flag build did not agree to', () => {
  expect(() => parseWithCli(['sync', 'check', '--everything'])).toThrow(/unknown option '--everything'/);
  expect(() => parseWithCli(['synk', 'check'])).toThrow(/unknown command 'synk'/);
  expect(() => parseWithCli(['build', '--push', '--platform', 'arm64'])).toThrow(/--platform/);
});
