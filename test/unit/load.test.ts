import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadSeries } from '../../src/series/load';
import { rejectionOf } from '../support/errors';

const FIXTURE = path.resolve(__dirname, '..', 'fixtures', 'series-1.1.55');

describe('loadSeries', () => {
  let scratch: string;
  let dir: string;

  beforeEach(() => {
    scratch = mkdtempSync(path.join(os.tmpdir(), 'meshfork-load-'));
    dir = path.join(scratch, 'patches');
    cpSync(FIXTURE, dir, { recursive: true });
  });

  afterEach(() => rmSync(scratch, { recursive: true, force: true }));

  it('loads every patch in series order, named as listed, ignoring files that are not patches', async () => {
    const series = await loadSeries(dir);
    expect(series.dir).toBe(dir);
    expect(series.entries.map((e) => [e.name, e.line])).toEqual([
      ['add-the-jwt-single-sign-on-module.patch', 2],
      ['serve-jwt-logins-from-the-web-server.patch', 3],
      ['list-jwt-single-sign-on-in-the-package-keywords.patch', 4],
    ]);
    expect(series.patches.map((p) => p.name)).toEqual(series.entries.map((e) => e.name));
    expect(series.patches[1].operations[0]).toMatchObject({ kind: 'modify', path: 'webserver.js' });
  });

  it('an error inside a patch names the patch file path and line', async () => {
    writeFileSync(
      path.join(dir, 'serve-jwt-logins-from-the-web-server.patch'),
      'From: A <a@example.invalid>\nSubject: s\n---\ndiff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n-a\n',
    );
    const error = await rejectionOf(loadSeries(dir));
    expect(error.code).toBe('PATCH_INVALID');
    expect(error.message).toBe(
      `${path.join(dir, 'serve-jwt-logins-from-the-web-server.patch')}:7: truncated hunk: the header promises 2 old and 2 new lines, the file ends after 1 old and 0 new`,
    );
  });

  it('warns about .patch and .diff files the series does not list (quilt: series governs), and does not read them', async () => {
    writeFileSync(path.join(dir, 'zz-extra.diff'), 'x');
    writeFileSync(path.join(dir, 'aa-extra.patch'), 'x');
    const series = await loadSeries(dir);
    expect(series.patches.map((p) => p.name)).not.toContain('aa-extra.patch');
    expect(series.warnings).toEqual([
      `${path.join(dir, 'aa-extra.patch')}: not listed in ${path.join(dir, 'series')}, so it is not applied (add it to the series or delete it)`,
      `${path.join(dir, 'zz-extra.diff')}: not listed in ${path.join(dir, 'series')}, so it is not applied (add it to the series or delete it)`,
    ]);
  });

  it('a missing folder or series file, or a folder where a file belongs, is SERIES_INVALID (not a crash)', async () => {
    const nowhere = path.join(scratch, 'nowhere');
    const noFolder = await rejectionOf(loadSeries(nowhere));
    expect(noFolder.code).toBe('SERIES_INVALID');
    expect(noFolder.message).toBe(`${nowhere}: the patches folder does not exist`);
    expect(noFolder.hint).toBe(
      `create it with an empty series (mkdir -p ${nowhere} && touch ${path.join(nowhere, 'series')}), or point "patches" in meshfork.config.json at the folder holding the series; \`meshfork import fork\`, \`import mbox\` and \`import quilt\` fill an empty series`,
    );
    mkdirSync(nowhere);
    const noSeries = await rejectionOf(loadSeries(nowhere));
    expect(noSeries.code).toBe('SERIES_INVALID');
    expect(noSeries.message).toBe(`${path.join(nowhere, 'series')}: missing series file`);
    rmSync(path.join(dir, 'add-the-jwt-single-sign-on-module.patch'));
    mkdirSync(path.join(dir, 'add-the-jwt-single-sign-on-module.patch'));
    const folder = await rejectionOf(loadSeries(dir));
    expect(folder.code).toBe('SERIES_INVALID');
    expect(folder.message).toBe(
      `${path.join(dir, 'series')}:2: ${path.join(dir, 'add-the-jwt-single-sign-on-module.patch')} is a folder, not a file`,
    );
    const notAFolder = await rejectionOf(loadSeries(path.join(dir, 'series')));
    expect(notAFolder.code).toBe('SERIES_INVALID');
    expect(notAFolder.message).toMatch(/series\/series: .*series is not a folder$/);
  });
});
