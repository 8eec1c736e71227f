/*
 * Issue 9's high-severity findings on a real patched MeshCentral 1.1.51 (see jwtHardeningSuite.ts).
 */
import { hardeningSuite } from './jwtHardeningSuite';

jest.setTimeout(180_000);

hardeningSuite('1.1.51');
