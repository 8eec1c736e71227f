/*
 * The releases the payload's tests run against, read from the repository's own config and lock, never
 * written as literals: after `meshfork sync rebase --commit` moves `base`, these tests follow it.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../support/release';

function readJson(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path.join(REPO_ROOT, file), 'utf8')) as Record<string, unknown>;
}

/** The release the live series is based on (meshfork.config.json `base`). */
export const LIVE_BASE: string = String(readJson('meshfork.config.json').base);

/**
 * A second, older release the payload also supports (the series applies to it with offsets only); the
 * SSO and hardening suites run on it too. When the base moves past the point where the series still
 * applies to it, change it here (and in UPSTREAM_SYNC.md's contract section).
 */
export const SECOND_RELEASE = '1.1.51';
