/*
 * Real patches this project did not write: the debian/patches series of Debian "3.0 (quilt)" source
 * packages, applied by meshfork as shipped (quilt series, -pN options, DEP-3 headers, traditional
 * diffs) to the unpatched sources, compared byte for byte with the tree `dpkg-source -x` makes.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { applySeries, MemoryTree } from '../../src/engine';
import { parsePatch } from '../../src/series/parse';
import { parseSeriesFile } from '../../src/series/seriesFile';
import { readTree } from '../../src/rebase/backup';
import { debianSource } from '../support/debianCorpus';

// Small packages whose debian/patches carry Index:/==== preambles, diff -Naur time stamps, DEP-3 and git headers.
const PACKAGES = ['sl', 'figlet', 'cowsay', 'tree', 'bzip2', 'lsof', 'less', 'bc', 'unzip', 'gzip', 'cpio', 'zlib', 'patch'];
jest.setTimeout(900000);

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'meshfork-debian-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('Debian 3.0 (quilt) source packages', () => {
  it.each(PACKAGES)('%s: the series applies as shipped and gives the bytes dpkg-source -x gives', async (name) => {
    const dsc = debianSource(name);
    const unpatched = path.join(tmp, `${name}-unpatched`);
    const patched = path.join(tmp, `${name}-patched`);
    execFileSync('dpkg-source', ['--no-check', '--skip-patches', '-x', dsc, unpatched], { stdio: 'pipe' });
    execFileSync('dpkg-source', ['--no-check', '-x', dsc, patched], { stdio: 'pipe' });
    const seriesText = readFileSync(path.join(unpatched, 'debian', 'patches', 'series'), 'latin1');
    const entries = parseSeriesFile('series', seriesText);
    expect(entries.length).toBeGreaterThan(0);
    const patches = entries.map((e) => ({
      ...parsePatch(e.name, readFileSync(path.join(unpatched, 'debian', 'patches', e.name), 'latin1'), e.options),
      name: e.name,
    }));

    const before = await readTree(unpatched);
    const tree = new MemoryTree(async (p) => before.get(p)?.toString('latin1'));
    const outcome = await applySeries(patches, tree);
    expect(outcome.patches.filter((p) => p.status === 'conflict').map((p) => p.name)).toEqual([]);

    const ours = new Map([...before].map(([p, b]) => [p, b.toString('latin1')]));
    for (const [p, change] of tree.changes()) {
      if (change.content === null) ours.delete(p);
      else ours.set(p, change.content);
    }
    const theirs = new Map(
      [...(await readTree(patched))].filter(([p]) => !p.startsWith('.pc/')).map(([p, b]) => [p, b.toString('latin1')]),
    );
    const differing = [...new Set([...ours.keys(), ...theirs.keys()])].filter((p) => ours.get(p) !== theirs.get(p));
    expect(differing).toEqual([]);
    expect(tree.changes().length).toBeGreaterThan(0);
  });
});
