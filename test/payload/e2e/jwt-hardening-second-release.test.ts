/*
 * Issue 9's high-severity findings on a real patched MeshCentral, the older release the payload also supports (SECOND_RELEASE) (see jwtHardeningSuite.ts).
 */
import { hardeningSuite } from './jwtHardeningSuite';
import { SECOND_RELEASE } from '../support/liveBase';

jest.setTimeout(180_000);

hardeningSuite(SECOND_RELEASE);
