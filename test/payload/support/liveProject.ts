/*
 * The live project: the repository's own meshfork.config.json, meshfork.lock.json and patches/ (the
 * payload). Only the payload's tests use it; the tool's tests use fixtures (test/support/jwtSeriesFixture.ts),
 * which test/integration/toolTestsUseFixtures.test.ts enforces.
 */
import { REPO_ROOT } from '../../support/release';

/** The folder holding the live series (meshfork.config.json, patches/). */
export const LIVE_PROJECT: string = REPO_ROOT;
