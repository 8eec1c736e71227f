/*
 * An npm registry where nothing listens (a closed loopback port) is reported at once, not after npm's
 * own retries (10 s and 60 s apart: 80 s of silence); a registry that fails in a way that can pass
 * (a 503) is still asked again. The user's npm runs with only the registry setting changed.
 */
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../src/util/freePort';
import { ensureBuilt } from '../support/cli';
import { makeProject, runCli } from './upstreamFixtures';

jest.setTimeout(300000);

describe('an unreachable npm registry', () => {
  let tmp: string;
  beforeAll(() => {
    ensureBuilt();
    tmp = mkdtempSync(path.join(os.tmpdir(), 'meshfork-unreachable-'));
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  function env(registry: string): NodeJS.ProcessEnv {
    // No npm_config_fetch_retries here: npm's default retries are what the test is about.
    return { MESHFORK_CACHE: path.join(tmp, 'cold-cache'), npm_config_registry: registry, npm_config_cache: path.join(tmp, 'npm-cache') };
  }

  it('nothing listening: upstream list and upstream fetch give UPSTREAM_UNREACHABLE (exit 4) within seconds', async () => {
    const registry = `http://127.0.0.1:${await freePort()}/`;
    const listStarted = Date.now();
    const list = await runCli(['--json', 'upstream', 'list'], { cwd: makeProject(path.join(tmp, 'list')), env: env(registry) });
    const listSeconds = (Date.now() - listStarted) / 1000;
    expect(list.code).toBe(4);
    expect(JSON.parse(list.stdout).error).toMatchObject({ code: 'UPSTREAM_UNREACHABLE', message: expect.stringContaining('ECONNREFUSED') });
    const fetchStarted = Date.now();
    const fetch = await runCli(['upstream', 'fetch', '1.1.51'], { cwd: makeProject(path.join(tmp, 'fetch')), env: env(registry) });
    const fetchSeconds = (Date.now() - fetchStarted) / 1000;
    expect(fetch.code).toBe(4);
    expect(fetch.stderr).toMatch(
      /^error\[UPSTREAM_UNREACHABLE\]: npm registry unreachable while trying to resolve meshcentral@1\.1\.51: /m,
    );
    // npm's retries wait 10 s and 60 s; a loaded machine starts node and npm in a few seconds.
    expect({ listSeconds: listSeconds < 30, fetchSeconds: fetchSeconds < 30 }).toEqual({ listSeconds: true, fetchSeconds: true });
  });

  it("a registry that answers 503 is asked again (npm's retries kept for a failure that can pass)", async () => {
    const requests: string[] = [];
    const server = http.createServer((req, res) => {
      requests.push(req.url ?? '');
      res.writeHead(requests.length === 1 ? 503 : 404, { 'content-type': 'application/json' });
      res.end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const registry = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
      const list = await runCli(['--json', 'upstream', 'list'], { cwd: makeProject(path.join(tmp, 'flaky')), env: env(registry) });
      expect(requests).toEqual(['/meshcentral', '/meshcentral']);
      expect(list.code).toBe(2);
      expect(JSON.parse(list.stdout).error).toMatchObject({ code: 'VERSION_UNKNOWN' });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
