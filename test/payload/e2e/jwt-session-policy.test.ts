/*
 * Issue 20's findings on a real patched MeshCentral, the release the live series is based on (see jwtSessionSuite.ts).
 */
import { sessionPolicySuite } from './jwtSessionSuite';
import { LIVE_BASE } from '../support/liveBase';

jest.setTimeout(180_000);

sessionPolicySuite(LIVE_BASE);
