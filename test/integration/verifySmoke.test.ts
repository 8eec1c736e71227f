/*
 * `meshfork verify --smoke` as the tool runs it, with the frozen JWT series and tiny smoke scripts
 * (test/fixtures/smoke-scripts) in place of the payload's: the script's exit status and stderr become
 * the smoke check's result (README "The smoke script"); no script configured, or one that cannot be
 * read, is exit 2 before anything is built. The payload's own script passing is
 * test/payload/e2e/verify-smoke.test.ts.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { verify } from '../../src/commands/verify';
import type { VerifyReport } from '../../src/verify/types';
import { copyJwtSeriesProject } from '../support/jwtSeriesFixture';
import { REPO_ROOT, SHARED_CACHE } from '../support/release';

/** The e2e tests' node_modules cache (test/support/meshcentral.ts): one npm install for all. */
const MODULE_CACHE = path.join(REPO_ROOT, '.cache', 'meshcentral-modules');
const SCRIPTS = path.join(__dirname, '..', 'fixtures', 'smoke-scripts');
let tmp: string;
let count = 0;

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'meshfork-verify-smoke-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A copy of the fixture project whose config's "smoke" is `smoke` (removed when undefined), with the fixture scripts in smoke/. */
function project(smoke: { script: string } | undefined): string {
  const dir = path.join(tmp, `project-${++count}`);
  copyJwtSeriesProject(dir);
  cpSync(SCRIPTS, path.join(dir, 'smoke'), { recursive: true });
  const file = path.join(dir, 'meshfork.config.json');
  const config = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  if (smoke) config.smoke = smoke;
  else delete config.smoke;
  writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`);
  return dir;
}

function smoke(cwd: string, env: NodeJS.ProcessEnv = { PATH: process.env.PATH }): Promise<VerifyReport> {
  return verify({ cwd, smoke: true, env, cacheDir: SHARED_CACHE, modulesDir: MODULE_CACHE });
}
const smokeCheck = (report: VerifyReport) => report.checks.find((c) => c.id === 'smoke');

test("a script whose login fails: the check fails (exit 1) with the script's stderr lines, after it saw the server it was given", async () => {
  const report = await smoke(project({ script: 'smoke/refuses.js' }));
  expect(smokeCheck(report)).toEqual({
    id: 'smoke',
    title: "the patched MeshCentral starts and the project's smoke script (smoke.script) passes against it",
    status: 'fail',
    kind: 'broken',
    problems: [
      { message: '127.0.0.1 answered HTTP 200; app dir has meshcentral.js: true; log shows the server running: true' },
      { message: 'the fixture refuses the login on purpose', hint: 'nothing to fix, it is a fixture' },
    ],
  });
  expect(report.exitCode).toBe(1);
}, 600_000);

test('no smoke script configured: exit 2 saying so, naming the field', async () => {
  const report = await smoke(project(undefined));
  expect(smokeCheck(report)).toMatchObject({
    status: 'fail',
    kind: 'input',
    problems: [
      {
        file: 'meshfork.config.json',
        message: 'no smoke script configured: verify --smoke runs the project\'s own check ("smoke.script")',
        hint: 'add "smoke": { "script": "image/smoke-login.js" } to meshfork.config.json; see README "The smoke script"',
      },
    ],
  });
  expect(report.exitCode).toBe(2);
});

test('a smoke script that is not there: SMOKE_SCRIPT_MISSING (exit 2) naming the field and the file', async () => {
  const dir = project({ script: 'smoke/gone.js' });
  const report = await smoke(dir);
  expect(smokeCheck(report)).toEqual({
    id: 'smoke',
    title: expect.any(String),
    status: 'fail',
    kind: 'input',
    problems: [
      {
        file: 'meshfork.config.json',
        message: `smoke.script: cannot read ${path.join(dir, 'smoke', 'gone.js')}`,
        hint: 'add the project\'s smoke script at smoke/gone.js, or point "smoke.script" in meshfork.config.json at it',
      },
    ],
  });
  expect(report.exitCode).toBe(2);
  const { smokeScriptOf } = await import('../../src/verify/smoke/runSmoke');
  const { loadConfig } = await import('../../src/config/load');
  await expect(smokeScriptOf(await loadConfig(dir))).rejects.toMatchObject({ code: 'SMOKE_SCRIPT_MISSING' });
});

test('the settings phase refusing (exit 2, a hint line): exit 2 with its message, nothing started; its stdout must be the settings object', async () => {
  const dir = project({ script: 'smoke/needs-env.js' });
  const refused = await smoke(dir);
  expect(smokeCheck(refused)?.problems).toEqual([
    { message: 'verify --smoke needs SMOKE_FIXTURE_TOKEN in the environment', hint: 'set SMOKE_FIXTURE_TOKEN' },
  ]);
  expect(refused.exitCode).toBe(2);
  const malformed = await smoke(dir, { PATH: process.env.PATH, SMOKE_FIXTURE_TOKEN: 'x' });
  expect(smokeCheck(malformed)?.problems).toEqual([{ file: 'smoke/needs-env.js', message: 'settings: "settings" is not an object' }]);
  expect(malformed.exitCode).toBe(2);
});
