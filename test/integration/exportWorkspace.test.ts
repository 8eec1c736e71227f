/*
 * Workspace plumbing without the command layer: build the workspace from a real series on the
 * real meshcentral@1.1.55 files, export it back, and compare bytes.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, promises as fs, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadSeries } from '../../src/series/load';
import { buildWorkspace } from '../../src/workspace/build';
import { readTree } from '../../src/workspace/backup';
import { exportWorkspace } from '../../src/workspace/exportWorkspace';
import { directoryReader } from '../../src/workspace/files';
import type { ReleaseSource } from '../../src/workspace/create';
import { runGit } from '../../src/tools/git';
import { REPO_ROOT, releaseDir } from '../support/release';

/** Releases from the extracted npm tarballs (materialized as hard links, as the upstream cache does). */
const releases: ReleaseSource = {
  async materialize(version, dir) {
    execFileSync('cp', ['-al', `${releaseDir(version)}/.`, dir]);
  },
  reader: (version) => directoryReader(releaseDir(version)),
};

const FIXTURE = path.join(REPO_ROOT, 'test', 'fixtures', 'series-1.1.55');

describe('workspace build + export', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'meshfork-ws-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('an unchanged workspace exports byte-identical patches; edits never touch the release cache', async () => {
    const patchesDir = path.join(dir, 'patches');
    execFileSync('cp', ['-a', FIXTURE, patchesDir]);
    const before = await readTree(patchesDir);
    const series = await loadSeries(patchesDir);
    const workDir = path.join(dir, 'work');
    await buildWorkspace(workDir, releases, '1.1.55', series.patches);
    const log = (await runGit(['log', '--format=%an <%ae>|%s', 'HEAD'], { cwd: workDir })).stdout.toString().trim().split('\n');
    expect(log).toEqual([
      'Fork Maintainers <maintainers@example.invalid>|List JWT single sign-on in the package keywords',
      'Fork Maintainers <maintainers@example.invalid>|Serve JWT logins from the web server',
      'Fork Maintainers <maintainers@example.invalid>|Add the JWT single sign-on module',
      'upstream <upstream@meshfork.invalid>|upstream 1.1.55',
    ]);
    // The workspace's files are its own: not hard links into the release folder.
    const stat = await fs.stat(path.join(workDir, 'webserver.js'));
    expect(stat.nlink).toBe(1);

    const current = { patches: series.patches, seriesText: (await fs.readFile(path.join(patchesDir, 'series'))).toString('latin1'), patchNames: series.entries.map((e) => e.name) };
    const result = await exportWorkspace({ workDir, patchesDir, current, version: '1.1.55' });
    expect(result.written).toEqual([]);
    expect(result.removed).toEqual([]);
    const after = await readTree(patchesDir);
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    for (const [name, data] of before) expect(after.get(name)?.equals(data)).toBe(true);
  });
});
