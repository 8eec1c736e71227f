import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setConfigValues } from '../../src/workspace/gitConfigText';
import { WORKSPACE_CONFIG } from '../../src/workspace/workspaceGit';

const env = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };

describe('setConfigValues', () => {
  it('writes the workspace settings into a fresh git init config byte for byte as git config does', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'meshfork-config-'));
    try {
      execFileSync('git', ['init', '-q', '-b', 'series', dir], { env });
      const fresh = readFileSync(path.join(dir, '.git', 'config'), 'utf8');
      for (const [key, value] of WORKSPACE_CONFIG) execFileSync('git', ['-C', dir, 'config', key, value], { env });
      expect(setConfigValues(fresh, WORKSPACE_CONFIG)).toBe(readFileSync(path.join(dir, '.git', 'config'), 'utf8'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('sets a key in place, adds a key at the end of its section and a section at the end', () => {
    const text = '[core]\n\tfilemode = false\n\tbare = false\n[user]\n\tname = x\n';
    expect(
      setConfigValues(text, [
        ['core.fileMode', 'true'],
        ['core.autocrlf', 'false'],
        ['gc.auto', '0'],
      ]),
    ).toBe('[core]\n\tfileMode = true\n\tbare = false\n\tautocrlf = false\n[user]\n\tname = x\n[gc]\n\tauto = 0\n');
  });

  it('leaves a file it does not fully understand to git config', () => {
    expect(setConfigValues('[remote "origin"]\n\turl = x\n', [['gc.auto', '0']])).toBeUndefined();
    expect(setConfigValues('[core]\n\tname = "quoted"\n', [['gc.auto', '0']])).toBeUndefined();
    expect(setConfigValues('[core]\n\t# comment\n', [['gc.auto', '0']])).toBeUndefined();
  });
});
