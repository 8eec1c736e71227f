/*
 * The JWT patch series as files: valid for meshfork, honest trailers, and applying to the real
 * meshcentral release of the live base (exactly) and the second release (offsets at most, no fuzz) with meshfork's engine, git apply and
 * GNU patch -F0, all three producing the same bytes. The module itself is files/jwt-auth.js (config
 * "files"): meshfork creates it before the patches; for git apply and GNU patch the test copies it in.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { applySeries, MemoryTree } from '../../../src/engine';
import { loadSeries } from '../../../src/series/load';
import { appliedPatches, trailerValue } from '../../../src/series/types';
import { REPO_ROOT } from '../../support/release';
import { LIVE_BASE, SECOND_RELEASE } from '../support/liveBase';
import { liveReleaseDir, liveReleaseFile } from '../support/liveRelease';

const PATCHES = path.join(REPO_ROOT, 'patches');
/** Hook patches that fix upstream bugs (and so could go upstream): their Upstream-Status is Pending. */
const UPSTREAM_PENDING = [
  'let-only-real-agent-websockets-skip-the-security-checks.patch',
  'refuse-upload-forms-without-a-file-part-instead-of-crashing.patch',
];
const FILES = { dir: path.join(REPO_ROOT, 'files'), name: 'files/' };

function seriesFiles(): string[] {
  return readFileSync(path.join(PATCHES, 'series'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}

/** A writable copy of a release in a temp dir, with files/ copied in; removed by the caller. */
function releaseCopy(version: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `meshfork-series-${version}-`));
  execFileSync('cp', ['-a', `${liveReleaseDir(version)}/.`, dir]);
  execFileSync('cp', ['-a', `${FILES.dir}/.`, dir]);
  return dir;
}

test('the series loads and every patch carries an honest Upstream-Status and Meshfork-Base equal to the live base', async () => {
  const series = await loadSeries(PATCHES, FILES);
  expect(series.patches.map((p) => p.name)).toEqual(seriesFiles());
  expect(series.files?.operations.map((op) => [op.kind, op.kind === 'create' && op.path])).toEqual([['create', 'jwt-auth.js']]);
  expect(series.patches.length).toBeGreaterThanOrEqual(4);
  expect(series.patches.length).toBeLessThanOrEqual(8);
  for (const patch of series.patches) {
    // Inappropriate for the JWT hooks; Pending for upstream bugs the series fixes on its way (issue 20: agent-URL skip, upload crash).
    const status = UPSTREAM_PENDING.includes(patch.name) ? /^Pending$/ : /^Inappropriate \[.{10,}\]$/;
    expect(trailerValue(patch.header, 'Upstream-Status')).toMatch(status);
    expect(trailerValue(patch.header, 'Meshfork-Base')).toBe(LIVE_BASE);
    expect(patch.header.description.length).toBeGreaterThan(100);
  }
});

test('package.json pins pg to exactly the version MeshCentral installs for PostgreSQL on the live base', () => {
  const moduleSpec = /modules\.push\('pg@([0-9.]+)'\)/.exec(liveReleaseFile(LIVE_BASE, 'meshcentral.js'));
  expect(moduleSpec?.[1]).toMatch(/^\d+\.\d+\.\d+$/);
  const dir = releaseCopy(LIVE_BASE);
  try {
    execFileSync('git', ['apply', '--whitespace=nowarn', ...seriesFiles().map((p) => path.join(PATCHES, p))], { cwd: dir });
    const deps = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).dependencies;
    expect(deps.pg).toBe(moduleSpec?.[1]);
    expect(deps.jsonwebtoken).toMatch(/^\d+\.\d+\.\d+$/); // exact, like every MeshCentral dependency
    expect(readFileSync(path.join(dir, 'meshcentral.js'), 'latin1')).toContain(
      `modules.push('jsonwebtoken@${deps.jsonwebtoken}'); modules.push('pg@${deps.pg}');`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

describe.each([
  [LIVE_BASE, ['clean']],
  [SECOND_RELEASE, SECOND_RELEASE === LIVE_BASE ? ['clean'] : ['clean', 'offset']],
])('meshcentral@%s', (version, expectedStatus) => {
  test(`meshfork's engine applies the series strictly (status ${expectedStatus.join(' or ')}), byte-identical to git apply and GNU patch -F0`, async () => {
    const series = await loadSeries(PATCHES, FILES);
    const base = liveReleaseDir(version);
    const tree = new MemoryTree(async (file) => {
      try {
        return readFileSync(path.join(base, file)).toString('latin1');
      } catch {
        return undefined;
      }
    });
    const outcome = await applySeries(appliedPatches(series), tree, { fuzz: 0 });
    expect(expectedStatus).toContain(outcome.status);
    for (const patch of outcome.patches)
      for (const file of patch.files) for (const hunk of file.hunks) expect(['exact', 'offset']).toContain(hunk.status);

    const viaGit = releaseCopy(version);
    const viaPatch = releaseCopy(version);
    try {
      const gitLog = execFileSync('git', ['apply', '-v', '--whitespace=nowarn', ...seriesFiles().map((p) => path.join(PATCHES, p))], {
        cwd: viaGit,
        stdio: 'pipe',
      });
      expect(gitLog.toString()).not.toMatch(/fuzz/i);
      for (const p of seriesFiles()) {
        const out = execFileSync('patch', ['-p1', '-F0', '--no-backup-if-mismatch', '-i', path.join(PATCHES, p)], {
          cwd: viaPatch,
        }).toString();
        expect(out).not.toMatch(/fuzz/i);
        if (version === LIVE_BASE) expect(out).not.toMatch(/offset/);
      }
      for (const [file, change] of tree.changes()) {
        const expected = readFileSync(path.join(viaGit, file)).toString('latin1');
        expect(change.content).toBe(expected);
        expect(readFileSync(path.join(viaPatch, file)).toString('latin1')).toBe(expected);
      }
      // MeshCentral's .js files are CRLF: every line the series adds to them is CRLF too.
      for (const file of ['meshcentral.js', 'webserver.js', 'jwt-auth.js', 'package.json']) {
        const text = readFileSync(path.join(viaGit, file), 'latin1');
        expect(
          text
            .split('\n')
            .slice(0, -1)
            .every((line) => line.endsWith('\r')),
        ).toBe(true);
      }
    } finally {
      rmSync(viaGit, { recursive: true, force: true });
      rmSync(viaPatch, { recursive: true, force: true });
    }
  });
});

test('jwt-auth.js parses as JavaScript after the series is applied', () => {
  const dir = releaseCopy(LIVE_BASE);
  try {
    execFileSync('git', ['apply', '--whitespace=nowarn', ...seriesFiles().map((p) => path.join(PATCHES, p))], { cwd: dir });
    for (const file of ['jwt-auth.js', 'webserver.js', 'meshcentral.js']) execFileSync(process.execPath, ['--check', path.join(dir, file)]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
