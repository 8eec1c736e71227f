/*
 * The CLI as users meet it: the built bin/meshfork run as a child process. Help with examples for
 * every command, suggestions for typos, exit codes, --version, --json purity, quiet mode, -C/--config,
 * and colour only when asked for (never with NO_COLOR).
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureBuilt, runCli } from '../support/cli';
import { REPO_ROOT } from '../support/release';

const ESC = '\u001b[';
const FIXTURE_SERIES = path.join(REPO_ROOT, 'test', 'fixtures', 'series-1.1.55');
const CONFIG = { upstream: { source: 'npm', package: 'meshcentral' }, base: '1.1.55', supports: '>=1.1.0 <2' };

/** Command names listed in the "Commands:" section of a help text (without "help"). */
function listedCommands(help: string): string[] {
  const section = help.split(/^Commands:$/m)[1]?.split(/^\S/m)[0] ?? '';
  return [...section.matchAll(/^ {2}([a-z][a-z-]*)/gm)].map((m) => m[1]).filter((name) => name !== 'help');
}

describe('meshfork CLI', () => {
  let scratch: string;
  /** A valid project: the 1.1.55 fixture series with a config. */
  let project: string;

  beforeAll(() => {
    ensureBuilt();
    scratch = mkdtempSync(path.join(os.tmpdir(), 'meshfork-cli-'));
    project = path.join(scratch, 'project');
    mkdirSync(project);
    cpSync(FIXTURE_SERIES, path.join(project, 'patches'), { recursive: true });
    rmSync(path.join(project, 'patches', 'README.md'));
    writeFileSync(path.join(project, 'meshfork.config.json'), `${JSON.stringify(CONFIG, null, 2)}\n`);
  });

  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  describe('help', () => {
    it('--help prints usage, the global options, the commands and examples, exit 0', async () => {
      const result = await runCli(['--help']);
      expect(result.exitCode).toBe(0);
      expect(result.stdout).toMatch(/^Usage: meshfork \[options\] \[command\]/);
      for (const option of ['-C, --cwd <dir>', '--config <file>', '--json', '-q, --quiet', '-v, --verbose', '-V, --version'])
        expect(result.stdout).toContain(option);
      expect(listedCommands(result.stdout)).toEqual(expect.arrayContaining(['series', 'apply']));
      expect(result.stdout).toMatch(/^Examples:\n {2}\$ meshfork /m);
    });

    it('every command and subcommand has help with at least one example', async () => {
      const top = listedCommands((await runCli(['--help'])).stdout);
      const missing: string[] = [];
      const visit = async (words: string[]) => {
        const result = await runCli([...words, '--help']);
        if (result.exitCode !== 0 || !/^Examples:\n {2}\$ meshfork \S/m.test(result.stdout))
          missing.push(`${words.join(' ')} (exit ${result.exitCode})`);
        for (const sub of listedCommands(result.stdout)) await visit([...words, sub]);
      };
      for (const name of top) await visit([name]);
      expect(missing).toEqual([]);
      expect(top.length).toBeGreaterThanOrEqual(2);
    });

    it('`help <cmd>` works like `<cmd> --help`', async () => {
      const viaHelp = await runCli(['help', 'series']);
      const viaFlag = await runCli(['series', '--help']);
      expect(viaHelp.exitCode).toBe(0);
      expect(viaHelp.stdout).toBe(viaFlag.stdout);
      expect(viaFlag.stdout).toContain('meshfork --json series');
    });

    it('no command: usage on stderr, exit 2', async () => {
      const result = await runCli([]);
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toMatch(/^Usage: meshfork/);
      expect(result.stdout).toBe('');
    });
  });

  describe('usage errors exit 2 with a suggestion', () => {
    it.each([
      [['seris'], /unknown command 'seris'[\s\S]*Did you mean series\?/],
      [['aply', '--out', 'x'], /unknown command 'aply'[\s\S]*Did you mean apply\?/],
      [['sync', 'chek'], /unknown command 'chek'[\s\S]*Did you mean check\?/],
      [['series', '--verbos'], /unknown option '--verbos'[\s\S]*Did you mean --verbose\?/],
      [['--jsn', 'series'], /unknown option '--jsn'[\s\S]*Did you mean --json\?/],
      [
        ['series', 'extra'],
        /^error\[USAGE\]: too many arguments for 'series'\. Expected 0 arguments but got 1\.\nhint: run `meshfork series --help` for the options\n$/,
      ],
      [['sync', 'check', '1.1.56'], /^error\[USAGE\]: too many arguments for 'check'[\s\S]*hint: run `meshfork sync check --help`/],
    ])('meshfork %j', async (args, message) => {
      const result = await runCli(args, { cwd: project });
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stdout).toBe('');
    });

    it('a missing required option and conflicting options exit 2', async () => {
      const missing = await runCli(['apply'], { cwd: project });
      expect(missing.exitCode).toBe(2);
      expect(missing.stderr).toMatch(/required option '--out <dir>' not specified/);
      const conflicting = await runCli(['-q', '-v', 'series'], { cwd: project });
      expect(conflicting.exitCode).toBe(2);
      expect(conflicting.stderr).toMatch(/cannot be used with/);
    });

    it('a usage error with --json puts only a JSON error on stdout', async () => {
      const result = await runCli(['--json', 'seris'], { cwd: project });
      expect(result.exitCode).toBe(2);
      // The same error and hint as on stderr (issue 11: usage errors carry their hint in --json too).
      expect(JSON.parse(result.stdout)).toEqual({
        error: { code: 'USAGE', message: "unknown command 'seris'", hint: 'Did you mean series? Or run `meshfork --help` for the options' },
      });
    });
  });

  it('--version and -V print the package version, exit 0', async () => {
    const { version } = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const result = await runCli([flag]);
      expect(result.exitCode).toBe(0);
      expect(result.stdout).toBe(`${version}\n`);
    }
  });

  describe('running a command', () => {
    it('series in the project folder lists the patches in order, exit 0', async () => {
      const result = await runCli(['series'], { cwd: project });
      expect(result.stderr).toBe('');
      expect(result.exitCode).toBe(0);
      expect(result.stdout).toMatch(
        /^3 patch\(es\) in patches\/series for base 1\.1\.55, parsed; not applied to upstream \(run `meshfork verify` or `meshfork sync check`\):/,
      );
      expect(
        result.stdout
          .trim()
          .split('\n')
          .slice(1)
          .map((l) => l.trim().split(/\s+/)[1]),
      ).toEqual([
        'add-the-jwt-single-sign-on-module.patch',
        'serve-jwt-logins-from-the-web-server.patch',
        'list-jwt-single-sign-on-in-the-package-keywords.patch',
      ]);
    });

    it('-C DIR and --config FILE select the project from anywhere', async () => {
      const viaC = await runCli(['-C', project, 'series'], { cwd: scratch });
      expect(viaC.exitCode).toBe(0);
      expect(viaC.stdout).toBe((await runCli(['series'], { cwd: project })).stdout);
      const elsewhere = path.join(scratch, 'configs');
      mkdirSync(elsewhere, { recursive: true });
      writeFileSync(path.join(elsewhere, 'other.json'), JSON.stringify({ ...CONFIG, patches: '../project/patches' }));
      const viaConfig = await runCli(['--config', 'configs/other.json', 'series'], { cwd: scratch });
      expect(viaConfig.exitCode).toBe(0);
      expect(viaConfig.stdout).toMatch(/^3 patch\(es\)/);
    });

    it('--json puts exactly one JSON document on stdout and nothing on stderr', async () => {
      for (const args of [
        ['--json', 'series'],
        ['series', '--json'],
      ]) {
        const result = await runCli(args, { cwd: project });
        expect(result.exitCode).toBe(0);
        expect(result.stderr).toBe('');
        const body = JSON.parse(result.stdout) as {
          schemaVersion: number;
          base: string;
          patches: { name: string; upstreamStatus?: string; files: { path: string }[] }[];
        };
        expect(body.schemaVersion).toBe(1);
        expect(body.base).toBe('1.1.55');
        expect(body.patches.map((p) => p.name)).toHaveLength(3);
        expect(body.patches[1].files.map((f) => f.path)).toEqual(['webserver.js']);
      }
    });

    it('--json errors: the error object on stdout, exit code kept', async () => {
      const result = await runCli(['--json', 'series'], { cwd: scratch });
      expect(result.exitCode).toBe(2);
      const body = JSON.parse(result.stdout) as { error: { code: string; message: string; hint: string } };
      expect(body.error.code).toBe('CONFIG_MISSING');
      expect(body.error.message).toContain(path.join(scratch, 'meshfork.config.json'));
      expect(body.error.hint).toMatch(/-C DIR/);
    });

    it('-q prints nothing on success; -v adds detail', async () => {
      const quiet = await runCli(['-q', 'series'], { cwd: project });
      expect(quiet).toEqual({ exitCode: 0, stdout: '', stderr: '' });
      const verbose = await runCli(['-v', 'series'], { cwd: project });
      expect(verbose.stdout).toMatch(/modify webserver\.js \(2 hunks\)/);
      expect(verbose.stdout).toMatch(/Upstream-Status: Inappropriate \[test fixture\]; Meshfork-Base: 1\.1\.55/);
    });
  });

  describe('colour', () => {
    const errorRun = (env: Record<string, string | undefined>) => runCli(['series'], { cwd: scratch, env });

    it('none when not a terminal', async () => {
      const result = await errorRun({});
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toMatch(/^error\[CONFIG_MISSING\]: /);
      expect(result.stderr).not.toContain(ESC);
    });

    it('FORCE_COLOR turns it on (so the NO_COLOR check below can fail), NO_COLOR wins over it', async () => {
      const forced = await errorRun({ FORCE_COLOR: '1' });
      expect(forced.stderr).toContain(`${ESC}31merror[CONFIG_MISSING]${ESC}39m`);
      const noColor = await errorRun({ FORCE_COLOR: '1', NO_COLOR: '1' });
      expect(noColor.exitCode).toBe(2);
      expect(noColor.stderr).not.toContain(ESC);
      expect(noColor.stderr).toMatch(/^error\[CONFIG_MISSING\]: /);
    });

    it('--json output never carries escape codes', async () => {
      const result = await runCli(['--json', 'series'], { cwd: project, env: { FORCE_COLOR: '1' } });
      expect(result.stdout).not.toContain(ESC);
      expect(() => JSON.parse(result.stdout)).not.toThrow();
    });
  });
});
