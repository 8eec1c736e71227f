/*
 * Issue 9's high-severity findings on a real patched MeshCentral, the release the live series is based on (see jwtHardeningSuite.ts).
 */
import { hardeningSuite } from './jwtHardeningSuite';
import { LIVE_BASE } from '../support/liveBase';

jest.setTimeout(180_000);

hardeningSuite(LIVE_BASE);
