/*
 * The check memo (src/checkReport/checkMemo.ts): a second `sync check` of unchanged inputs answers from
 * the remembered report, byte for byte what a full check prints, and any change of an input is a
 * miss. Real meshcentral releases (1.1.55, 1.1.51) in the shared cache; the CLI's phase trace
 * (MESHFORK_TRACE_PHASES) tells a remembered answer (check:recall) from a full one (check:apply).
 */
import {
  appendFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  truncateSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sha256 } from '../../src/upstream/blobStore';
import { LOCK_FILE } from '../../src/upstream/lockFile';
import { BUILD_STAMP_FILE, codeStamp, walkStamp } from '../../src/util/codeStamp';
import { ensureBuilt } from '../support/cli';
import { runTraced } from '../support/traced';
import { SHARED_CACHE } from '../support/cache';
import { writeProject } from '../support/project';

const FIXTURE_SERIES = path.join(__dirname, '..', 'fixtures', 'series-1.1.55');

let tmp: string;
let cache: string;
let project: string;

beforeAll(() => {
  ensureBuilt();
  tmp = mkdtempSync(path.join(os.tmpdir(), 'meshfork-check-memo-'));
  project = writeProject(path.join(tmp, 'project'), FIXTURE_SERIES);
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The release files come from the shared cache; the memo folder is this file's own (a symlinked copy of the cache root). */
beforeAll(() => {
  cache = path.join(tmp, 'cache');
  mkdirSync(cache);
  for (const name of readdirSync(SHARED_CACHE)) if (name !== 'checks') symlinkSync(path.join(SHARED_CACHE, name), path.join(cache, name));
});

let runs = 0;

/** One `sync check` with its phases: which releases were answered from the memo (check:recall), which were checked (check:apply). */
async function check(args: string[], dir = project) {
  const run = await runTraced(['-C', dir, 'sync', 'check', ...args], { cwd: dir, env: { MESHFORK_CACHE: cache } });
  return { ...run, exitCode: run.code, phases: run.marks.map((m) => m.phase).filter((p) => p.startsWith('check:')) };
}

const memoFile = (identity: string) => path.join(cache, 'checks', `${sha256(identity)}.json`);
const lockedIdentity = (version: string) =>
  (JSON.parse(readFileSync(path.join(project, LOCK_FILE), 'utf8')) as { upstreams: Record<string, Record<string, { identity: string }>> })
    .upstreams['npm:meshcentral'][version].identity;

describe.each([['1.1.55'], ['1.1.51']])('--to %s', (version) => {
  it('a second check answers from the memo with the same bytes and exit code as a full check, in text and JSON', async () => {
    const first = await check(['--to', version]);
    expect(first.phases).toEqual(['check:apply']);
    const again = await check(['--to', version]);
    expect(again.phases).toEqual(['check:recall']);
    const full = await check(['--to', version, '--recheck']);
    expect(full.phases).toEqual(['check:apply']);
    expect({ stdout: again.stdout, stderr: again.stderr, exitCode: again.exitCode }).toEqual({
      stdout: full.stdout,
      stderr: full.stderr,
      exitCode: full.exitCode,
    });
    expect({ stdout: first.stdout, exitCode: first.exitCode }).toEqual({ stdout: full.stdout, exitCode: full.exitCode });

    const json = await check(['--json', '--to', version]);
    expect(json.phases).toEqual(['check:recall']);
    const jsonFull = await check(['--json', '--to', version, '--recheck']);
    expect(jsonFull.phases).toEqual(['check:apply']);
    expect(json.stdout).toBe(jsonFull.stdout);
    expect(JSON.parse(json.stdout).releases[0].version).toBe(version);
  });
});

test('a memo is per release and not per project: another project with the same inputs gets the same answer', async () => {
  const other = writeProject(path.join(tmp, 'other'), FIXTURE_SERIES);
  const there = await check(['--to', '1.1.55'], other);
  expect(there.phases).toEqual(['check:recall']);
  expect(there.stdout).toBe((await check(['--to', '1.1.55', '--recheck'])).stdout);
});

test('the remembered reports differ between releases', async () => {
  const a = await check(['--to', '1.1.55']);
  const b = await check(['--to', '1.1.51']);
  expect([a.phases, b.phases]).toEqual([['check:recall'], ['check:recall']]);
  expect(a.stdout).not.toBe(b.stdout);
  expect(readFileSync(memoFile(lockedIdentity('1.1.51')), 'utf8')).toContain('"version":"1.1.51"');
});

describe('every input in the key: a change is a miss, and the answer is the full check of the new inputs', () => {
  let dir: string;
  beforeEach(async () => {
    dir = writeProject(path.join(tmp, `changed-${(runs += 1)}`), FIXTURE_SERIES);
    expect((await check(['--to', '1.1.55', '--recheck'], dir)).phases).toEqual(['check:apply']);
    expect((await check(['--to', '1.1.55'], dir)).phases).toEqual(['check:recall']);
  });

  const patchFile = () => path.join(dir, 'patches', 'list-jwt-single-sign-on-in-the-package-keywords.patch');

  it('one context byte of a patch: a miss that now reports the conflict', async () => {
    const text = readFileSync(patchFile(), 'latin1');
    expect(text).toContain('\n     "2FA",\r\n'); // package.json of 1.1.55 has CRLF line endings
    writeFileSync(patchFile(), text.replace('\n     "2FA",\r\n', '\n     "2FB",\r\n'), 'latin1');
    const run = await check(['--to', '1.1.55'], dir);
    expect(run.phases).toEqual(['check:apply']);
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toMatch(/conflict/);
    const full = await check(['--to', '1.1.55', '--recheck'], dir);
    expect({ stdout: run.stdout, exitCode: run.exitCode }).toEqual({ stdout: full.stdout, exitCode: full.exitCode });
  });

  it('a comment line in the series file', async () => {
    appendFileSync(path.join(dir, 'patches', 'series'), '# a comment\n');
    expect((await check(['--to', '1.1.55'], dir)).phases).toEqual(['check:apply']);
  });

  it('supports in the config', async () => {
    const file = path.join(dir, 'meshfork.config.json');
    writeFileSync(file, readFileSync(file, 'utf8').replace('>=1.1.0 <2', '>=1.0.0 <2'));
    expect((await check(['--to', '1.1.55'], dir)).phases).toEqual(['check:apply']);
  });

  it('--fuzz', async () => {
    expect((await check(['--to', '1.1.55', '--fuzz', '1'], dir)).phases).toEqual(['check:apply']);
    expect((await check(['--to', '1.1.55', '--fuzz', '1'], dir)).phases).toEqual(['check:recall']);
    expect((await check(['--to', '1.1.55'], dir)).phases).toEqual(['check:apply']);
  });

  it('a truncated memo file is a miss, and is written again whole', async () => {
    const file = memoFile(lockedIdentity('1.1.55'));
    truncateSync(file, 40);
    const run = await check(['--to', '1.1.55'], dir);
    expect(run.phases).toEqual(['check:apply']);
    expect(run.exitCode).toBe(0);
    expect(JSON.parse(readFileSync(file, 'utf8')).release.version).toBe('1.1.55');
    expect((await check(['--to', '1.1.55'], dir)).phases).toEqual(['check:recall']);
  });
});

test('--to outside supports is not answered from the memo: the usual VERSION_OUT_OF_RANGE, exit 2', async () => {
  const run = await check(['--to', '0.7.99']);
  expect(run.exitCode).toBe(2);
  expect(run.stderr).toMatch(/^error\[VERSION_OUT_OF_RANGE\]/);
  expect(run.phases).toEqual([]);
});

describe('the code stamp', () => {
  let code: string;
  beforeEach(() => {
    code = mkdtempSync(path.join(tmp, 'code-'));
    mkdirSync(path.join(code, 'engine'));
    writeFileSync(path.join(code, 'engine', 'apply.js'), 'module.exports = 1;\n');
    writeFileSync(path.join(code, 'main.js'), 'require("./engine/apply");\n');
  });

  it('changes when a file of the code is rewritten, added or removed', () => {
    const before = walkStamp(code);
    expect(walkStamp(code)).toBe(before);
    utimesSync(path.join(code, 'engine', 'apply.js'), new Date(), new Date(Date.now() + 5000));
    const touched = walkStamp(code);
    expect(touched).not.toBe(before);
    writeFileSync(path.join(code, 'engine', 'merge.js'), '');
    const added = walkStamp(code);
    expect(added).not.toBe(touched);
    rmSync(path.join(code, 'engine', 'merge.js'));
    expect(walkStamp(code)).toBe(touched);
  });

  it("is the build's stamp file when there is one, else the walk", () => {
    expect(codeStamp(code)).toBe(walkStamp(code));
    writeFileSync(path.join(code, BUILD_STAMP_FILE), 'abc123\n');
    expect(codeStamp(code)).toBe('abc123');
    expect(walkStamp(code)).not.toBe('abc123');
  });

  it('is older than cli/main.js after a bare tsc: then the walk, not the stale stamp', () => {
    mkdirSync(path.join(code, 'cli'));
    writeFileSync(path.join(code, BUILD_STAMP_FILE), 'abc123\n');
    utimesSync(path.join(code, BUILD_STAMP_FILE), new Date(1_000_000), new Date(1_000_000));
    writeFileSync(path.join(code, 'cli', 'main.js'), '');
    expect(codeStamp(code)).toBe(walkStamp(code));
  });

  it("dist's stamp is the walk of dist (the build wrote it after the code)", () => {
    const dist = path.join(__dirname, '..', '..', 'dist');
    expect(codeStamp(dist)).toBe(walkStamp(dist));
  });
});
