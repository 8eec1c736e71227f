/*
 * The git upstream's moved-tag check without a fetch per run (issue 23): a mirror whose tags are
 * upstream's (one `ls-remote`) is used as it is; a moved, added or deleted tag makes the run fetch.
 * Whether a run fetched is read from the mirror's FETCH_HEAD, which `git fetch` writes and
 * `git clone --mirror` does not.
 */
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GitSource } from '../../src/upstream/gitSource';
import { silentProgress } from '../../src/util/progress';
import { buildTinyUpstream, git, type TinyUpstream } from '../support/tinyUpstream';

let tmp: string;
let up: TinyUpstream;
let cache: string;

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'meshfork-tagcheck-'));
  up = buildTinyUpstream(tmp, { '1.0.0': { 'a.js': 'one\n' }, '1.0.1': { 'a.js': 'two\n' } });
  cache = path.join(tmp, 'cache');
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** One run's view: a fresh source (as a new process has), its releases, and whether it fetched. */
async function run(): Promise<{ releases: Record<string, string>; fetched: boolean }> {
  const source = new GitSource(up.url, 'v*', cache, silentProgress);
  const fetchHead = path.join(source.mirrorDir, 'FETCH_HEAD');
  const before = existsSync(fetchHead) ? statSync(fetchHead).mtimeMs : undefined;
  try {
    const releases = Object.fromEntries((await source.listReleases()).map((r) => [r.version, r.identity]));
    const after = existsSync(fetchHead) ? statSync(fetchHead).mtimeMs : undefined;
    return { releases, fetched: after !== before };
  } finally {
    source.close();
  }
}

function push(args: string[]): void {
  git(up.work, ['push', '-q', '-f', 'origin', ...args]);
}

const commitOf = (ref: string) => git(up.work, ['rev-parse', `${ref}^{commit}`]).trim();

test("a mirror whose tags are upstream's is not fetched; a moved, added or deleted tag is", async () => {
  const first = await run(); // clones the mirror
  expect(first).toEqual({ releases: { '1.0.0': commitOf('v1.0.0'), '1.0.1': commitOf('v1.0.1') }, fetched: false });
  expect(await run()).toEqual({ releases: first.releases, fetched: false });

  // a new branch commit upstream moves no tag: still no fetch
  git(up.work, ['commit', '-q', '--allow-empty', '-m', 'work in progress']);
  push(['main']);
  expect(await run()).toEqual({ releases: first.releases, fetched: false });

  // the tag moved: fetched, and the new commit is what the release is now
  git(up.work, ['tag', '-f', 'v1.0.1']);
  push(['refs/tags/v1.0.1']);
  const moved = await run();
  expect(moved).toEqual({ releases: { '1.0.0': first.releases['1.0.0'], '1.0.1': commitOf('HEAD') }, fetched: true });
  expect(moved.releases['1.0.1']).not.toBe(first.releases['1.0.1']);
  expect(await run()).toEqual({ releases: moved.releases, fetched: false });

  // an annotated tag added, then deleted
  git(up.work, ['tag', '-a', '-m', 'release 1.0.2', 'v1.0.2', 'HEAD']);
  push(['refs/tags/v1.0.2']);
  expect(await run()).toEqual({ releases: { ...moved.releases, '1.0.2': commitOf('HEAD') }, fetched: true });
  git(up.work, ['tag', '-d', 'v1.0.2']);
  push([':refs/tags/v1.0.2']);
  expect(await run()).toEqual({ releases: moved.releases, fetched: true });
  expect(await run()).toEqual({ releases: moved.releases, fetched: false });
});
