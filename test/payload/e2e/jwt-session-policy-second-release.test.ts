/*
 * Issue 20's findings on a real patched MeshCentral, the older release the payload also supports (SECOND_RELEASE) (see jwtSessionSuite.ts).
 */
import { sessionPolicySuite } from './jwtSessionSuite';
import { SECOND_RELEASE } from '../support/liveBase';

jest.setTimeout(180_000);

sessionPolicySuite(SECOND_RELEASE);
